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

    def __init__(self, service: str, outcome: str, detail: str) -> None:
        super().__init__(f"{service}: {outcome} ({detail})")
        self.service = service
        self.outcome = outcome  # "timeout", "unreachable", "error" (5xx) or "rejected" (other)
        self.detail = detail


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
        self, service: str, method: str, path: str, *, expect: Collection[int] = (200,), **kwargs: Any
    ) -> httpx.Response:
        """Call ``service``; return its response if its status is in ``expect``, else raise DownstreamError.

        ``expect`` lists the answers the caller knows how to handle (200, and 404
        for a lookup). Anything else, a 503 or a 429 alike, is the dependency
        failing this call: outcome "error" for 5xx, "rejected" for other statuses.
        """
        start = time.perf_counter()
        outcome = "ok"
        try:
            response = await self.client(service).request(method, path, **kwargs)
            if response.status_code not in expect:
                outcome = "error" if response.status_code >= 500 else "rejected"
                raise DownstreamError(service, outcome, f"HTTP {response.status_code}")
            return response
        except httpx.TimeoutException as exc:
            outcome = "timeout"
            raise DownstreamError(service, outcome, f"no answer within {self.timeouts_s[service]} s") from exc
        except httpx.TransportError as exc:
            outcome = "unreachable"
            raise DownstreamError(service, outcome, type(exc).__name__) from exc
        finally:
            self.metrics.downstream_requests.labels(service, outcome).inc()
            self.metrics.downstream_latency.labels(service).observe(time.perf_counter() - start)

    async def aclose(self) -> None:
        for client in self._clients.values():
            await client.aclose()
        self._clients.clear()
