"""Request metrics as a pure ASGI middleware, labelled by route template.

Why not ``@app.middleware("http")``? That is Starlette's BaseHTTPMiddleware: it
runs the app in a separate task behind memory streams, which cost this lab's
shop about two thirds of its throughput (benchmarks/), and it breaks
contextvars for layers outside it. A pure ASGI middleware is a function of
(scope, receive, send) that wraps ``send`` to see the status.

Why the route template? ``/products/{product_id}`` is one label value;
``/products/17`` is one per product, and every label value is a new time series
in Prometheus, forever. Unmatched paths (404 scans) share one value.
"""

from __future__ import annotations

import time
from collections.abc import Iterable

from prometheus_client import Counter, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .metrics import ShopMetrics

__all__ = ["MetricsMiddleware", "UNMATCHED_ROUTE"]

UNMATCHED_ROUTE = "<unmatched>"
_KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


class MetricsMiddleware:
    """Counts requests and times them into ``metrics``, skipping ``excluded_paths``."""

    def __init__(self, app: ASGIApp, metrics: ShopMetrics, excluded_paths: Iterable[str] = ("/metrics",)) -> None:
        self.app = app
        self.metrics = metrics
        self.excluded = frozenset(excluded_paths)
        # Label children are looked up once and kept: .labels() hashes and locks
        # on every call, which is most of a naive middleware's cost.
        self._counters: dict[tuple[str, str, int], Counter] = {}
        self._histograms: dict[tuple[str, str], Histogram] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in self.excluded:
            await self.app(scope, receive, send)
            return
        status = 500  # if the app raises before answering, the server sends a 500
        start = time.perf_counter()

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        self.metrics.in_flight.inc()
        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            elapsed = time.perf_counter() - start
            self.metrics.in_flight.dec()
            self._record(scope, status, elapsed)

    def _record(self, scope: Scope, status: int, elapsed: float) -> None:
        route = scope.get("route")
        template = getattr(route, "path", None) or UNMATCHED_ROUTE
        method = scope["method"] if scope["method"] in _KNOWN_METHODS else "OTHER"
        key = (method, template, status)
        counter = self._counters.get(key)
        if counter is None:
            counter = self._counters[key] = self.metrics.requests.labels(method, template, str(status))
        counter.inc()
        hkey = (method, template)
        histogram = self._histograms.get(hkey)
        if histogram is None:
            histogram = self._histograms[hkey] = self.metrics.latency.labels(method, template)
        histogram.observe(elapsed)
