"""make_shop_app: the shop, wired from its parts. One fresh app per call."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager

from fastapi import FastAPI
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.requests import Request
from starlette.responses import Response

from ..config import LabConfig
from ..faults import FaultSwitch
from ..telemetry import MetricsMiddleware, ShopMetrics
from . import health, routes
from .admin import make_admin_router
from .downstream import Downstream

__all__ = ["make_shop_app"]


def make_shop_app(
    urls: Mapping[str, str],
    *,
    config: LabConfig | None = None,
    metrics: ShopMetrics | None = None,
    switches: Mapping[str, FaultSwitch] | None = None,
) -> FastAPI:
    """Build the shop for dependencies at ``urls`` ({"catalog": "http://...", ...}).

    ``metrics`` defaults to a new :class:`ShopMetrics` on its own registry;
    ``switches`` enables the loopback-only /admin/faults routes.
    """
    missing = {"catalog", "recommender", "payments"} - set(urls)
    if missing:
        raise ValueError(f"make_shop_app needs a URL for every dependency; missing {sorted(missing)}")
    config = config or LabConfig()
    metrics = metrics or ShopMetrics()
    downstream = Downstream(
        urls,
        {
            "catalog": config.catalog_timeout_s,
            "recommender": config.recommender_timeout_s,
            "payments": config.payments_timeout_s,
        },
        metrics,
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        await downstream.aclose()

    app = FastAPI(title="Busy Service Lab shop", lifespan=lifespan)
    app.state.downstream = downstream
    app.state.metrics = metrics
    app.state.ready_requires = tuple(config.ready_requires)
    app.include_router(health.router)
    app.include_router(routes.router)
    if switches:
        app.include_router(make_admin_router(switches))

    @app.get("/metrics", include_in_schema=False)
    def metrics_page(request: Request) -> Response:
        # A plain def: FastAPI runs it in a worker thread, so rendering the page
        # never blocks the event loop that serves traffic.
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    app.add_middleware(MetricsMiddleware, metrics=metrics, excluded_paths=config.excluded_metric_paths)
    return app
