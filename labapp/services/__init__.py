"""The services the shop calls over real HTTP, each a small app on its own port."""

from .catalog import make_catalog_app
from .payments import make_payments_app
from .recommender import make_recommender_app

SERVICE_NAMES = ("catalog", "recommender", "payments")

__all__ = ["SERVICE_NAMES", "make_catalog_app", "make_payments_app", "make_recommender_app"]
