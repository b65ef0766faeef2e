"""make_shop_app: the shop, wired from its parts. One fresh app per call."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager

from fastapi import FastAPI
from opentelemetry import trace
from prometheus_client.exposition import choose_encoder
from slowapi import _rate_limit_exceeded_handler
from slowapi.errors import RateLimitExceeded
from starlette.requests import Request
from starlette.responses import Response
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from ..config import LabConfig
from ..faults import FaultSwitch
from ..logs import AccessLogMiddleware
from ..ratelimit import Throttle, make_limiter
from ..resilience import BreakerStateCollector
from ..telemetry import MetricsMiddleware, ShopMetrics
from ..tracing import Tracing
from . import health, routes
from .admin import make_admin_router
from .clients import ClientTracker, TopClientsCollector
from .controls import ControlsMiddleware, ShopControls
from .downstream import Downstream
from .fallbacks import StaleCache
from .items import make_items_router
from .payments import make_charge
from .release import ReleaseMiddleware, ShopRelease

__all__ = ["make_shop_app"]


def make_shop_app(
    urls: Mapping[str, str],
    *,
    config: LabConfig | None = None,
    metrics: ShopMetrics | None = None,
    switches: Mapping[str, FaultSwitch] | None = None,
    tracing: Tracing | None = None,
    controls: ShopControls | None = None,
    clients: ClientTracker | None = None,
    release: ShopRelease | None = None,
) -> FastAPI:
    """Build the shop for dependencies at ``urls`` ({"catalog": "http://...", ...}).

    ``metrics`` defaults to a new :class:`ShopMetrics` on its own registry;
    ``switches`` enables the loopback-only /admin/faults routes; ``tracing``
    traces every request, propagates it to the dependencies and adds trace-id
    exemplars to the latency histogram. ``controls`` are the incident switches
    (deny list, degraded mode, shedding), ``clients`` (requests per client address)
    and ``release`` the running version and its bugs (notebook 12); replicas given
    the same objects share them.
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
        instrument=(lambda client, peer: tracing.instrument_client(client, "shop", peer)) if tracing else None,
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        await downstream.aclose()

    app = FastAPI(title="Busy Service Lab shop", lifespan=lifespan)
    app.state.downstream = downstream
    app.state.metrics = metrics
    app.state.controls = controls = controls if controls is not None else ShopControls()
    app.state.clients = clients = clients if clients is not None else ClientTracker()
    metrics.registry.register(TopClientsCollector(clients))
    app.state.release = release = release if release is not None else ShopRelease()
    release.attach(metrics.registry)
    app.state.ready_requires = tuple(config.ready_requires)
    app.state.charge, app.state.payments_breaker = make_charge(downstream, config)
    if app.state.payments_breaker is not None:
        metrics.registry.register(BreakerStateCollector({"payments": app.state.payments_breaker}))
    cache_size = config.recommendations_cache
    app.state.recommendations_cache = StaleCache(cache_size) if cache_size else None
    # Manual spans for business steps; a no-op tracer costs ~1 µs when tracing is off.
    app.state.tracer = tracing.tracer("shop") if tracing else trace.NoOpTracer()
    metrics.http.exemplars = tracing is not None
    app.include_router(health.router)
    app.include_router(routes.router)
    # One limiter per app: a new shop (a re-run cell, a second replica) starts
    # with its own counters unless the storage is shared (Redis, lab-memory://).
    app.state.limiter = make_limiter(config)
    app.add_exception_handler(RateLimitExceeded, _rate_limit_exceeded_handler)  # type: ignore[arg-type]  # seed's
    app.state.throttle = Throttle(config.throttle_rate_per_s, config.throttle_queue, config.throttle_max_wait_s)
    app.include_router(make_items_router(config, app.state.limiter, app.state.throttle))
    if switches:
        app.include_router(make_admin_router(switches))

    @app.get("/metrics", include_in_schema=False)
    def metrics_page(request: Request) -> Response:
        # A plain def: FastAPI runs it in a worker thread, so rendering the page
        # never blocks the event loop that serves traffic. A scraper that asks
        # for OpenMetrics gets it, with exemplars (trace ids) on the buckets.
        encoder, content_type = choose_encoder(request.headers.get("accept", ""))
        return Response(encoder(metrics.registry), media_type=content_type)

    # Innermost: a bad release's 500 happens after routing, under its route's name.
    app.add_middleware(ReleaseMiddleware, release=release)
    # Inside the metrics layer, so refused requests are counted and timed like any other.
    app.add_middleware(ControlsMiddleware, controls=controls, clients=clients, metrics=metrics)
    app.add_middleware(MetricsMiddleware, metrics=metrics, excluded_paths=config.excluded_metric_paths)
    app.add_middleware(AccessLogMiddleware, service="shop")
    if config.trusted_proxies:
        # Believe X-Forwarded-For only from these peers, taking the nearest
        # address they did not add themselves; everyone else is who they connect as.
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=list(config.trusted_proxies))
    if tracing is not None:
        # Last, so its span wraps every other layer: the metrics and access-log
        # middlewares then run inside the request's span and can read its ids.
        tracing.instrument_app(app, "shop")
    return app
