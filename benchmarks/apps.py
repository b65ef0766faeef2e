"""The apps that benchmarks/middleware.py serves, one factory per variant.

Every variant has the same route, ``GET /products/{product_id}`` returning a
small dict with no downstream call, plus a ``/metrics`` route declared after
it (so routing work is the same everywhere). Each factory builds a fresh app
on its own ``CollectorRegistry``.

Served by uvicorn in its own process, for example::

    uvicorn --app-dir benchmarks apps:make_lab --factory --port 8001
"""

from __future__ import annotations

from fastapi import FastAPI
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from starlette.responses import Response

__all__ = ["VARIANTS", "make_bare", "make_instrumentator", "make_lab", "make_seed"]


def _shop_route(app: FastAPI, registry: CollectorRegistry | None) -> FastAPI:
    @app.get("/products/{product_id}")
    async def read_product(product_id: int) -> dict[str, int]:
        return {"product_id": product_id}

    @app.get("/metrics")
    async def metrics() -> Response:
        body = generate_latest(registry) if registry is not None else b""
        return Response(body, media_type=CONTENT_TYPE_LATEST)

    return app


def make_bare() -> FastAPI:
    """Plain FastAPI: the baseline."""
    return _shop_route(FastAPI(), None)


def make_lab() -> FastAPI:
    """The same app plus the lab's pure ASGI MetricsMiddleware (route-template labels)."""
    from labapp.telemetry import MetricsMiddleware, ShopMetrics

    metrics = ShopMetrics()
    app = _shop_route(FastAPI(), metrics.registry)
    app.add_middleware(MetricsMiddleware, metrics=metrics, excluded_paths=("/metrics",))
    return app


def make_seed() -> FastAPI:
    """The seed's app: BaseHTTPMiddleware metrics labelled by raw path (it has the same routes)."""
    from labapp.seed import make_seed_app

    return make_seed_app(CollectorRegistry())


def make_instrumentator() -> FastAPI:
    """prometheus-fastapi-instrumentator with its defaults, on its own registry."""
    from prometheus_fastapi_instrumentator import Instrumentator

    registry = CollectorRegistry()
    app = _shop_route(FastAPI(), registry)
    Instrumentator(registry=registry).instrument(app)
    return app


VARIANTS = {
    "bare": "make_bare",
    "lab": "make_lab",
    "seed": "make_seed",
    "instrumentator": "make_instrumentator",
}


# -- diagnostics: not in the default run, pick them with --variants -----------


def make_asgi_noop() -> FastAPI:
    """The bare app plus a pure ASGI middleware that only passes the call on (the floor)."""

    class Noop:
        def __init__(self, app):  # type: ignore[no-untyped-def]
            self.app = app

        async def __call__(self, scope, receive, send):  # type: ignore[no-untyped-def]
            await self.app(scope, receive, send)

    app = make_bare()
    app.add_middleware(Noop)
    return app


def make_asgi_wrap() -> FastAPI:
    """The bare app plus a pure ASGI middleware that wraps send and reads the clock, no metrics."""
    import time

    class Wrap:
        def __init__(self, app):  # type: ignore[no-untyped-def]
            self.app = app
            self.last = (0, 0.0)

        async def __call__(self, scope, receive, send):  # type: ignore[no-untyped-def]
            if scope["type"] != "http":
                await self.app(scope, receive, send)
                return
            status = 500
            start = time.perf_counter()

            async def send_wrapper(message):  # type: ignore[no-untyped-def]
                nonlocal status
                if message["type"] == "http.response.start":
                    status = message["status"]
                await send(message)

            try:
                await self.app(scope, receive, send_wrapper)
            finally:
                self.last = (status, time.perf_counter() - start)

    app = make_bare()
    app.add_middleware(Wrap)
    return app
