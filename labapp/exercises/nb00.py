"""Checker for notebook 00 (start here)."""

from __future__ import annotations

from ..load import LoadResult
from .feedback import fail, ok

__all__ = ["check_items_burst"]


def check_items_burst(result: object) -> bool:
    """The exercise: 60 requests at 20 req/s to ``/items`` (open loop), every one answered."""
    if not isinstance(result, LoadResult):
        return fail(
            f"expected the value lab.load(...) returns, got {type(result).__name__}",
            "assign it: result = lab.load(rate=..., duration_s=..., targets=...)",
        )
    if result.mode != "open" or result.target_rate != 20:
        return fail(f"this run asked for {result.target_rate} req/s ({result.mode} loop)", "use rate=20 with lab.load")
    if len(result) != 60:
        return fail(f"{len(result)} requests were sent, not 60", "requests = rate × duration_s; pick duration_s")
    paths = {r.path.split("?")[0] for r in result.records}
    if paths != {"/items"}:
        return fail(f"requests went to {sorted(paths)}", 'pass targets="/items"')
    bad = [r.status for r in result.records if r.status != 200]
    if bad:
        return fail(
            f"{len(bad)} requests did not get 200 (statuses {sorted(set(bad))})",
            "is a fault still injected? lab.heal() clears them all",
        )
    return ok(f"60 requests to /items at 20 req/s, all 200; p99 {result.summary()['p99_ms']} ms")
