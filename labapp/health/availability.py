"""Availability: the share of probes that found an endpoint healthy."""

from __future__ import annotations

import pandas as pd

__all__ = ["availability"]


def availability(frame: pd.DataFrame, start: float | None = None, end: float | None = None) -> pd.Series:
    """Percent of ok probes per target, over probes with ``start <= t < end`` (seconds, the ``t`` column).

    Probe-based availability counts checks, not users: a probe every 10 s cannot
    see a 5 s outage between two probes. Notebook 04 measures it from real
    traffic instead (the error ratio).
    """
    if not {"t", "target", "ok"} <= set(frame.columns):
        raise TypeError("expected HealthChecker.to_frame(): columns t, target, ok")
    window = frame
    if start is not None:
        window = window[window["t"] >= start]
    if end is not None:
        window = window[window["t"] < end]
    if window.empty:
        raise ValueError(f"no probes between t={start} and t={end}; widen the window or wait for more probes")
    return (100 * window.groupby("target", sort=False)["ok"].mean()).rename("availability %")
