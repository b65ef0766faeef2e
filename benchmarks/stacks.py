"""The apps that benchmarks/overhead.py serves: the shop's layers one by one, all together, and their peers.

Every app answers the shop's product route, ``GET /products/{product_id}``,
with a handler that takes ``request`` and ``response`` in every variant
(slowapi needs both), so the only difference between two variants is their
layers. ``$OVERHEAD_ROUTE`` says what the handler does:

- ``memory`` (default): answers from memory, no downstream call: the layers
  against the cheapest route there is;
- ``page``: the shop's own product page (``labapp.shop.routes.product_page``):
  the catalog and the recommender over real HTTP, through the shop's
  ``Downstream`` (timeouts, dependency metrics), at the URLs in
  ``$OVERHEAD_CATALOG_URL`` and ``$OVERHEAD_RECOMMENDER_URL`` (``make_dependency``
  serves them, in another process). With tracing, the calls get CLIENT spans and
  the page its two business spans, as in the shop.

Layers are added with the shop's own classes, in the shop's order
(``labapp/shop/app.py``): the limiter on the route, then metrics, access logs,
and tracing outermost.

``GET /health`` (never traced, never counted) says how many spans were exported
(SERVER spans, and all spans) and how many pages were served degraded, so the benchmark can count spans
against requests served and check every page was whole.

The layers come from the environment, because uvicorn calls a factory with no
arguments::

    OVERHEAD_LAYERS=metrics,tracing uvicorn --app-dir benchmarks stacks:make_stack --factory

``$OVERHEAD_SAMPLE_RATIO`` (default 1.0) is the tracing layer's sample ratio.
"""

from __future__ import annotations

import os

from fastapi import FastAPI, Request, Response
from opentelemetry.sdk.trace import ReadableSpan, SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from labapp.telemetry import ShopMetrics
from labapp.tracing import Tracing

__all__ = ["LAYERS", "PEERS", "ROUTES", "make_dependency", "make_peer", "make_stack"]

# lean_tracing: the prototype in lean_span.py instead of FastAPIInstrumentor (not the shop's; measured only).
LAYERS = ("limiter", "metrics", "logs", "tracing", "lean_tracing")
PEERS = ("seed", "instrumentator", "starlette_exporter", "otel_defaults")
ROUTES = ("memory", "page")
# High enough never to refuse: the limiter's bookkeeping is measured, not its 429s.
NEVER_REACHED = "10000000/second"


class SpanCount(SpanProcessor):
    """Counts the spans that end, after the exporter has taken them: SERVER spans (one per request) and all.

    A counter, because the exporter keeps only the newest 50,000 spans, as in the lab.
    """

    def __init__(self) -> None:
        self.ended = 0
        self.all_ended = 0  # the page's business and CLIENT spans too

    def on_end(self, span: ReadableSpan) -> None:
        self.all_ended += 1
        if span.kind is SpanKind.SERVER:
            self.ended += 1


def _route() -> str:
    route = os.environ.get("OVERHEAD_ROUTE", "memory")
    if route not in ROUTES:
        raise ValueError(f"OVERHEAD_ROUTE={route!r}: use one of {ROUTES}")
    return route


def _app(spans: SpanCount | None) -> FastAPI:
    app = FastAPI()
    app.state.degraded = 0
    app.state.metrics = ShopMetrics()  # the metrics layer's, and the page's dependency-call metrics

    @app.get("/health")
    def health() -> dict[str, int]:
        ended = (spans.ended, spans.all_ended) if spans is not None else (0, 0)
        return {"spans": ended[0], "all_spans": ended[1], "degraded": app.state.degraded}

    return app


def _product_route(app: FastAPI, limit: object = None, tracing: Tracing | None = None) -> None:
    if _route() == "page":
        _shop_state(app, tracing)
        from labapp.shop.routes import product_page

        async def read_product(request: Request, response: Response, product_id: int) -> dict[str, object]:
            page = await product_page(request, product_id)
            app.state.degraded += bool(page["degraded"])  # a fallback page is cheaper: counted, not hidden
            return page

    else:

        async def read_product(request: Request, response: Response, product_id: int) -> dict[str, object]:
            return {"product_id": product_id}

    handler = limit(read_product) if limit is not None else read_product  # type: ignore[operator]
    app.get("/products/{product_id}")(handler)


def _shop_state(app: FastAPI, tracing: Tracing | None) -> None:
    """What the shop's product page reads from ``app.state``, set as ``make_shop_app`` sets it."""
    from opentelemetry.trace import NoOpTracer

    from labapp.config import LabConfig
    from labapp.shop.controls import ShopControls
    from labapp.shop.downstream import Downstream

    config = LabConfig()
    urls = {"catalog": os.environ["OVERHEAD_CATALOG_URL"], "recommender": os.environ["OVERHEAD_RECOMMENDER_URL"]}
    timeouts = {"catalog": config.catalog_timeout_s, "recommender": config.recommender_timeout_s}
    instrument = (lambda client, peer: tracing.instrument_client(client, "shop", peer)) if tracing else None
    # The dependency calls' own metrics are part of the page in every variant (the shop always keeps them).
    app.state.downstream = Downstream(urls, timeouts, app.state.metrics, instrument=instrument)
    app.state.tracer = tracing.tracer("shop") if tracing else NoOpTracer()
    app.state.controls = ShopControls()
    app.state.flaws = frozenset()
    app.state.recommendations_cache = None


def make_dependency() -> FastAPI:
    """The lab's catalog or recommender, named in ``$OVERHEAD_SERVICE``, with no fault: what ``page`` calls."""
    from labapp.faults import FaultSwitch
    from labapp.services import make_catalog_app, make_recommender_app

    service = os.environ.get("OVERHEAD_SERVICE", "")
    factories = {"catalog": make_catalog_app, "recommender": make_recommender_app}
    if service not in factories:
        raise ValueError(f"OVERHEAD_SERVICE={service!r}: use one of {sorted(factories)}")
    return factories[service](FaultSwitch(service))


def make_stack() -> FastAPI:
    """The product route with the layers named in ``$OVERHEAD_LAYERS`` (comma-separated, from LAYERS)."""
    layers = {name for name in os.environ.get("OVERHEAD_LAYERS", "").split(",") if name}
    unknown = layers - set(LAYERS)
    if unknown:
        raise ValueError(f"OVERHEAD_LAYERS: unknown {sorted(unknown)}; use names from {LAYERS}")
    if {"tracing", "lean_tracing"} <= layers:
        raise ValueError("OVERHEAD_LAYERS: tracing or lean_tracing, not both")
    tracing, spans = None, None
    if layers & {"tracing", "lean_tracing"}:
        # The lab's: every span kept in memory, the newest 50,000. $OVERHEAD_SAMPLE_RATIO keeps a share of traces.
        tracing, spans = Tracing(float(os.environ.get("OVERHEAD_SAMPLE_RATIO", "1.0"))), SpanCount()
        tracing.provider("shop").add_span_processor(spans)
    app = _app(spans)
    app.state.tracing = tracing
    if "limiter" in layers:
        from labapp.config import LabConfig
        from labapp.ratelimit import make_limiter

        limiter = make_limiter(LabConfig(items_limit=NEVER_REACHED))
        app.state.limiter = limiter
        _product_route(app, limiter.limit(NEVER_REACHED), tracing)
    else:
        _product_route(app, tracing=tracing)
    if "metrics" in layers:
        from labapp.telemetry import MetricsMiddleware

        app.add_middleware(MetricsMiddleware, metrics=app.state.metrics, excluded_paths=("/metrics", "/health"))
    if "logs" in layers:
        from labapp.logs import AccessLogMiddleware, LogCapture

        # What lab.capture_logs() does: JSON lines, trace ids added, secrets redacted, kept in memory.
        app.state.log_capture = LogCapture(max_lines=1_000).start()
        app.add_middleware(AccessLogMiddleware, service="shop")
    if tracing is not None and "lean_tracing" in layers:
        from lean_span import LeanSpanMiddleware

        app.add_middleware(LeanSpanMiddleware, tracer_provider=tracing.provider("shop"))
    elif tracing is not None:
        tracing.instrument_app(app, "shop")
    return app


def make_peer() -> FastAPI:
    """A well-known alternative named in ``$OVERHEAD_PEER`` (from PEERS), on the same route."""
    peer = os.environ.get("OVERHEAD_PEER", "")
    if peer == "seed":
        if _route() != "memory":
            raise ValueError("the seed's app has its own product route: measure it with OVERHEAD_ROUTE=memory")
        from prometheus_client import CollectorRegistry

        from labapp.seed import make_seed_app

        return make_seed_app(CollectorRegistry())
    if peer == "otel_defaults":
        # FastAPIInstrumentor as its README shows it: receive and send spans included.
        from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

        spans = SpanCount()
        provider = TracerProvider()
        provider.add_span_processor(SimpleSpanProcessor(InMemorySpanExporter(max_spans=50_000)))
        provider.add_span_processor(spans)
        app = _app(spans)
        _product_route(app)
        FastAPIInstrumentor.instrument_app(app, tracer_provider=provider, excluded_urls="/health")
        return app
    app = _app(None)
    _product_route(app)
    if peer == "instrumentator":
        from prometheus_client import CollectorRegistry
        from prometheus_fastapi_instrumentator import Instrumentator

        Instrumentator(registry=CollectorRegistry(), excluded_handlers=["/health"]).instrument(app)
    elif peer == "starlette_exporter":
        from starlette_exporter import PrometheusMiddleware

        app.add_middleware(PrometheusMiddleware, skip_paths=["/health"])
    else:
        raise ValueError(f"OVERHEAD_PEER={peer!r}: use one of {PEERS}")
    return app
