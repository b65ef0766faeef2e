"""Checker for notebook 04 (error rates and alerts)."""

from __future__ import annotations

from ..observe.promql import PromQLError, evaluate, parse
from ..observe.store import SeriesStore
from .feedback import fail, ok

__all__ = ["check_fast_burn_alert"]

LONG = "job:shop_http_request_errors:ratio_rate1h"
SHORT = "job:shop_http_request_errors:ratio_rate5m"
# (1 h ratio, 5 min ratio, should page?) for a 99.5% SLO: page above 14.4 x 0.005 = 0.072 on both.
CASES = [
    (0.08, 0.08, True, "both windows burn at 16x"),
    (0.073, 0.073, True, "both just above 14.4x"),
    (0.08, 0.01, False, "the incident is over: the 5 min window is clean"),
    (0.05, 0.2, False, "a short spike that has not spent 2% of the budget yet"),
    (0.071, 0.5, False, "the 1 h window is just under 14.4x"),
    (0.004, 0.004, False, "burning under budget"),
]


def check_fast_burn_alert(expr: object) -> bool:
    """The exercise: the fast-burn page condition for a 99.5% availability SLO."""
    if not isinstance(expr, str) or not expr.strip():
        return fail("expected a PromQL expression as a string", f"compare {LONG} and {SHORT} with a threshold")
    for long_ratio, short_ratio, should_page, story in CASES:
        store = SeriesStore()
        store.add(0.0, [(LONG, {}, long_ratio), (SHORT, {}, short_ratio)], {"job": "shop"})
        try:
            result = evaluate(parse(expr), store, 1.0)
        except PromQLError as exc:
            return fail(f"the expression does not run: {exc}", "it should look like: A > (k * b) and B > (k * b)")
        pages = bool(result) if isinstance(result, dict) else False
        if pages != should_page:
            verb = "pages" if pages else "stays quiet"
            return fail(
                f"with 1 h at {long_ratio:.1%} and 5 min at {short_ratio:.1%} ({story}) it {verb}",
                "the budget of a 99.5% SLO is 0.005; a fast burn is 14.4 times that, on BOTH windows (and)",
            )
    return ok(f"pages exactly when both windows burn faster than 14.4 x 0.005 = 0.072 ({len(CASES)} cases)")
