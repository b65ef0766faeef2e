"""make_shop_app: the shop, wired from its parts. One fresh app per call."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager

from fastapi import FastAPI
from opentelemetry import trace
from prometheus_client.exposition import choose_encoder
from slowapi import _rate_limit_exceeded_handler
from slowapi.errors import RateLimitExceeded
from starlette.middleware.cors import CORSMiddleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import Response
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from ..config import LabConfig, is_loopback
from ..faults import FaultSwitch
from ..hosted import jupyter_prefix
from ..logs import AccessLogMiddleware
from ..ratelimit import Throttle, make_limiter
from ..resilience import BreakerStateCollector
from ..telemetry import MetricsMiddleware, ShopMetrics
from ..tracing import Tracing
from . import health, routes
from .access import LOOPBACK_HOSTS, LocalOnlyPaths, RecordSocketPeer, admin_guard
from .accounts import make_accounts_router
from .admin import make_admin_router
from .clients import ClientTracker, TopClientsCollector
from .controls import ControlsMiddleware, ShopControls
from .docs import DOCS_PATHS, app_with_offline_docs
from .downstream import Downstream
from .fallbacks import StaleCache
from .headers import SecurityHeadersMiddleware, ServerBannerMiddleware
from .items import make_items_router
from .payments import make_charge
from .proxied import JupyterProxyPrefix
from .release import ReleaseMiddleware, ShopRelease
from .store import ShopStore

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
    admin_token: str | None = None,
    store: ShopStore | None = None,
) -> FastAPI:
    """Build the shop for dependencies at ``urls`` ({"catalog": "http://...", ...}).

    ``metrics`` defaults to a new :class:`ShopMetrics` on its own registry;
    ``switches`` enables the loopback-only /admin/faults routes; ``tracing``
    traces every request, propagates it to the dependencies and adds trace-id
    exemplars to the latency histogram. ``controls`` are the incident switches
    (deny list, degraded mode, shedding), ``clients`` (requests per client address)
    and ``release`` the running version and its bugs (notebook 12); replicas given
    the same objects share them. ``admin_token`` is the lab's secret the /admin
    routes ask for (needed with ``switches``, see access.py); ``store`` the
    shop's SQLite data (a new one by default).

    ``config.flaws`` plants the flaws of notebook 11 (flaws.py); none by default.
    """
    missing = {"catalog", "recommender", "payments"} - set(urls)
    if missing:
        raise ValueError(f"make_shop_app needs a URL for every dependency; missing {sorted(missing)}")
    config = config or LabConfig()
    flaws = frozenset(config.flaws)
    if switches and admin_token is None and "admin-open" not in flaws:
        raise ValueError("make_shop_app with switches needs admin_token=...: the secret its /admin routes ask for")
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

    store = store if store is not None else ShopStore()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        await downstream.aclose()
        store.close()

    # debug=True is the planted flaw error-traces: Starlette then answers a 500 with the traceback.
    app = app_with_offline_docs(title="Busy Service Lab shop", lifespan=lifespan, debug="error-traces" in flaws)
    app.state.flaws = flaws
    app.state.store = store
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
    app.include_router(make_items_router(config, app.state.limiter, app.state.throttle, flaws))
    app.include_router(make_accounts_router(app.state.limiter, flaws))
    if switches:
        guard = None if "admin-open" in flaws else admin_guard(str(admin_token))
        app.include_router(make_admin_router(switches, guard))

    @app.get("/metrics", include_in_schema=False)
    def metrics_page(request: Request) -> Response:
        # A plain def: FastAPI runs it in a worker thread, so rendering the page
        # never blocks the event loop that serves traffic. A scraper that asks
        # for OpenMetrics gets it, with exemplars (trace ids) on the buckets.
        encoder, content_type = choose_encoder(request.headers.get("accept", ""))
        return Response(encoder(metrics.registry), media_type=content_type)

    # Innermost: behind a Jupyter server's proxy, the prefix goes back into the path for routing only.
    app.add_middleware(JupyterProxyPrefix)
    # A bad release's 500 happens after routing, under its route's name.
    app.add_middleware(ReleaseMiddleware, release=release)
    # Inside the metrics layer, so refused requests are counted and timed like any other.
    app.add_middleware(ControlsMiddleware, controls=controls, clients=clients, metrics=metrics)
    app.add_middleware(MetricsMiddleware, metrics=metrics, excluded_paths=config.excluded_metric_paths)
    app.add_middleware(AccessLogMiddleware, service="shop")
    if config.trusted_proxies:
        # Believe X-Forwarded-For only from these peers, taking the nearest
        # address they did not add themselves; everyone else is who they connect as.
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=list(config.trusted_proxies))
    if "internals-exposed" not in flaws:
        app.add_middleware(LocalOnlyPaths, paths=(*DOCS_PATHS, "/metrics"))
    if is_loopback(config.host) and jupyter_prefix() is None:
        # DNS rebinding: a page on another site, through a name that resolves to 127.0.0.1.
        # Not on a hub or Binder: no browser shares the container's loopback there, and the
        # pages come through the Jupyter server's proxy with its public Host (hosted.py).
        app.add_middleware(TrustedHostMiddleware, allowed_hosts=[*LOOPBACK_HOSTS, *config.allowed_hosts])
    if "security-headers-missing" in flaws:
        app.add_middleware(ServerBannerMiddleware)
    else:
        app.add_middleware(SecurityHeadersMiddleware)
    if "cors-any-origin" in flaws:
        # Any web page may read the shop's answers with the visitor's browser.
        app.add_middleware(CORSMiddleware, allow_origins=["*"], allow_methods=["*"], allow_headers=["*"])
    # Outside the proxy layer: access decisions read the socket's own peer (access.py).
    app.add_middleware(RecordSocketPeer)
    if tracing is not None:
        # Last, so its span wraps every other layer: the metrics and access-log
        # middlewares then run inside the request's span and can read its ids.
        tracing.instrument_app(app, "shop")
    return app
