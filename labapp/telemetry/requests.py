"""Request count, latency histogram and in-flight gauge, kept without locks.

prometheus-client's Counter.inc() and Histogram.observe() each take a lock, and
a request makes three or four such updates: measured here, that was most of
the middleware's cost (benchmarks/README.md). These numbers are only ever
changed by the one event-loop thread that serves requests, so they need no
lock: plain Python ints and floats, turned into metric families when
Prometheus scrapes. prometheus-client's own multiprocess collector works the
same way: store cheaply, build the families at scrape time.
"""

from __future__ import annotations

import bisect
import time
from collections.abc import Iterator, Sequence

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector
from prometheus_client.samples import Exemplar

__all__ = ["RequestMetrics"]


class RequestMetrics(Collector):
    """Exports ``<ns>_http_requests_total{method,route,status}``,
    ``<ns>_http_request_duration_seconds{method,route}`` and
    ``<ns>_http_requests_in_flight``.

    Call :meth:`observe` (and change :attr:`in_flight`) from one thread only:
    the event loop's. Register it on a registry: ``registry.register(metrics)``.

    With :attr:`exemplars` on, each bucket remembers the trace id of the last
    request that landed in it; the OpenMetrics exposition shows it, so a slow
    bucket links to one slow trace.
    """

    def __init__(self, namespace: str, buckets: Sequence[float]) -> None:
        if list(buckets) != sorted(buckets) or not buckets:
            raise ValueError(f"buckets must be increasing upper bounds in seconds, got {buckets!r}")
        self.namespace = namespace
        self.bounds = tuple(float(b) for b in buckets)
        self.in_flight = 0
        self.exemplars = False  # the middleware passes trace ids only when this is on
        # (method, route, status) -> [count, histogram list shared by (method, route)]
        self._entries: dict[tuple[str, str, int], list] = {}  # type: ignore[type-arg]
        # (method, route) -> [count per bucket ..., count above the last bound, sum of seconds]
        self._histograms: dict[tuple[str, str], list[float]] = {}
        # (method, route) -> per bucket: (trace id, seconds, Unix time) of the last request in it
        self._exemplars: dict[tuple[str, str], list[tuple[str, float, float] | None]] = {}

    def observe(self, method: str, route: str, status: int, seconds: float, trace_id: str | None = None) -> None:
        """Count one answered request and its duration (and its trace id as the bucket's exemplar)."""
        entry = self._entries.get((method, route, status))
        if entry is None:
            histogram = self._histograms.setdefault((method, route), [0.0] * (len(self.bounds) + 2))
            entry = self._entries[(method, route, status)] = [0, histogram]
        entry[0] += 1
        histogram = entry[1]
        bucket = bisect.bisect_left(self.bounds, seconds)  # first bound >= seconds: "le"
        histogram[bucket] += 1
        histogram[-1] += seconds
        if trace_id is not None:
            slots = self._exemplars.setdefault((method, route), [None] * (len(self.bounds) + 1))
            slots[bucket] = (trace_id, seconds, time.time())

    def collect(self) -> Iterator[Metric]:
        ns = self.namespace
        requests = CounterMetricFamily(
            f"{ns}_http_requests",
            "HTTP requests answered, by method, route template and status code.",
            labels=["method", "route", "status"],
        )
        for (method, route, status), entry in list(self._entries.items()):
            requests.add_metric([method, route, str(status)], entry[0])
        latency = HistogramMetricFamily(
            f"{ns}_http_request_duration_seconds",
            "Time from request received to response sent, by method and route template.",
            labels=["method", "route"],
        )
        for (method, route), histogram in list(self._histograms.items()):
            snapshot = list(histogram)  # one copy, so buckets, count and sum agree
            exemplars = list(self._exemplars.get((method, route), [None] * (len(self.bounds) + 1)))
            cumulative = 0.0
            buckets: list[tuple[str, float] | tuple[str, float, Exemplar]] = []
            bounds = (*self.bounds, float("inf"))
            for bound, count, exemplar in zip(bounds, snapshot[:-1], exemplars, strict=True):
                cumulative += count
                le = "+Inf" if bound == float("inf") else repr(bound)
                if exemplar is None:
                    buckets.append((le, cumulative))
                else:
                    trace_id, seconds, at = exemplar
                    buckets.append((le, cumulative, Exemplar({"trace_id": trace_id}, seconds, at)))
            latency.add_metric([method, route], buckets, sum_value=snapshot[-1])
        yield requests
        yield latency
        yield GaugeMetricFamily(f"{ns}_http_requests_in_flight", "Requests being handled right now.", self.in_flight)

    def describe(self) -> Iterator[Metric]:
        # Names only, so the registry can refuse a second collector with the same names.
        ns = self.namespace
        yield CounterMetricFamily(f"{ns}_http_requests", "", labels=["method", "route", "status"])
        yield HistogramMetricFamily(f"{ns}_http_request_duration_seconds", "", labels=["method", "route"])
        yield GaugeMetricFamily(f"{ns}_http_requests_in_flight", "")
