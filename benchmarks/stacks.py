"""The apps that benchmarks/overhead.py serves: the shop's layers one by one, all together, and their peers.

Every app answers the shop's product route, ``GET /products/{product_id}``,
from memory (no downstream call: the layers are measured, not httpx), with a
handler that takes ``request`` and ``response`` in every variant (slowapi needs
both), so the only difference between two variants is their layers. Layers are
added with the shop's own classes, in the shop's order (``labapp/shop/app.py``):
the limiter on the route, then metrics, access logs, and tracing outermost.

``GET /health`` (never traced, never counted) says how many spans were exported,
so the benchmark can count spans against requests served.

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

__all__ = ["LAYERS", "PEERS", "make_peer", "make_stack"]

# lean_tracing: the prototype in lean_span.py instead of FastAPIInstrumentor (not the shop's; measured only).
LAYERS = ("limiter", "metrics", "logs", "tracing", "lean_tracing")
PEERS = ("seed", "instrumentator", "starlette_exporter", "otel_defaults")
# High enough never to refuse: the limiter's bookkeeping is measured, not its 429s.
NEVER_REACHED = "10000000/second"


class SpanCount(SpanProcessor):
    """Counts the SERVER spans that end (one per request), after the exporter has taken them.

    A counter, because the exporter keeps only the newest 50,000 spans, as in the lab.
    """

    def __init__(self) -> None:
        self.ended = 0

    def on_end(self, span: ReadableSpan) -> None:
        if span.kind is SpanKind.SERVER:
            self.ended += 1


def _app(spans: SpanCount | None) -> FastAPI:
    app = FastAPI()

    @app.get("/health")
    def health() -> dict[str, int]:
        return {"spans": spans.ended if spans is not None else 0}

    return app


def _product_route(app: FastAPI, limit: object = None) -> None:
    async def read_product(request: Request, response: Response, product_id: int) -> dict[str, int]:
        return {"product_id": product_id}

    handler = limit(read_product) if limit is not None else read_product  # type: ignore[operator]
    app.get("/products/{product_id}")(handler)


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
        from labapp.tracing import Tracing

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
        _product_route(app, limiter.limit(NEVER_REACHED))
    else:
        _product_route(app)
    if "metrics" in layers:
        from labapp.telemetry import MetricsMiddleware, ShopMetrics

        app.add_middleware(MetricsMiddleware, metrics=ShopMetrics(), excluded_paths=("/metrics", "/health"))
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
