"""Security headers on every response, the ones ZAP's passive rules look for.

- X-Content-Type-Options: nosniff (ZAP 10021): a browser must not guess a JSON
  body is HTML and run it.
- Content-Security-Policy (ZAP 10038) with frame-ancestors 'none', and
  X-Frame-Options: DENY for older browsers (ZAP 10020): no page may frame the
  shop (clickjacking). An API's JSON needs no scripts at all; /docs needs its
  own scripts and Swagger UI's inline start-up script.
- No Server header naming the software and its version (ZAP 10036): the lab's
  servers run with uvicorn's ``server_header=False``.
"""

from __future__ import annotations

import platform

import uvicorn
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["API_CSP", "DOCS_CSP", "SecurityHeadersMiddleware", "ServerBannerMiddleware"]

API_CSP = "default-src 'none'; frame-ancestors 'none'"
DOCS_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; frame-ancestors 'none'"
)


class SecurityHeadersMiddleware:
    """Pure ASGI: add the headers to every HTTP response the app sends."""

    def __init__(self, app: ASGIApp, docs_prefix: str = "/docs") -> None:
        self.app = app
        self.docs_prefix = docs_prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        csp = DOCS_CSP if scope.get("path", "").startswith(self.docs_prefix) else API_CSP
        extra = [
            (b"x-content-type-options", b"nosniff"),
            (b"x-frame-options", b"DENY"),
            (b"content-security-policy", csp.encode()),
        ]

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, send_with_headers)


class ServerBannerMiddleware:
    """Pure ASGI, the planted flaw ``security-headers-missing``: name the software and its version.

    What uvicorn, gunicorn or nginx do by default: an attacker learns which
    known vulnerabilities to try.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.banner = f"uvicorn/{uvicorn.__version__} Python/{platform.python_version()}".encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_banner(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), (b"server", self.banner)]
            await send(message)

        await self.app(scope, receive, send_with_banner)
