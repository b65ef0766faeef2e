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

from opentelemetry import trace
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .metrics import ShopMetrics

__all__ = ["MetricsMiddleware", "UNMATCHED_ROUTE"]

UNMATCHED_ROUTE = "<unmatched>"
_KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


class MetricsMiddleware:
    """Counts requests and times them into ``metrics``, skipping ``excluded_paths``."""

    def __init__(self, app: ASGIApp, metrics: ShopMetrics, excluded_paths: Iterable[str] = ("/metrics",)) -> None:
        self.app = app
        self.http = metrics.http
        self.excluded = frozenset(excluded_paths)

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

        self.http.in_flight += 1
        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            elapsed = time.perf_counter() - start
            self.http.in_flight -= 1
            # The router put the matched route in the scope: its template, not the raw path.
            template = getattr(scope.get("route"), "path", None) or UNMATCHED_ROUTE
            method = scope["method"] if scope["method"] in _KNOWN_METHODS else "OTHER"
            self.http.observe(method, template, status, elapsed, _trace_id() if self.http.exemplars else None)


def _trace_id() -> str | None:
    """The current (sampled) trace's id in hex, as trace viewers and logs print it."""
    context = trace.get_current_span().get_span_context()
    return format(context.trace_id, "032x") if context.is_valid and context.trace_flags.sampled else None
