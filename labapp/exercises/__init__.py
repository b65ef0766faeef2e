"""Exercise checkers, one module per notebook. Each prints ✓ or what is wrong and a hint.

Each module's ``__all__`` says what a notebook may import; a test keeps this list in step with them.
"""

from .nb00 import check_bad_seconds, check_checkout_broken
from .nb01 import check_checkout_histogram, check_in_flight_gauge, check_route_counter
from .nb02 import check_error_ratio_by_route, check_ok_rate_by_route, check_p99_query, practice_watcher
from .nb03 import check_health_check, check_probe_timeout, check_readiness
from .nb04 import check_error_rate_rule, check_error_ratio, check_fast_burn_alert
from .nb05 import (
    MYSTERY_DELAY_S,
    SLOW_TRACE_MS,
    check_manual_span,
    check_slow_hop,
    check_tail_sampler,
    inject_mystery_latency,
)
from .nb06 import ALERT_THRESHOLD_PCT, ALERT_WINDOW_S, check_checkout_answers, check_log_alert, check_redactor
from .nb07 import (
    PAGE_BUDGET_S,
    STALLED_RECOMMENDER_S,
    check_fallback,
    check_recommender_timeout,
    check_stale_cache,
    healthy_recommender,
)
from .nb08 import check_limit_config, check_polite_client, check_tier_keys
from .nb09 import check_breaker_tuning, check_honest_fallback, check_retries_in_breaker
from .nb10 import check_guard_rails, check_runbook_step
from .nb11 import check_order_access, check_safe_search
from .nb12 import check_diagnosis, check_mitigation

__all__ = [
    "ALERT_THRESHOLD_PCT",
    "ALERT_WINDOW_S",
    "MYSTERY_DELAY_S",
    "PAGE_BUDGET_S",
    "SLOW_TRACE_MS",
    "STALLED_RECOMMENDER_S",
    "check_bad_seconds",
    "check_breaker_tuning",
    "check_checkout_answers",
    "check_checkout_broken",
    "check_checkout_histogram",
    "check_diagnosis",
    "check_error_rate_rule",
    "check_error_ratio",
    "check_error_ratio_by_route",
    "check_fallback",
    "check_fast_burn_alert",
    "check_guard_rails",
    "check_health_check",
    "check_honest_fallback",
    "check_in_flight_gauge",
    "check_limit_config",
    "check_log_alert",
    "check_manual_span",
    "check_mitigation",
    "check_ok_rate_by_route",
    "check_order_access",
    "check_p99_query",
    "check_polite_client",
    "check_probe_timeout",
    "check_readiness",
    "check_recommender_timeout",
    "check_redactor",
    "check_retries_in_breaker",
    "check_route_counter",
    "check_runbook_step",
    "check_safe_search",
    "check_slow_hop",
    "check_stale_cache",
    "check_tail_sampler",
    "check_tier_keys",
    "healthy_recommender",
    "inject_mystery_latency",
    "practice_watcher",
]
