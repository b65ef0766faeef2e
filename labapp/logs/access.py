"""AccessLogMiddleware: one log event per request, as structured fields, not a sentence."""

from __future__ import annotations

import logging
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["ACCESS_LOGGER", "AccessLogMiddleware"]

ACCESS_LOGGER = "labapp.access"


class AccessLogMiddleware:
    """Logs ``request`` at INFO once per answered request of ``service``.

    Fields (``extra``): service, method, route (the template), path, status,
    latency_ms (until the answer starts), client. Pure ASGI, and a straight pass-through while INFO is
    off for the logger, so it costs next to nothing until someone listens.
    """

    def __init__(self, app: ASGIApp, service: str) -> None:
        self.app = app
        self.service = service
        self.log = logging.getLogger(f"{ACCESS_LOGGER}.{service}")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.log.isEnabledFor(logging.INFO):
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        logged = False

        def log_request(status: int) -> None:
            nonlocal logged
            logged = True
            client = scope.get("client")
            self.log.info(
                "request",
                extra={
                    "service": self.service,
                    "method": scope["method"],
                    "route": getattr(scope.get("route"), "path", None),
                    "path": scope["path"],
                    "status": status,
                    "latency_ms": round((time.perf_counter() - start) * 1000, 3),
                    "client": client[0] if client else None,
                },
            )

        async def send_wrapper(message: Message) -> None:
            # Logged as the answer starts, before the caller can read a byte of
            # it: whoever reads the logs after a response finds its line there.
            if message["type"] == "http.response.start":
                log_request(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            if not logged:
                log_request(500)  # the app raised before answering: the server sends a 500
