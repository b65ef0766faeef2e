"""The seed's metrics code, as the course material wrote it, made runnable.

Notebook 01 prints this source, runs it, and then measures what is wrong with
it. The only change from the seed: ``registry=`` on each metric, so that
re-running a cell builds a fresh registry instead of raising
"Duplicated timeseries in CollectorRegistry" on the global one.
"""

from __future__ import annotations

import time

from fastapi import FastAPI, Request
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from starlette.responses import Response

__all__ = ["make_seed_app"]


def make_seed_app(registry: CollectorRegistry) -> FastAPI:
    """The seed's app: metrics recorded in ``@app.middleware("http")``, labelled by raw path."""
    app = FastAPI()

    REQUEST_COUNT = Counter(
        "request_count", "App Request Count", ["method", "endpoint", "http_status"], registry=registry
    )
    REQUEST_LATENCY = Histogram("request_latency_seconds", "Request latency", ["endpoint"], registry=registry)

    @app.middleware("http")
    async def monitor_requests(request: Request, call_next):  # type: ignore[no-untyped-def]
        start_time = time.time()
        response = await call_next(request)
        latency = time.time() - start_time
        REQUEST_COUNT.labels(request.method, request.url.path, response.status_code).inc()
        REQUEST_LATENCY.labels(request.url.path).observe(latency)
        return response

    @app.get("/products/{product_id}")
    async def read_product(product_id: int) -> dict[str, int]:
        return {"product_id": product_id}

    @app.get("/metrics")
    async def metrics() -> Response:
        return Response(generate_latest(registry), media_type="text/plain")

    return app
