"""The app that benchmarks/workers.py serves with ``uvicorn --workers 2``: counted, limited, scraped.

Set by the environment before uvicorn starts (each worker process builds its own app):

- ``WORKERS_METRICS=process``: prometheus-client's default, one registry per
  process; /metrics shows whichever worker answered the scrape.
- ``WORKERS_METRICS=multiprocess`` (with ``PROMETHEUS_MULTIPROC_DIR`` set to an
  empty directory): every worker writes its values to files there, and /metrics
  reads all of them with ``MultiProcessCollector``.
- ``WORKERS_LIMIT_STORAGE``: where ``GET /limited/{id}``'s slowapi counters live,
  "memory://" (each worker its own) or a Redis URL (shared); limit
  ``WORKERS_LIMIT`` (default 10/second).

Routes: ``/products/{id}`` (counted, not limited), ``/limited/{id}`` (counted
and limited), ``/metrics``.
"""

from __future__ import annotations

import os

from fastapi import FastAPI, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Counter, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector
from slowapi import Limiter, _rate_limit_exceeded_handler
from slowapi.errors import RateLimitExceeded
from slowapi.util import get_remote_address

__all__ = ["make_app"]

# Module level, once per worker process, as prometheus-client's multiprocess mode expects.
REQUESTS = Counter("shop_requests_total", "Requests answered, by route.", ["route"])


def make_app() -> FastAPI:
    mode = os.environ.get("WORKERS_METRICS", "process")
    if mode not in ("process", "multiprocess"):
        raise ValueError(f"WORKERS_METRICS={mode!r}: use 'process' or 'multiprocess'")
    if mode == "multiprocess" and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        raise ValueError("multiprocess mode needs PROMETHEUS_MULTIPROC_DIR set to an empty directory")
    limit = os.environ.get("WORKERS_LIMIT", "10/second")
    limiter = Limiter(key_func=get_remote_address, storage_uri=os.environ.get("WORKERS_LIMIT_STORAGE", "memory://"))
    app = FastAPI()
    app.state.limiter = limiter
    app.add_exception_handler(RateLimitExceeded, _rate_limit_exceeded_handler)  # type: ignore[arg-type]

    @app.get("/products/{product_id}")
    async def product(product_id: int) -> dict[str, int]:
        REQUESTS.labels("/products/{product_id}").inc()
        return {"product_id": product_id, "pid": os.getpid()}

    @app.get("/limited/{product_id}")
    @limiter.limit(limit)
    async def limited(request: Request, product_id: int) -> dict[str, int]:
        REQUESTS.labels("/limited/{product_id}").inc()
        return {"product_id": product_id, "pid": os.getpid()}

    @app.get("/metrics")
    def metrics() -> Response:
        if mode == "multiprocess":
            # A fresh registry per scrape, as prometheus-client's docs show: it reads every worker's files.
            registry = CollectorRegistry()
            MultiProcessCollector(registry)
            return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
        return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)

    return app
