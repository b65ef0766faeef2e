"""Exercise for notebook 06 (structured logs): answer an incident question from log lines alone."""

from __future__ import annotations

import pandas as pd

from .feedback import fail, ok

__all__ = ["check_checkout_answers"]


def check_checkout_answers(frame: object, checkout_error_pct: object, failed_trace: object) -> bool:
    """The exercise: the error % of the shop's /checkout requests, and the trace id of one that failed."""
    if not isinstance(frame, pd.DataFrame) or "route" not in frame:
        return fail("expected the frame of the logs", "frame = logs.frame() after the load")
    checkouts = frame[(frame["message"] == "request") & (frame["service"] == "shop") & (frame["route"] == "/checkout")]
    if checkouts.empty:
        return fail("no /checkout requests in these logs", "send checkouts while the capture runs: targets=checkout()")
    failed = checkouts[checkouts["status"].astype(int) >= 500]
    expected = 100.0 * len(failed) / len(checkouts)
    if not isinstance(checkout_error_pct, (int, float)):
        return fail(f"checkout_error_pct = {checkout_error_pct!r}", "a number of percent, e.g. 12.5")
    if 0 < checkout_error_pct <= 1 and expected > 1:
        return fail(f"{checkout_error_pct} looks like a fraction", "multiply by 100: (errors / total) × 100")
    if abs(checkout_error_pct - expected) > 0.5:
        return fail(
            f"{checkout_error_pct:.1f}% of checkouts failed? The logs say otherwise",
            "only the shop's access lines for route /checkout; errors are status >= 500",
        )
    if failed_trace not in set(failed["trace_id"].dropna()):
        others = frame[frame["trace_id"] == failed_trace]
        if not others.empty:
            return fail("that trace's checkout did not fail", "pick trace_id from a /checkout line with status >= 500")
        return fail(f"no failed checkout has trace id {failed_trace!r}", "copy a trace_id from the failed lines")
    return ok(f"{expected:.1f}% of {len(checkouts)} checkouts failed; trace {failed_trace} is one of them")
