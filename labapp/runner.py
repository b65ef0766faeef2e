"""Run an ASGI app with uvicorn in a daemon thread.

The socket is bound here, before uvicorn starts, so the port is known at once
and no other process can take it between "find a free port" and "listen".
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import uvicorn
from starlette.types import ASGIApp

from .arguments import whole_number
from .config import LOOPBACK

__all__ = ["ServerThread", "quiet_server_errors", "wait_until_answers"]


class ServerThread:
    """One uvicorn server in one daemon thread.

    >>> server = ServerThread(app, name="catalog").start()
    >>> server.url
    'http://127.0.0.1:54321'
    >>> server.stop()
    """

    def __init__(self, app: ASGIApp, *, name: str, host: str = LOOPBACK, port: int = 0) -> None:
        self.app = app
        self.name = name
        self.host = host
        self.port = whole_number("port", port, minimum=0, maximum=65535)
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self, timeout_s: float = 10.0, ready_path: str | None = None) -> ServerThread:
        """Start serving and return once the server accepts requests.

        Raises RuntimeError if it is not up within ``timeout_s``.
        """
        if self.running:
            return self
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        # proto=IPPROTO_TCP matters: asyncio sets TCP_NODELAY only on sockets
        # whose proto says TCP, and accepted sockets inherit it. With proto=0
        # every small response waits ~40 ms for a delayed ACK (Nagle).
        sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((self.host, self.port))
        except OSError as exc:
            sock.close()
            raise RuntimeError(
                f"{self.name}: cannot listen on {self.host}:{self.port} ({exc.strerror}). "
                "Another program holds that port: stop it, or use port 0 for any free port."
            ) from exc
        self.port = sock.getsockname()[1]
        self._socket = sock
        config = uvicorn.Config(
            self.app,
            log_level="warning",
            lifespan="auto",  # the shop closes its HTTP clients on shutdown
            # uvicorn trusts X-Forwarded-For from 127.0.0.1 by default; in a lab
            # where every client is on loopback that lets any client choose its
            # own address. Proxy trust is a lesson of its own (notebook 08).
            proxy_headers=False,
            access_log=False,
            server_header=False,  # "server: uvicorn" tells an attacker what to try (ZAP 10036)
            http="auto",  # httptools when installed: ~20% more req/s than h11 here
            loop="asyncio",  # not uvloop: it leaves transports for the GC to warn about
            timeout_graceful_shutdown=1,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, name=f"lab-{self.name}", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + timeout_s
        while not self._server.started:
            if not self._thread.is_alive():
                raise RuntimeError(f"{self.name}: the server thread died during start-up")
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"{self.name}: not started within {timeout_s} s")
            time.sleep(0.005)
        if ready_path is not None:
            wait_until_answers(self.url + ready_path, deadline - time.monotonic())
        return self

    def request_stop(self) -> None:
        """Ask the server to exit without waiting (stop many in parallel)."""
        if self._server is not None:
            self._server.should_exit = True

    def stop(self, timeout_s: float = 5.0) -> None:
        """Stop serving, join the thread and release the port."""
        self.request_stop()
        if self._thread is not None:
            self._thread.join(timeout_s)
            if self._thread.is_alive():
                # Open keep-alive connections can delay a graceful exit.
                if self._server is not None:
                    self._server.force_exit = True
                self._thread.join(timeout_s)
        if self._socket is not None:
            self._socket.close()
        self._thread = None
        self._server = None
        self._socket = None

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"<ServerThread {self.name} {self.url} {state}>"


def wait_until_answers(url: str, timeout_s: float) -> None:
    """Poll ``url`` until it answers any HTTP status, or raise after ``timeout_s``."""
    deadline = time.monotonic() + max(timeout_s, 0.1)
    last: Exception | None = None
    with httpx.Client(timeout=1.0) as client:
        while time.monotonic() < deadline:
            try:
                client.get(url)
                return
            except httpx.TransportError as exc:
                last = exc
                time.sleep(0.01)
    raise RuntimeError(f"{url} did not answer within {timeout_s:.1f} s: {last}")


@contextmanager
def quiet_server_errors() -> Iterator[None]:
    """Hide uvicorn's traceback for each unhandled exception while inside the block.

    For the seed's apps, which answer 500 on purpose in some notebooks: one
    traceback per request would bury the cell's output. Everywhere else the
    tracebacks stay: they are how a learner finds a bug.
    """
    logger = logging.getLogger("uvicorn.error")
    previous = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        logger.setLevel(previous)
