"""Which release of the shop is running, and the two bugs a bad release can ship (notebook 12).

A game day needs faults that live in the shop's own code, not in a dependency:

- a route that fails after doing its work (a bad deploy: ``/items`` answers 500
  for a share of requests while every other route is fine), and
- a metric labelled by the raw URL path instead of the route template (a
  cardinality explosion: one new series per product page a crawler visits).

``rollback()`` puts the previous release back, which is the mitigation a real
team reaches for first after a bad deploy.
"""

from __future__ import annotations

import json
import logging
import random
import threading
import time
from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["BASE_VERSION", "ReleaseMiddleware", "ShopRelease"]

BASE_VERSION = "v1"
logger = logging.getLogger("labapp.shop.release")


@dataclass(frozen=True)
class Deploy:
    """One change of release: when (Unix seconds) and which version."""

    at: float
    version: str


class ShopRelease:
    """The running version and its bugs. Shared by every replica; thread-safe."""

    def __init__(self, seed: int = 0) -> None:
        self._lock = threading.Lock()
        self._rng = random.Random(seed)
        self.version = BASE_VERSION
        self.broken_route: str | None = None
        self.error_share = 0.0
        self.path_labels = False
        self.history: list[Deploy] = [Deploy(time.time(), BASE_VERSION)]
        self._page_views: Counter | None = None
        self._registries: list[CollectorRegistry] = []

    def deploy(
        self, version: str, *, broken_route: str | None = None, error_share: float = 0.0, path_labels: bool = False
    ) -> None:
        """Roll out ``version``: ``broken_route`` (a route template such as ``/items``) fails
        ``error_share`` of its requests with a 500; ``path_labels`` adds a page-view counter
        labelled by the raw path."""
        if not version or version == BASE_VERSION:
            raise ValueError(f"give the new release a name other than {BASE_VERSION!r}, e.g. 'v2'")
        if broken_route is not None and not broken_route.startswith("/"):
            raise ValueError(f"broken_route is a route template such as '/items', got {broken_route!r}")
        if not 0.0 <= error_share <= 1.0:
            raise ValueError(f"error_share is a share between 0 and 1, got {error_share}")
        with self._lock:
            self.version = version
            self.broken_route = broken_route
            self.error_share = float(error_share)
            self.path_labels = path_labels
            self.history.append(Deploy(time.time(), version))
            self._set_page_views(path_labels)

    def rollback(self) -> None:
        """Back to the base release: no bugs, and the page-view series gone (a restart drops them)."""
        with self._lock:
            if self.version == BASE_VERSION:
                return
            self.version = BASE_VERSION
            self.broken_route = None
            self.error_share = 0.0
            self.path_labels = False
            self.history.append(Deploy(time.time(), BASE_VERSION))
            self._set_page_views(False)

    def reset(self) -> None:
        """The base release, and no shop registries remembered (the lab starts new shops)."""
        self.rollback()
        with self._lock:
            self._registries.clear()

    def attach(self, registry: CollectorRegistry) -> None:
        """Let a shop's registry carry the page-view counter while a release has it."""
        with self._lock:
            self._registries.append(registry)
            if self._page_views is not None:
                registry.register(self._page_views)

    def fails(self, route: str | None) -> bool:
        """Whether this request on ``route`` hits the release's bug."""
        if route is None or route != self.broken_route:
            return False
        with self._lock:
            return self._rng.random() < self.error_share

    def count_view(self, path: str) -> None:
        views = self._page_views
        if views is not None:
            views.labels(path).inc()

    def _set_page_views(self, on: bool) -> None:
        # Called with the lock held.
        if on and self._page_views is None:
            self._page_views = Counter(
                "shop_page_views",
                "Page views by path (release bug: the raw path, not the route)",
                ["path"],
                registry=None,
            )
            for registry in self._registries:
                registry.register(self._page_views)
        elif not on and self._page_views is not None:
            for registry in self._registries:
                registry.unregister(self._page_views)
            self._page_views = None

    def __repr__(self) -> str:
        bugs = []
        if self.broken_route:
            bugs.append(f"{self.broken_route} fails {self.error_share:.0%}")
        if self.path_labels:
            bugs.append("page views labelled by raw path")
        return f"<ShopRelease {self.version}" + (f": {'; '.join(bugs)}>" if bugs else ">")


class ReleaseMiddleware:
    """Plays the running release's bugs. Innermost, so the router has named the route
    (``scope["route"]``) by the time the answer starts, and the metrics layer outside
    counts a failed request under its own route."""

    def __init__(self, app: ASGIApp, release: ShopRelease) -> None:
        self.app = app
        self.release = release

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        release = self.release
        if scope["type"] != "http" or (release.broken_route is None and not release.path_labels):
            await self.app(scope, receive, send)
            return
        if release.path_labels and scope["path"].startswith("/products/"):
            release.count_view(scope["path"])
        failing = False

        async def send_wrapper(message: Message) -> None:
            nonlocal failing
            if message["type"] == "http.response.start":
                route = getattr(scope.get("route"), "path", None)
                failing = release.fails(route)
                if failing:
                    # The new release's bug: it crashes while rendering the answer.
                    logger.error(
                        "unhandled error rendering response",
                        extra={"release": release.version, "route": route, "error": "KeyError: 'price_cents'"},
                    )
                    body = json.dumps({"detail": "Internal Server Error"}).encode()
                    await send(
                        {
                            "type": "http.response.start",
                            "status": 500,
                            "headers": [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))],
                        }
                    )
                    await send({"type": "http.response.body", "body": body})
                    return
            elif failing:
                return  # the original body is dropped with its start
            await send(message)

        await self.app(scope, receive, send_wrapper)
