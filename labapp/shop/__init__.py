"""The system under study: a small shop that depends on three services."""

from .app import make_shop_app
from .clients import ClientTracker
from .controls import ShopControls
from .downstream import Downstream, DownstreamError
from .release import ShopRelease

__all__ = ["ClientTracker", "Downstream", "DownstreamError", "ShopControls", "ShopRelease", "make_shop_app"]
