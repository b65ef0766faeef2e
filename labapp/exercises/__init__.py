"""Exercise checkers, one module per notebook. Each prints ✓ or what is wrong and a hint."""

from .nb00 import check_items_burst
from .nb01 import check_checkout_histogram
from .nb02 import check_p99_query
from .nb03 import check_catches_slowness
from .nb04 import check_fast_burn_alert
from .nb05 import check_slow_hop, inject_mystery_latency
from .nb06 import check_checkout_answers
from .nb07 import check_recommender_timeout
from .nb08 import check_limit_config
from .nb09 import check_breaker_tuning

__all__ = [
    "check_breaker_tuning",
    "check_catches_slowness",
    "check_checkout_answers",
    "check_checkout_histogram",
    "check_fast_burn_alert",
    "check_items_burst",
    "check_limit_config",
    "check_p99_query",
    "check_recommender_timeout",
    "check_slow_hop",
    "inject_mystery_latency",
]
