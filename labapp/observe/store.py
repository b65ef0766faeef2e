"""Time series kept in memory: what the embedded scraper collects."""

from __future__ import annotations

import math
import struct
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field

__all__ = ["STALE", "Labels", "Series", "SeriesStore", "is_stale"]

Labels = tuple[tuple[str, str], ...]  # sorted (name, value) pairs, __name__ included

# Prometheus' staleness marker: a NaN with its own bit pattern, written when a
# series ends, so queries stop seeing its last value at once (not 5 min later).
_STALE_BITS = bytes.fromhex("7ff0000000000002")
STALE: float = struct.unpack(">d", _STALE_BITS)[0]


def is_stale(value: float) -> bool:
    return math.isnan(value) and struct.pack(">d", value) == _STALE_BITS


@dataclass
class Series:
    labels: Labels
    times: list[float] = field(default_factory=list)
    values: list[float] = field(default_factory=list)

    @property
    def name(self) -> str:
        return dict(self.labels).get("__name__", "")


class SeriesStore:
    """Samples by series. Thread-safe: a scraper thread writes while a notebook reads."""

    def __init__(self, max_samples_per_series: int = 20_000) -> None:
        self._series: dict[Labels, Series] = {}
        self._lock = threading.Lock()
        self._max = max_samples_per_series

    def add(self, t: float, samples: Iterable[tuple[str, dict[str, str], float]], extra: dict[str, str]) -> int:
        """Append one scrape's samples, stamped ``t``; ``extra`` labels (job, instance) are added."""
        n = 0
        with self._lock:
            for name, labels, value in samples:
                key = tuple(sorted({**labels, **extra, "__name__": name}.items()))
                series = self._series.get(key)
                if series is None:
                    series = self._series[key] = Series(key)
                series.times.append(t)
                series.values.append(value)
                if len(series.times) > self._max:  # bounded memory on long runs
                    del series.times[: len(series.times) - self._max]
                    del series.values[: len(series.values) - self._max]
                n += 1
        return n

    def series(self, name: str) -> list[Series]:
        with self._lock:
            return [Series(s.labels, list(s.times), list(s.values)) for s in self._series.values() if s.name == name]

    def names(self) -> set[str]:
        with self._lock:
            return {s.name for s in self._series.values()}

    def __len__(self) -> int:
        return len(self._series)
