"""Exercise for notebook 09 (circuit breaker): tune it so an outage is spared and recovery is quick."""

from __future__ import annotations

from ..config import LabConfig
from ..faults import Scenario, outage
from ..lab import Lab
from ..load import LoadResult, checkout, run_open_loop
from ..shop import make_shop_app
from .feedback import fail, ok

__all__ = ["check_breaker_tuning"]

OUTAGE_START_S, OUTAGE_S, RUN_S = 1.0, 3.0, 6.0
MAX_CALLS_DURING_OUTAGE = 15
MAX_RECOVERY_S = 1.0


def check_breaker_tuning(lab: Lab, failure_threshold: object, recovery_timeout_s: object) -> bool:
    """The exercise: at 20 checkouts/s through a 3 s payments outage, fewer than 15 calls
    reach payments during it, and checkouts succeed again within 1 s after it ends."""
    if not isinstance(failure_threshold, int) or failure_threshold < 1:
        return fail(f"failure_threshold = {failure_threshold!r}", "a whole number of failures in a row, e.g. 5")
    if not isinstance(recovery_timeout_s, (int, float)) or recovery_timeout_s <= 0:
        return fail(f"recovery_timeout_s = {recovery_timeout_s!r}", "seconds the breaker stays open, e.g. 1.0")
    config = LabConfig(payments_breaker_threshold=failure_threshold, payments_breaker_recovery_s=recovery_timeout_s)
    url = lab.serve(make_shop_app(lab.service_urls, config=config), "ex09_shop")
    arrivals = lab.switches["payments"].arrivals
    try:
        lab.play(Scenario().at(OUTAGE_START_S, "payments", outage(), for_s=OUTAGE_S))
        result = run_open_loop(url, rate=20, duration_s=RUN_S, targets=checkout(), progress=False, seed=lab.config.seed)
    finally:
        lab.heal("payments")
        lab.extras.pop("ex09_shop").stop()
    assert isinstance(result, LoadResult)  # not a background run
    start, end = result.started + OUTAGE_START_S, result.started + OUTAGE_START_S + OUTAGE_S
    during = sum(1 for t in arrivals if start <= t < end)
    first_ok_after = min((r.scheduled for r in result.records if r.status == 200 and r.scheduled >= end), default=None)
    if during >= MAX_CALLS_DURING_OUTAGE:
        return fail(
            f"{during} calls reached payments during its 3 s outage",
            "open sooner (a lower failure_threshold) or probe less often (a longer recovery_timeout_s)",
        )
    if first_ok_after is None or first_ok_after - end > MAX_RECOVERY_S:
        waited = "never" if first_ok_after is None else f"after {first_ok_after - end:.1f} s"
        return fail(
            f"checkouts succeeded again {waited} once payments was back",
            f"a shorter recovery_timeout_s: the breaker notices recovery only when it tries (<= {MAX_RECOVERY_S:g} s)",
        )
    return ok(
        f"{during} calls reached payments during the outage; checkouts succeeded "
        f"{first_ok_after - end:.1f} s after it ended"
    )
