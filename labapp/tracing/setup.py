"""Tracing: one TracerProvider per service, every span kept in memory for the notebook.

Why not the seed's ``trace.set_tracer_provider(...)``? The global provider can be
set once per process: re-running the cell only logs "Overriding of current
TracerProvider is not allowed", and the second ``add_span_processor`` lands on
the first provider, so every span is exported twice. Here each lab owns its
providers and passes them explicitly (``tracer_provider=``); a new lab gets
new ones and nothing global changes.

Why one provider per service? A provider carries one Resource, and the
Resource's ``service.name`` is how a trace viewer tells the shop's spans from
the catalog's. In production each service is its own process with its own
provider; here four services share one kernel, so they get one each.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping

import httpx
from fastapi import FastAPI
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.sampling import ParentBased, Sampler, TraceIdRatioBased
from opentelemetry.trace import Span, Tracer

from .spans import SpanRecord, incomplete_traces, to_records

__all__ = ["EXCLUDED_URLS", "Tracing"]

# The stable HTTP attribute names (http.request.method, http.route, url.full):
# read once, when the first instrumentation starts, so set before any.
os.environ.setdefault("OTEL_SEMCONV_STABILITY_OPT_IN", "http")

# Regexes searched in the full URL, so anchored: an unanchored "health" would
# also drop "/healthz" and "/products?q=health".
EXCLUDED_URLS = r"/(health|ready|metrics)(\?.*)?$"


class Tracing:
    """The spans of one lab: every service's, in one in-memory exporter.

    >>> tracing = Tracing(sample_ratio=0.25)
    >>> lab = Lab(tracing=tracing).start()
    >>> tracing.records()            # SpanRecord per finished span

    ``sample_ratio`` is decided once, at the root of each trace; every other
    span follows its parent's decision (``ParentBased``), so a trace is kept
    whole or not at all. ``samplers`` overrides the sampler of named services,
    for example to show what a service that ignores its parent does.
    """

    def __init__(
        self,
        sample_ratio: float = 1.0,
        *,
        samplers: Mapping[str, Sampler] | None = None,
        max_spans: int = 50_000,
    ) -> None:
        if not isinstance(sample_ratio, (int, float)) or not 0.0 <= sample_ratio <= 1.0:
            raise ValueError(f"sample_ratio is the fraction of traces kept, from 0.0 to 1.0; got {sample_ratio!r}")
        if max_spans < 1:
            raise ValueError(f"max_spans must be at least 1, got {max_spans}")
        self.sample_ratio = float(sample_ratio)
        self.samplers = dict(samplers or {})
        self.max_spans = max_spans
        # The newest max_spans only: a minute of load on the product page makes
        # ~50,000 spans (~100 MB), and the kernel must not grow with the run.
        self.exporter = InMemorySpanExporter(max_spans=max_spans)
        self._providers: dict[str, TracerProvider] = {}

    def provider(self, service: str) -> TracerProvider:
        """The TracerProvider whose spans say ``service.name=<service>``."""
        if service not in self._providers:
            sampler = self.samplers.get(service, ParentBased(TraceIdRatioBased(self.sample_ratio)))
            provider = TracerProvider(
                sampler=sampler,
                resource=Resource.create({"service.name": service}),
                shutdown_on_exit=False,  # the lab shuts it down when it stops
            )
            # Simple (export at span end), not Batch: the notebook reads spans
            # right after a request, and a batch would still be waiting.
            provider.add_span_processor(SimpleSpanProcessor(self.exporter))
            self._providers[service] = provider
        return self._providers[service]

    def tracer(self, service: str) -> Tracer:
        """A tracer for manual spans in ``service``'s code."""
        return self.provider(service).get_tracer(f"labapp.{service}")

    def instrument_app(self, app: FastAPI, service: str) -> None:
        """One SERVER span per request to ``app``.

        Call it before the app serves its first request: afterwards the
        middleware stack is built, and instrumenting yields no spans and no error.
        """
        FastAPIInstrumentor.instrument_app(
            app,
            tracer_provider=self.provider(service),
            excluded_urls=EXCLUDED_URLS,
            exclude_spans=["receive", "send"],  # two internal spans per request that say little
            # Record the header the caller sent, so the notebook can show it arrived.
            http_capture_headers_server_request=["traceparent"],
        )

    def instrument_client(
        self, client: httpx.Client | httpx.AsyncClient, service: str, peer: str | None = None
    ) -> None:
        """One CLIENT span per call ``service`` makes, and a ``traceparent`` header on it.

        ``peer`` names the service called: the span is then named "GET catalog"
        rather than "GET", and carries ``peer.service``.
        """

        def name_peer(span: Span) -> None:
            if peer is not None and span.is_recording():
                span.update_name(f"{span.name} {peer}")  # type: ignore[attr-defined]  # SDK spans have a name
                span.set_attribute("peer.service", peer)

        # httpx instrumentation calls an async hook for an AsyncClient and a
        # plain one for a Client, and silently skips a hook of the other kind.
        async def async_hook(span: Span, request: object) -> None:
            name_peer(span)

        def sync_hook(span: Span, request: object) -> None:
            name_peer(span)

        hook = async_hook if isinstance(client, httpx.AsyncClient) else sync_hook
        HTTPXClientInstrumentor.instrument_client(client, tracer_provider=self.provider(service), request_hook=hook)

    def client(self, service: str = "notebook", **options: object) -> httpx.Client:
        """A traced ``httpx.Client`` for the notebook: its requests start traces."""
        client = httpx.Client(**options)  # type: ignore[arg-type]
        self.instrument_client(client, service, peer="shop")
        return client

    def records(self, wait_s: float = 2.0) -> list[SpanRecord]:
        """Every finished span so far, oldest first (the newest ``max_spans``: older ones are dropped).

        Waits up to ``wait_s`` for traces still missing spans (see
        :func:`incomplete_traces`), then returns what there is.
        """
        deadline = time.monotonic() + wait_s
        while True:
            records = to_records(self.exporter.get_finished_spans())
            if not incomplete_traces(records) or time.monotonic() >= deadline:
                return records
            time.sleep(0.01)

    def clear(self) -> None:
        """Forget every span recorded so far."""
        self.exporter.clear()

    def shutdown(self) -> None:
        """Stop every provider (the lab does this when it stops); the spans stay readable."""
        if not self._providers:
            return
        for provider in self._providers.values():
            provider.shutdown()  # shuts the exporter down too: it refuses spans from now on
        self._providers.clear()
        # A lab started again with this Tracing gets new providers: give them an
        # exporter that takes spans, holding the ones recorded so far.
        kept = self.exporter.get_finished_spans()
        self.exporter = InMemorySpanExporter(max_spans=self.max_spans)
        self.exporter.export(kept)

    def __repr__(self) -> str:
        return f"<Tracing sample_ratio={self.sample_ratio} services={sorted(self._providers)}>"
