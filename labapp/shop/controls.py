"""Switches an incident responder flips on a running shop: a deny list, degraded mode, load shedding.

They are what a runbook's actions change (notebook 10). All three act before any
business code runs, and each refusal says why, with a 4xx or a 503 and
``Retry-After``: a client that is refused must know whether to come back.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable

from starlette.types import ASGIApp, Receive, Scope, Send

from ..telemetry import ShopMetrics
from .clients import ClientTracker

__all__ = ["ESSENTIAL_PATHS", "ControlsMiddleware", "ShopControls"]

# Never shed: money (checkout), the probes an orchestrator needs, metrics, and the
# admin's routes. Everything else (browsing, the item list) is low priority.
ESSENTIAL_PATHS = ("/checkout", "/health", "/ready", "/metrics", "/admin")
OPTIONAL_DEPENDENCIES = frozenset({"recommender"})


class ShopControls:
    """The shop's incident switches. Thread-safe: a responder flips them from its own thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._blocked: set[str] = set()
        self._skipped: set[str] = set()
        self._shed_share = 0.0
        self._shed_credit = 0.0

    # -- the deny list ------------------------------------------------------------------

    def block(self, address: str) -> None:
        if not address or not isinstance(address, str):
            raise ValueError(f"block needs a client address such as '127.0.0.7', got {address!r}")
        with self._lock:
            self._blocked.add(address)

    def unblock(self, address: str) -> None:
        with self._lock:
            self._blocked.discard(address)

    @property
    def blocked(self) -> frozenset[str]:
        with self._lock:
            return frozenset(self._blocked)

    def is_blocked(self, address: str) -> bool:
        return address in self._blocked  # a set lookup; a stale read is harmless here

    # -- degraded mode --------------------------------------------------------------------

    def skip(self, dependency: str) -> None:
        """Stop calling a nice-to-have dependency; pages say they are degraded."""
        if dependency not in OPTIONAL_DEPENDENCIES:
            raise ValueError(
                f"only a nice-to-have dependency can be skipped ({sorted(OPTIONAL_DEPENDENCIES)}); "
                f"without {dependency!r} the shop has no page to serve"
            )
        with self._lock:
            self._skipped.add(dependency)

    def unskip(self, dependency: str) -> None:
        with self._lock:
            self._skipped.discard(dependency)

    def skips(self, dependency: str) -> bool:
        return dependency in self._skipped

    @property
    def skipped(self) -> frozenset[str]:
        with self._lock:
            return frozenset(self._skipped)

    # -- load shedding --------------------------------------------------------------------

    @property
    def shed_share(self) -> float:
        return self._shed_share

    def shed(self, share: float) -> None:
        """Refuse this share (0..1) of low-priority requests; 0 stops shedding."""
        if not isinstance(share, (int, float)) or not 0 <= share <= 1:
            raise ValueError(f"shed share must be a fraction from 0 to 1 (0.3 = refuse 30%), got {share!r}")
        with self._lock:
            self._shed_share = float(share)
            self._shed_credit = 0.0

    def should_shed(self) -> bool:
        """Refuse exactly ``shed_share`` of calls, spread evenly (no randomness: the count is exact)."""
        with self._lock:
            if self._shed_share <= 0:
                return False
            self._shed_credit += self._shed_share
            if self._shed_credit >= 1:
                self._shed_credit -= 1
                return True
            return False

    def reset(self) -> None:
        """Everything back to normal."""
        with self._lock:
            self._blocked.clear()
            self._skipped.clear()
            self._shed_share = self._shed_credit = 0.0

    def __repr__(self) -> str:
        return f"ShopControls(blocked={sorted(self.blocked)}, skipped={sorted(self.skipped)}, shed={self._shed_share})"


class ControlsMiddleware:
    """Notes who sent each request, refuses blocked clients (403) and sheds low-priority requests
    (503, Retry-After), all before routing.

    A pure ASGI layer, like the metrics middleware, so it adds almost nothing
    when no switch is on. The client address is the socket's peer, or the one a
    trusted proxy reported (uvicorn's proxy-headers middleware runs outside).
    """

    def __init__(self, app: ASGIApp, controls: ShopControls, clients: ClientTracker, metrics: ShopMetrics) -> None:
        self.app = app
        self.controls = controls
        self.clients = clients
        self.refused = metrics.refused

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        address = client[0] if client else ""
        path: str = scope.get("path", "")
        self.clients.note(address)
        if self.controls.is_blocked(address) and not path.startswith("/admin"):
            self.refused.labels("blocked").inc()
            detail = f"requests from {address} are blocked after abusive traffic; try again later"
            await _answer(send, 403, detail, retry_after_s=60)
            return
        if not path.startswith(ESSENTIAL_PATHS) and self.controls.should_shed():
            self.refused.labels("shed").inc()
            await _answer(
                send, 503, "the shop is shedding low-priority traffic; try again in a second", retry_after_s=1
            )
            return
        await self.app(scope, receive, send)


async def _answer(send: Send, status: int, detail: str, *, retry_after_s: int) -> None:
    body = json.dumps({"detail": detail}).encode()
    headers: Iterable[tuple[bytes, bytes]] = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"retry-after", str(retry_after_s).encode()),
    ]
    await send({"type": "http.response.start", "status": status, "headers": list(headers)})
    await send({"type": "http.response.body", "body": body})
