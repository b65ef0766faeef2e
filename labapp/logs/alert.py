"""The seed's log-file alert, made to run: error rate over a window, read from JSON lines."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

__all__ = ["LogAlertCheck", "check_log_file"]


@dataclass(frozen=True)
class LogAlertCheck:
    """One evaluation of the log-file alert, and what it cost."""

    requests: int
    errors: int
    threshold_pct: float
    bytes_read: int
    seconds_spent: float

    @property
    def error_pct(self) -> float:
        return 100.0 * self.errors / self.requests if self.requests else 0.0

    @property
    def firing(self) -> bool:
        return self.requests > 0 and self.error_pct > self.threshold_pct


def check_log_file(
    path: str | Path,
    *,
    window_s: float = 5.0,
    threshold_pct: float = 5.0,
    service: str = "shop",
    now: float | None = None,
) -> LogAlertCheck:
    """Error % of ``service``'s requests logged in the last ``window_s`` seconds of ``path``.

    What the second seed's log alert (``API_error_analysis.log``, "parsed item
    from log file", a plyer notification) left to custom logic, with the three
    things a count of error lines lacks: a window (errors since the file began
    alert forever after one bad hour), a denominator (10 errors of 50 and of
    50,000 are not the same; a file of ERROR lines alone has none), and parsing
    fields instead of matching text (a message that says "no ERROR" matches). It still reads the whole file on
    every check: that is the cost the notebook measures.
    """
    if window_s <= 0:
        raise ValueError(f"window_s must be positive, got {window_s}")
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no log file at {path}: start a LogCapture(path=...) before the load")
    started = time.perf_counter()
    now = time.time() if now is None else now
    requests = errors = size = 0
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            size += len(line)
            event = json.loads(line)
            if event.get("message") != "request" or event.get("service") != service:
                continue
            at = datetime.fromisoformat(event["timestamp"]).timestamp()
            if now - window_s <= at <= now:
                requests += 1
                errors += int(event.get("status", 0) >= 500)
    return LogAlertCheck(requests, errors, threshold_pct, size, time.perf_counter() - started)
