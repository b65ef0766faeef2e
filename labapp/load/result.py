"""What a load run returns: one record per request, and summaries of them."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import pandas as pd

__all__ = ["LoadResult", "Record"]


@dataclass(frozen=True)
class Record:
    """One request. Times are Unix seconds; ``latency_s`` counts from the *scheduled* send.

    ``status`` is 0 when no HTTP answer came (``error`` says why: timeout, refused...).
    """

    scheduled: float
    sent: float
    latency_s: float
    service_time_s: float
    status: int
    method: str
    path: str
    client: str
    error: str = ""


class LoadResult:
    """The records of one run plus what was asked for."""

    def __init__(
        self, records: list[Record], *, mode: str, started: float, duration_s: float, target_rate: float | None
    ) -> None:
        self.records = sorted(records, key=lambda r: r.scheduled)
        self.mode = mode
        self.started = started
        self.duration_s = duration_s
        self.target_rate = target_rate

    def __len__(self) -> int:
        return len(self.records)

    def to_frame(self) -> pd.DataFrame:
        """A DataFrame with one row per request and a ``t`` column: seconds since the run started."""
        columns = list(Record.__dataclass_fields__)
        frame = pd.DataFrame([asdict(r) for r in self.records], columns=columns)
        frame["t"] = frame["scheduled"] - self.started
        return frame

    @property
    def achieved_rate(self) -> float:
        """Requests completed per second of the run."""
        if not self.records:
            return 0.0
        span = max(r.sent + r.service_time_s for r in self.records) - self.started
        return len(self.records) / max(span, self.duration_s, 1e-9)

    def summary(self) -> dict[str, float]:
        frame = self.to_frame()
        if frame.empty:
            return {"requests": 0}
        lat = frame["latency_s"]
        return {
            "requests": len(frame),
            "target_rate": float(self.target_rate or "nan"),
            "achieved_rate": round(self.achieved_rate, 1),
            "p50_ms": round(float(lat.quantile(0.50)) * 1000, 1),
            "p95_ms": round(float(lat.quantile(0.95)) * 1000, 1),
            "p99_ms": round(float(lat.quantile(0.99)) * 1000, 1),
            "max_ms": round(float(lat.max()) * 1000, 1),
            "error_pct": round(100 * float(((frame["status"] >= 500) | (frame["status"] == 0)).mean()), 2),
        }

    def __repr__(self) -> str:
        s = self.summary()
        if not s.get("requests"):
            return "<LoadResult: no requests>"
        rate = f"{s['achieved_rate']:.0f}" + (f" of {self.target_rate:.0f}" if self.target_rate else "")
        return (
            f"<LoadResult {self.mode}: {s['requests']} requests, {rate} req/s, "
            f"p50 {s['p50_ms']} ms, p99 {s['p99_ms']} ms, errors {s['error_pct']}%>"
        )
