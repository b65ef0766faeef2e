"""Scaling out: shop replicas behind a round-robin load balancer, added and removed while traffic flows.

    clients -> balancer (127.0.0.1:B, connects from 127.0.0.254) -> shop-1, shop-2, ...

Every replica is a real server with its own metrics registry (Prometheus sees
one ``instance`` per replica); they share the incident switches and the
per-client counts, as replicas share a deny list and a rate limiter's store in
production. Each trusts the balancer's ``X-Forwarded-For``, so the deny list
and the top-talkers metric see the real client, not the balancer.

In the lab all replicas live in one Python process and share its CPU: a new
replica adds an event loop (room for requests that wait on dependencies), not
a core. In production a new replica is a new process on more hardware.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from starlette.types import ASGIApp

from ..arguments import whole_number
from ..config import LOOPBACK
from ..proxy import RoundRobin, make_proxy_app
from ..runner import ServerThread

__all__ = ["ShopReplicas"]


class ShopReplicas:
    """A balancer and 1..``max_replicas`` shop replicas, each built by ``build()``.

    ``on_change(urls)`` is called with the replicas' URLs after every change,
    so a watcher can scrape the new set (service discovery).
    """

    def __init__(
        self,
        build: Callable[[], ASGIApp],
        *,
        host: str = LOOPBACK,
        max_replicas: int = 4,
        start_timeout_s: float = 10.0,
        on_change: Callable[[list[str]], None] | None = None,
    ) -> None:
        # At most 16: each is a server in this kernel.
        whole_number("max_replicas", max_replicas, minimum=1, maximum=16)
        self._build = build
        self.host = host
        self.max_replicas = max_replicas
        self.start_timeout_s = start_timeout_s
        self.on_change = on_change
        self._pool = RoundRobin()
        self._replicas: list[ServerThread] = []
        self._numbers = iter(range(1, 1_000_000))
        self._lock = threading.Lock()
        self.balancer = ServerThread(make_proxy_app(self._pool), name="balancer", host=host)

    def start(self, replicas: int = 1) -> ShopReplicas:
        """Start the balancer and ``replicas`` replicas behind it."""
        whole_number("replicas", replicas, minimum=1, maximum=self.max_replicas)
        self.balancer.start(self.start_timeout_s)
        for _ in range(replicas):
            self.add()
        return self

    @property
    def url(self) -> str:
        """Where clients send traffic: the balancer."""
        return self.balancer.url

    @property
    def urls(self) -> list[str]:
        """The replicas' own URLs (what a watcher scrapes)."""
        return [server.url for server in self._replicas]

    def __len__(self) -> int:
        return len(self._replicas)

    def add(self) -> str:
        """Start one more replica and send it its share of traffic; return its URL."""
        with self._lock:
            if len(self._replicas) >= self.max_replicas:
                raise RuntimeError(f"already {len(self._replicas)} replicas, the most this lab allows")
            server = ServerThread(self._build(), name=f"shop-{next(self._numbers)}", host=self.host)
            server.start(self.start_timeout_s, ready_path="/health")
            self._replicas.append(server)
            self._changed()
            return server.url

    def remove(self) -> str:
        """Take the newest replica out of the balancer, then stop it; return its URL. One always stays."""
        with self._lock:
            if len(self._replicas) <= 1:
                raise RuntimeError("one replica always stays: there would be no shop left to serve")
            server = self._replicas.pop()
            self._changed()  # no new requests go to it from here on ...
        server.stop()  # ... and uvicorn lets the ones in flight finish
        return server.url

    def _changed(self) -> None:
        self._pool.set(self.urls)
        if self.on_change is not None:
            self.on_change(self.urls)

    def stop(self) -> None:
        self.balancer.stop()
        with self._lock:
            for server in self._replicas:
                server.stop()
            self._replicas.clear()

    def __repr__(self) -> str:
        return f"<ShopReplicas balancer {self.balancer.url}: {len(self)} replicas {self.urls}>"
