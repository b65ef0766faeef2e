"""Who may reach what: the socket's real peer, the lab's admin secret, and pages for this machine only.

A proxy layer (``trusted_proxies``) rewrites ``request.client`` to the address in
X-Forwarded-For, which is right for rate limits and logs but wrong for access
control: a header must never turn a remote caller into a loopback one. So the
outermost layer records the address the socket really came from, and every
access decision here reads that.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Collection

from fastapi import HTTPException, Request
from starlette.types import ASGIApp, Receive, Scope, Send

from ..config import is_loopback

__all__ = [
    "LOOPBACK_HOSTS",
    "LocalOnlyPaths",
    "RecordSocketPeer",
    "admin_guard",
    "new_admin_token",
    "socket_peer",
]

# The Host names a server bound to loopback answers to. Anything else is a page
# on another site reaching it through DNS rebinding (a name that resolves to 127.0.0.1).
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "[::1]")  # as Starlette parses the Host header
_SOCKET_PEER = "socket_peer"


class RecordSocketPeer:
    """Pure ASGI: keep the socket's peer address before any proxy layer rewrites the client."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            client = scope.get("client")
            scope.setdefault("state", {})[_SOCKET_PEER] = client[0] if client else ""
        await self.app(scope, receive, send)


def socket_peer(request: Request) -> str:
    """The address the connection came from, whatever the headers say ("" if unknown: refused)."""
    return _peer_of(request.scope)


def _peer_of(scope: Scope) -> str:
    return str(scope.get("state", {}).get(_SOCKET_PEER, ""))


class LocalOnlyPaths:
    """Pure ASGI: paths (and everything under them) that answer 404 to callers not on this machine.

    The API docs, its schema and /metrics describe the service's insides; an
    outside caller gets the same 404 as for a page that does not exist.
    """

    def __init__(self, app: ASGIApp, paths: Collection[str]) -> None:
        self.app = app
        self.paths = tuple(paths)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        local = any(path == p or path.startswith(p.rstrip("/") + "/") for p in self.paths)
        if local and not is_loopback(_peer_of(scope)):
            body = b'{"detail":"Not Found"}'
            headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
            await send({"type": "http.response.start", "status": 404, "headers": headers})
            await send({"type": "http.response.body", "body": body})
            return
        await self.app(scope, receive, send)


def new_admin_token() -> str:
    """A fresh per-lab secret for the fault-control routes (32 random bytes, URL-safe)."""
    return secrets.token_urlsafe(32)


def admin_guard(token: str) -> Callable[[Request], None]:
    """A dependency: the caller must be on this machine *and* hold this lab's ``token``.

    Loopback alone is not enough where learners share a host (a JupyterHub with
    a local spawner): every learner's kernel is on the same 127.0.0.1.
    """
    if len(token) < 16:
        raise ValueError("the admin token must be at least 16 characters; use new_admin_token()")
    expected = token.encode()

    def require_admin(request: Request) -> None:
        if not is_loopback(socket_peer(request)):
            raise HTTPException(403, "admin routes answer only to callers on this machine (loopback)")
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        # compare_digest: the time taken does not tell how much of a guess was right.
        if scheme.lower() != "bearer" or not secrets.compare_digest(given.strip().encode(), expected):
            raise HTTPException(
                401,
                "admin routes need this lab's secret as 'Authorization: Bearer <secret>': "
                "`python -m labapp serve` prints it; in a notebook, lab.admin(...) sends it",
                headers={"WWW-Authenticate": "Bearer"},
            )

    return require_admin
