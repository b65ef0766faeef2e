"""A small reverse proxy for notebook 08: it forwards to the shop from its own address."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

__all__ = ["PROXY_ADDRESS", "make_proxy_app"]

# The proxy connects to the shop from this loopback address, so the shop can
# tell proxied requests (and trust their X-Forwarded-For) from direct ones.
PROXY_ADDRESS = "127.0.0.254"  # outside the load generator's client range (127.0.0.2-251)
_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "upgrade", "host", "content-length"}


def make_proxy_app(upstream: str, *, source_address: str = PROXY_ADDRESS) -> Starlette:
    """Forward every request to ``upstream``, appending the caller's address to ``X-Forwarded-For``
    the way nginx's ``$proxy_add_x_forwarded_for`` does. Real HTTP on both sides."""
    client = httpx.AsyncClient(
        base_url=upstream, transport=httpx.AsyncHTTPTransport(local_address=source_address), timeout=10.0
    )

    async def forward(request: Request) -> Response:
        headers = {k: v for k, v in request.headers.items() if k.lower() not in _HOP_BY_HOP}
        peer = request.client.host if request.client else "unknown"
        earlier = request.headers.get("x-forwarded-for")
        headers["x-forwarded-for"] = f"{earlier}, {peer}" if earlier else peer
        answer = await client.request(
            request.method, request.url.path, params=request.query_params, headers=headers, content=await request.body()
        )
        kept = {k: v for k, v in answer.headers.items() if k.lower() not in _HOP_BY_HOP | {"content-encoding"}}
        return Response(answer.content, status_code=answer.status_code, headers=kept)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        await client.aclose()

    methods = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]
    return Starlette(routes=[Route("/{path:path}", forward, methods=methods)], lifespan=lifespan)
