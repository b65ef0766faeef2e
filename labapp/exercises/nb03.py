"""Checker for notebook 03 (health checks)."""

from __future__ import annotations

from ..health import HealthChecker
from ..lab import Lab
from .feedback import fail, ok

__all__ = ["check_catches_slowness"]


def check_catches_slowness(checker: object, lab: Lab) -> bool:
    """The exercise: a checker on the catalog's /health that calls a 0.4 s answer "down"."""
    if not isinstance(checker, HealthChecker):
        return fail(
            f"expected a HealthChecker, got {type(checker).__name__}",
            "my_checker = HealthChecker({...}, interval_s=..., timeout_s=...)",
        )
    url = lab.service_urls["catalog"] + "/health"
    if url not in checker.targets.values():
        return fail(
            f"the checker probes {list(checker.targets.values())}, not the catalog",
            'probe lab.service_urls["catalog"] + "/health"',
        )
    if checker.timeout_s is None or checker.timeout_s >= 0.4:
        return fail(
            f"timeout_s={checker.timeout_s}: a 0.4 s answer still counts as healthy",
            "a timeout below the slowness you want to catch, e.g. 0.25",
        )
    if checker.interval_s > 0.5:
        return fail(f"interval_s={checker.interval_s}: a 2 s fault gets too few probes", "probe every 0.2 s")
    windows = [w for w in lab.fault_windows() if w.service == "catalog" and "latency" in w.label and w.end]
    if not windows:
        return fail(
            "no finished latency fault on the catalog", "play Scenario().at(0.5, 'catalog', latency(0.4), for_s=2)"
        )
    w = windows[-1]
    assert w.end is not None  # the filter above kept only finished windows
    mine = [p for p in checker.probes() if p.target in checker.targets and checker.targets[p.target] == url]
    during = [p for p in mine if w.start + 0.1 <= p.at <= w.end - 0.5]
    outside = [p for p in mine if p.at < w.start - 0.05 or p.at > w.end + 0.6]
    if not during:
        return fail(
            "the checker made no probes while the catalog was slow",
            "start the checker before playing the scenario, and stop it after run.wait()",
        )
    if any(p.ok for p in during):
        return fail("some probes during the slow spell still say healthy", "lower timeout_s")
    if outside and not all(p.ok for p in outside):
        return fail("probes outside the fault failed too", "timeout_s too low for a healthy catalog? try 0.25")
    return ok(
        f"{len(during)} probes during the slow spell all failed (timeout {checker.timeout_s:g} s); "
        f"{len(outside)} outside it passed"
    )
