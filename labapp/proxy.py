"""A small reverse proxy: it forwards to the shop from its own address, as nginx or a load balancer does.

Notebook 08 puts one in front of the shop (the X-Forwarded-For trap); notebook 10
puts one in front of several replicas, picking one per request (round robin).
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

__all__ = ["PROXY_ADDRESS", "RoundRobin", "make_proxy_app"]

# The proxy connects to the shop from this loopback address, so the shop can
# tell proxied requests (and trust their X-Forwarded-For) from direct ones.
PROXY_ADDRESS = "127.0.0.254"  # outside the load generator's client range (127.0.0.2-251)
_IDEMPOTENT = {"GET", "HEAD", "OPTIONS"}
_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "upgrade", "host", "content-length"}


class RoundRobin:
    """The upstreams of a load balancer, taken in turn; the set can change while it serves."""

    def __init__(self, upstreams: Sequence[str] = ()) -> None:
        self._lock = threading.Lock()
        self._upstreams: tuple[str, ...] = ()
        self._turn = itertools.count()
        self.set(upstreams)

    def set(self, upstreams: Sequence[str]) -> None:
        with self._lock:
            self._upstreams = tuple(u.rstrip("/") for u in upstreams)

    @property
    def upstreams(self) -> tuple[str, ...]:
        return self._upstreams

    def __call__(self) -> str:
        upstreams = self._upstreams
        if not upstreams:
            raise LookupError("the load balancer has no upstream to send to")
        return upstreams[next(self._turn) % len(upstreams)]


def make_proxy_app(upstream: str | Callable[[], str], *, source_address: str = PROXY_ADDRESS) -> Starlette:
    """Forward every request to ``upstream`` (a base URL, or a function picking one per request, such
    as :class:`RoundRobin`), appending the caller's address to ``X-Forwarded-For`` the way nginx's
    ``$proxy_add_x_forwarded_for`` does. Real HTTP on both sides."""
    pick = upstream if callable(upstream) else (lambda: upstream)
    client = httpx.AsyncClient(transport=httpx.AsyncHTTPTransport(local_address=source_address), timeout=10.0)

    async def forward(request: Request) -> Response:
        headers = {k: v for k, v in request.headers.items() if k.lower() not in _HOP_BY_HOP}
        peer = request.client.host if request.client else "unknown"
        earlier = request.headers.get("x-forwarded-for")
        headers["x-forwarded-for"] = f"{earlier}, {peer}" if earlier else peer
        body = await request.body()
        # As nginx's proxy_next_upstream: a request that never got an answer (the replica
        # went away) is tried once more on the next upstream, if repeating it is safe.
        tries = 2 if request.method in _IDEMPOTENT and callable(upstream) else 1
        for attempt in range(tries):
            try:
                base = pick()
            except LookupError as exc:
                return Response(f"{exc}\n", status_code=503, headers={"retry-after": "1"})
            try:
                answer = await client.request(
                    request.method, base + request.url.path, params=request.query_params, headers=headers, content=body
                )
            except httpx.TimeoutException:
                return Response(f"gateway timeout: {base} did not answer in time\n", status_code=504)
            except httpx.TransportError as exc:
                if attempt + 1 < tries:
                    continue
                return Response(f"bad gateway: {base} failed ({type(exc).__name__})\n", status_code=502)
            kept = {k: v for k, v in answer.headers.items() if k.lower() not in _HOP_BY_HOP | {"content-encoding"}}
            return Response(answer.content, status_code=answer.status_code, headers=kept)
        raise AssertionError("unreachable: every try returns")

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        await client.aclose()

    methods = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]
    return Starlette(routes=[Route("/{path:path}", forward, methods=methods)], lifespan=lifespan)
