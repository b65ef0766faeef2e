"""How the shop calls its dependencies: real HTTP, an explicit timeout each, and metrics."""

from __future__ import annotations

import ssl
import time
from collections.abc import Callable, Collection, Mapping
from typing import Any

import httpx

from ..telemetry import ShopMetrics

__all__ = ["Downstream", "DownstreamError"]


class DownstreamError(Exception):
    """A dependency did not give a usable answer; ``outcome`` says how."""

    def __init__(self, service: str, outcome: str, detail: str, *, may_have_acted: bool = True) -> None:
        super().__init__(f"{service}: {outcome} ({detail})")
        self.service = service
        # "timeout", "unreachable", "error" (5xx), "rejected" (other statuses) or "invalid" (a 200 the
        # shop cannot read: not JSON, cut short, or missing what it needs)
        self.outcome = outcome
        self.detail = detail
        # False only when the request cannot have reached the dependency (no connection was made) or it
        # answered that it did nothing (a status code). A read that timed out or a connection dropped
        # mid-answer may follow a charge made: the caller must not promise the customer otherwise.
        self.may_have_acted = may_have_acted


class Downstream:
    """One ``httpx.AsyncClient`` per dependency, each with its own timeout.

    A client keeps its connections open between requests (connection pooling),
    so it must live as long as the app, not one request.
    """

    def __init__(
        self,
        urls: Mapping[str, str],
        timeouts_s: Mapping[str, float],
        metrics: ShopMetrics,
        instrument: Callable[[httpx.AsyncClient, str], None] | None = None,
    ) -> None:
        self.urls = dict(urls)
        self.timeouts_s = dict(timeouts_s)
        self.metrics = metrics
        self.instrument = instrument  # e.g. tracing: a CLIENT span and a traceparent header per call
        self._clients: dict[str, httpx.AsyncClient] = {}
        # Built once here, not per client: loading CA certificates takes ~10 ms
        # of CPU, which would stall the event loop on the first requests.
        self._tls = ssl.create_default_context()

    def client(self, service: str) -> httpx.AsyncClient:
        # Created on first use, inside the server's event loop that will use it.
        if service not in self._clients:
            self._clients[service] = httpx.AsyncClient(
                base_url=self.urls[service],
                timeout=httpx.Timeout(self.timeouts_s[service]),
                verify=self._tls,
                limits=httpx.Limits(max_connections=200, max_keepalive_connections=50),
            )
            if self.instrument is not None:
                self.instrument(self._clients[service], service)
        return self._clients[service]

    async def call(
        self,
        service: str,
        method: str,
        path: str,
        *,
        expect: Collection[int] = (200,),
        fields: Collection[str] = (),
        **kwargs: Any,
    ) -> httpx.Response:
        """Call ``service``; return its response if its status is in ``expect``, else raise DownstreamError.

        ``expect`` lists the answers the caller knows how to handle (200, and 404
        for a lookup). Anything else, a 503 or a 429 alike, is the dependency
        failing this call: outcome "error" for 5xx, "rejected" for other statuses.
        A 200 must be a JSON object with every one of ``fields``; a page of HTML
        from a misrouted proxy, JSON cut short, or ``{"error": ...}`` is outcome
        "invalid", so the caller answers clearly instead of crashing with a 500.
        """
        start = time.perf_counter()
        outcome = "ok"
        try:
            response = await self.client(service).request(method, path, **kwargs)
            if response.status_code not in expect:
                outcome = "error" if response.status_code >= 500 else "rejected"
                raise DownstreamError(service, outcome, f"HTTP {response.status_code}", may_have_acted=False)
            problem = _unreadable(response, fields) if response.status_code == 200 else None
            if problem is not None:
                outcome = "invalid"
                raise DownstreamError(service, outcome, problem)
            return response
        except httpx.TimeoutException as exc:
            outcome = "timeout"
            detail = f"no answer within {self.timeouts_s[service]} s"
            raise DownstreamError(service, outcome, detail, may_have_acted=not _never_sent(exc)) from exc
        except httpx.TransportError as exc:
            outcome = "unreachable"
            raise DownstreamError(service, outcome, type(exc).__name__, may_have_acted=not _never_sent(exc)) from exc
        finally:
            self.metrics.downstream_requests.labels(service, outcome).inc()
            self.metrics.downstream_latency.labels(service).observe(time.perf_counter() - start)

    async def aclose(self) -> None:
        for client in self._clients.values():
            await client.aclose()
        self._clients.clear()


def _never_sent(exc: httpx.TransportError) -> bool:
    """No connection was made (refused, or none free in the pool): the dependency never saw the request."""
    return isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout)


def _unreadable(response: httpx.Response, fields: Collection[str]) -> str | None:
    """Why a 200 is no use to the shop (not JSON, not an object, fields missing), or None if it is."""
    kind = response.headers.get("content-type", "")
    if "json" not in kind:
        return f"content type {kind or 'none'!r}, not JSON"
    try:
        body = response.json()
    except ValueError:
        return f"JSON that does not parse ({len(response.content)} bytes)"
    if not isinstance(body, dict):
        return f"a JSON {type(body).__name__}, not an object"
    missing = [name for name in fields if name not in body]
    return f"no {', '.join(missing)} in the answer" if missing else None
