"""Query results as pandas frames: the same shape from Prometheus and the embedded scraper."""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from .store import Labels

__all__ = ["result_frame"]


def result_frame(rows: Iterable[tuple[float, Labels, float]], query: str) -> pd.DataFrame:
    """One row per (time, series): columns ``time`` (Unix s), ``value``, and one per label."""
    records = [{"time": t, **dict(labels), "value": v} for t, labels, v in rows]
    frame = pd.DataFrame.from_records(records) if records else pd.DataFrame(columns=["time", "value"])
    frame = frame.drop(columns=[c for c in ("__name__",) if c in frame.columns])
    frame.attrs["query"] = query
    return frame.sort_values("time", kind="stable").reset_index(drop=True)
