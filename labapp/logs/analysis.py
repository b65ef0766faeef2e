"""From log records to answers: a frame, and error rates per route over windows."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

from ..analysis import error_mask

__all__ = ["LOG_COLUMNS", "log_error_rates", "logs_frame"]

LOG_COLUMNS = [
    "timestamp",
    "t",
    "level",
    "logger",
    "message",
    "service",
    "method",
    "route",
    "status",
    "latency_ms",
    "client",
    "trace_id",
    "span_id",
]


def logs_frame(records: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    """One row per log event. ``t`` is Unix seconds; fields an event lacks are empty."""
    frame = pd.DataFrame(list(records))
    for column in LOG_COLUMNS:
        if column not in frame:
            frame[column] = None
    frame["timestamp"] = pd.to_datetime(frame["timestamp"], utc=True, format="ISO8601")
    frame["t"] = frame["timestamp"].map(lambda ts: ts.timestamp() if pd.notna(ts) else float("nan"))
    extra = [c for c in frame.columns if c not in LOG_COLUMNS]
    return frame[LOG_COLUMNS + extra]


def log_error_rates(
    frame: pd.DataFrame, window_s: float = 1.0, service: str = "shop", t0: float | None = None
) -> pd.DataFrame:
    """Per window and route of ``service``'s access log: requests, errors (5xx) and error %.

    The same (errors / total) × 100 as notebook 04, computed from log lines
    instead of counters. ``t`` is the window's start in Unix seconds; windows
    start at ``t0`` (e.g. when the load started), or at whole multiples of
    ``window_s`` without it.
    """
    if window_s <= 0:
        raise ValueError(f"window_s must be positive, got {window_s}")
    if "status" not in frame or "message" not in frame:
        raise ValueError("expected a frame from logs_frame(...) with access-log events")
    access = frame[(frame["message"] == "request") & (frame["service"] == service)].copy()
    if access.empty:
        raise ValueError(f"no access-log events of service {service!r}: was a LogCapture running during the load?")
    access["status"] = access["status"].astype(int)
    origin = 0.0 if t0 is None else t0
    access["window"] = ((access["t"] - origin) // window_s) * window_s + origin
    access["error"] = error_mask(access)
    grouped = access.groupby(["window", "route"])
    out = pd.DataFrame({"requests": grouped.size(), "errors": grouped["error"].sum()})
    out["error_pct"] = 100 * out["errors"] / out["requests"]
    return out.reset_index().rename(columns={"window": "t"})
