"""A prototype, measured by overhead.py: one SERVER span per request from a small pure ASGI layer.

Not the lab's: the shop uses FastAPIInstrumentor (labapp/tracing), as the seed
does. This is the alternative issue 16 names ("one span from a small pure ASGI
layer"), written to learn what it saves before any lesson changes. It keeps
what the lab's evidence reads from a server span (the caller's ``traceparent``
as parent, the name "GET /route", ``http.request.method``, ``http.route``,
``url.path``, ``http.response.status_code``, ``client.address``, an error
status on a 5xx or an exception) and drops the rest FastAPIInstrumentor does
(a second route match to name the span, user agent, host, scheme, flavor,
server address, header capture, the semantic-convention switches).
"""

from __future__ import annotations

from opentelemetry import context, trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.trace import SpanKind, Status, StatusCode
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["LeanSpanMiddleware"]

_PROPAGATOR = TraceContextTextMapPropagator()


class LeanSpanMiddleware:
    """A SERVER span around each HTTP request to ``app``, except ``excluded_paths``."""

    def __init__(
        self,
        app: ASGIApp,
        tracer_provider: TracerProvider,
        excluded_paths: tuple[str, ...] = ("/health", "/ready", "/metrics"),
    ) -> None:
        self.app = app
        self.tracer = tracer_provider.get_tracer("labapp.lean_span")
        self.excluded = frozenset(excluded_paths)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in self.excluded:
            await self.app(scope, receive, send)
            return
        header = next((v for k, v in scope["headers"] if k == b"traceparent"), None)
        parent = _PROPAGATOR.extract({"traceparent": header.decode("latin-1")}) if header else None
        method = scope["method"]
        client = scope.get("client")
        span = self.tracer.start_span(
            method,
            context=parent,
            kind=SpanKind.SERVER,
            attributes={
                "http.request.method": method,
                "url.path": scope["path"],
                "client.address": client[0] if client else "",
            },
        )
        status = 500  # if the app raises before answering, the server sends a 500

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        # The span is current while the app runs: log lines and client spans join its trace.
        token = context.attach(trace.set_span_in_context(span))
        try:
            await self.app(scope, receive, send_wrapper)
        except Exception as exc:
            span.record_exception(exc)
            raise
        finally:
            template = getattr(scope.get("route"), "path", None)  # the router put the matched route here
            if template:
                span.update_name(f"{method} {template}")
                span.set_attribute("http.route", template)
            span.set_attribute("http.response.status_code", status)
            if status >= 500:
                span.set_status(Status(StatusCode.ERROR))
            context.detach(token)
            span.end()
