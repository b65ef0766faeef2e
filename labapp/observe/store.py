"""Time series kept in memory: what the embedded scraper collects and the PromQL engine reads.

A query asks for the samples of matching series inside one time window; the
store finds them by metric name and binary search, and copies only that
window. So one evaluation step costs the same after an hour of scrapes as
after a minute.
"""

from __future__ import annotations

import bisect
import math
import struct
import threading
from array import array
from collections.abc import Callable, Iterable, MutableSequence
from dataclasses import dataclass, field

__all__ = ["STALE", "Labels", "Series", "SeriesStore", "Window", "is_stale"]

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
    # Arrays of C doubles, 16 bytes a sample: a list of floats took 43 (one float object each).
    times: MutableSequence[float] = field(default_factory=lambda: array("d"))
    values: MutableSequence[float] = field(default_factory=lambda: array("d"))

    @property
    def name(self) -> str:
        return dict(self.labels).get("__name__", "")


@dataclass(frozen=True)
class Window:
    """The samples of one series with ``start <= t <= end``, oldest first (staleness markers included)."""

    labels: Labels
    points: list[tuple[float, float]]


class SeriesStore:
    """Samples by series. Thread-safe: a scraper thread writes while a notebook reads.

    Each series keeps its newest ``max_samples_per_series`` samples (about 5.5
    hours of 1 s scrapes by default).
    """

    def __init__(self, max_samples_per_series: int = 20_000) -> None:
        if max_samples_per_series < 2:
            raise ValueError(f"max_samples_per_series must be at least 2, got {max_samples_per_series}")
        self._series: dict[Labels, Series] = {}
        self._by_name: dict[str, list[Series]] = {}
        self._lock = threading.Lock()
        self._max = max_samples_per_series

    @staticmethod
    def key(name: str, labels: dict[str, str], extra: dict[str, str] | None = None) -> Labels:
        """The series identity: every label, ``extra`` ones winning, and the name as ``__name__``."""
        return tuple(sorted({**labels, **(extra or {}), "__name__": name}.items()))

    def add(self, t: float, samples: Iterable[tuple[str, dict[str, str], float]], extra: dict[str, str]) -> set[Labels]:
        """Append one scrape's samples, stamped ``t``; ``extra`` labels (job, instance) are added.

        Returns the series written, so a scraper can tell which ones vanished since its last scrape.
        """
        written: set[Labels] = set()
        with self._lock:
            for name, labels, value in samples:
                key = self.key(name, labels, extra)
                self._append(key, t, value)
                written.add(key)
        return written

    def mark_stale(self, t: float, keys: Iterable[Labels]) -> None:
        """End these series at ``t`` with a staleness marker, as Prometheus does when they vanish."""
        with self._lock:
            for key in keys:
                self._append(key, t, STALE)

    def _append(self, key: Labels, t: float, value: float) -> None:
        series = self._series.get(key)
        if series is None:
            series = self._series[key] = Series(key)
            self._by_name.setdefault(series.name, []).append(series)
        if series.times and t < series.times[-1]:
            # Out of order (a late rule result): keep the list sorted for bisect.
            i = bisect.bisect_right(series.times, t)
            series.times.insert(i, t)
            series.values.insert(i, value)
        else:
            series.times.append(t)
            series.values.append(value)
        if len(series.times) > self._max * 1.1:  # bounded memory; trimmed in chunks, not at every append
            del series.times[: len(series.times) - self._max]
            del series.values[: len(series.values) - self._max]

    def select(self, name: str, keep: Callable[[Labels], bool], start: float, end: float) -> list[Window]:
        """Series named ``name`` (any name if empty) that ``keep`` accepts, cut to [start, end]."""
        out: list[Window] = []
        with self._lock:
            candidates = self._by_name.get(name, []) if name else list(self._series.values())
            for series in candidates:
                if not keep(series.labels):
                    continue
                lo = bisect.bisect_left(series.times, start)
                hi = bisect.bisect_right(series.times, end)
                if lo < hi:
                    out.append(Window(series.labels, list(zip(series.times[lo:hi], series.values[lo:hi], strict=True))))
        return out

    def series(self, name: str) -> list[Series]:
        """Copies of every series named ``name``, all samples (for inspection, not for queries)."""
        with self._lock:
            return [Series(s.labels, list(s.times), list(s.values)) for s in self._by_name.get(name, [])]

    def names(self) -> set[str]:
        with self._lock:
            return set(self._by_name)

    def __len__(self) -> int:
        return len(self._series)
