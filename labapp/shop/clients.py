"""Who is sending requests: per-client counts over the last minute, and the top talkers as a metric.

A label per client address would give Prometheus one series per visitor: the
cardinality explosion notebook 01 warns about. Instead the shop keeps the counts
itself and exports only the ``top`` busiest clients of the last ``window_s``
seconds, as a gauge: at most ``top`` series, whatever the traffic. An alert on
it names the abusive client (notebook 10).
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

__all__ = ["ClientTracker", "TOP_WINDOW_S", "TopClientsCollector"]

KEEP_S = 60  # seconds of history: the longest window anyone asks about
TOP_WINDOW_S = 10.0  # the top-clients gauge's window: a client's burst shows in it this long


class ClientTracker:
    """Requests per client address, in one-second buckets over the last minute."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._seconds: dict[int, Counter[str]] = {}
        self._lock = threading.Lock()

    def note(self, address: str) -> None:
        """Count one request from ``address``. Locked: replicas count from their own threads,
        and ``+=`` on a dict entry is not atomic (an uncontended lock costs well under a microsecond)."""
        second = int(self._clock())
        with self._lock:
            bucket = self._seconds.get(second)
            if bucket is None:
                bucket = self._seconds[second] = Counter()
                for old in [s for s in self._seconds if s <= second - KEEP_S]:
                    del self._seconds[old]
            bucket[address] += 1

    def counts(self, window_s: float = 10.0) -> Counter[str]:
        """Requests per client over the last ``window_s`` whole seconds (the current one left out: still filling)."""
        if not 1 <= window_s <= KEEP_S:
            raise ValueError(f"window_s must be from 1 to {KEEP_S} seconds, got {window_s!r}")
        now = int(self._clock())
        total: Counter[str] = Counter()
        with self._lock:
            for second, bucket in self._seconds.items():
                if now - window_s <= second < now:
                    total.update(bucket)
        return total

    def clients_seen(self, window_s: float = 60.0) -> int:
        """How many distinct addresses sent a request in the last ``window_s`` seconds."""
        return len(self.counts(min(window_s, KEEP_S)))

    def top(self, k: int = 5, window_s: float = 10.0) -> list[tuple[str, float]]:
        """The ``k`` busiest clients and their requests per second over the window."""
        return [(client, n / window_s) for client, n in self.counts(window_s).most_common(k)]

    def reset(self) -> None:
        with self._lock:
            self._seconds.clear()


class TopClientsCollector(Collector):
    """``shop_top_client_requests_per_second{client}``: only the busiest few, so cardinality stays bounded."""

    def __init__(
        self, tracker: ClientTracker, *, top: int = 20, window_s: float = TOP_WINDOW_S, namespace: str = "shop"
    ) -> None:
        self.tracker = tracker
        self.k = top
        self.window_s = window_s
        self.name = f"{namespace}_top_client_requests_per_second"

    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = GaugeMetricFamily(
            self.name,
            f"Requests per second of the {self.k} busiest client addresses over the last {self.window_s:g} s.",
            labels=["client"],
        )
        for client, rate in self.tracker.top(self.k, self.window_s):
            family.add_metric([client], rate)
        yield family
