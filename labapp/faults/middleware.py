"""FaultMiddleware: a service misbehaves at its own door, as a real one would."""

from __future__ import annotations

import asyncio
import json

from starlette.types import ASGIApp, Receive, Scope, Send

from .switch import FaultSwitch

__all__ = ["FaultMiddleware"]


class FaultMiddleware:
    """Pure ASGI middleware that delays or fails requests as ``switch`` says."""

    def __init__(self, app: ASGIApp, switch: FaultSwitch) -> None:
        self.app = app
        self.switch = switch

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        delay, status = self.switch.draw()
        if delay:
            await self._hold(delay)
        if status is None:
            await self.app(scope, receive, send)
            return
        body = json.dumps({"detail": f"injected fault in {self.switch.service}"}).encode()
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
            }
        )
        await send({"type": "http.response.body", "body": body})

    async def _hold(self, delay_s: float) -> None:
        """Sleep ``delay_s``, in steps of at most 0.1 s, ending early once the lab releases the switch."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + delay_s
        while (remaining := deadline - loop.time()) > 0 and not self.switch.released.is_set():
            await asyncio.sleep(min(remaining, 0.1))
