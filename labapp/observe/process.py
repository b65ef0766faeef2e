"""A server binary the lab runs for a lesson: Prometheus, Alertmanager, Redis.

Each gets its own temporary directory (config, data, log), a free loopback
port, a readiness probe with a deadline, and a clean stop; processes still
running when the interpreter exits are stopped then. Subclasses say what to
write and how to start: ``prepare(workdir)`` and ``command(workdir)``.
"""

from __future__ import annotations

import atexit
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import weakref
from pathlib import Path
from typing import Self

import httpx

from .. import hosted

__all__ = ["EMBEDDED_ENV", "ManagedProcess", "find_binary", "free_port"]

# Set to 1 to act as if no Prometheus, Alertmanager or promtool were installed:
# the lab then runs its embedded scraper and evaluator (CI tests both modes).
EMBEDDED_ENV = "LABAPP_EMBEDDED"

_LIVE: weakref.WeakSet[ManagedProcess] = weakref.WeakSet()
_LIVE_LOCK = threading.Lock()


def find_binary(*names: str) -> str | None:
    """The first of ``names`` on PATH, or None (always None when LABAPP_EMBEDDED=1)."""
    if os.environ.get(EMBEDDED_ENV, "") not in ("", "0"):
        return None
    for name in names:
        found = shutil.which(name)
        if found:
            return found
    return None


def free_port(host: str) -> int:
    """A port nothing listens on now. (The binary binds it itself, a moment later.)"""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


class ManagedProcess:
    """Start, wait until ready, stop: the shape every external server in the lab has."""

    name = "server"  # used in messages, the temp dir prefix and the log file name
    ready_path = "/-/ready"
    has_web_ui = False  # True: in lab.pages() and the JupyterLab launcher, proxied on a hub (Prometheus)

    def __init__(self, binary: str, host: str) -> None:
        self.binary = binary
        self.host = host
        self.port = 0
        self._dir: tempfile.TemporaryDirectory[str] | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._client: httpx.Client | None = None
        self._page: int | None = None
        self._path = ""  # where it serves on its port: "" or, on a hub, the proxy path (web_flags)

    # -- what a subclass provides -------------------------------------------

    def prepare(self, workdir: Path) -> None:
        """Write what the process reads (its config) into ``workdir``."""

    def command(self, workdir: Path) -> list[str]:
        raise NotImplementedError

    def is_ready(self) -> bool:
        """Whether the process serves yet: by default, ``ready_path`` answers 200."""
        try:
            return self._http().get(self.url + self.ready_path).status_code == 200
        except httpx.TransportError:
            return False

    def web_flags(self) -> list[str]:
        """Behind a Jupyter server's proxy (a hub, Binder): serve under the path the browser uses.

        jupyter-server-proxy's ``proxy/absolute/PORT/`` forwards the whole path and leaves
        redirects alone, so the server must serve at that path (its external URL, which
        is also its route prefix) and writes it into every link, asset and redirect.
        (The plain ``proxy/PORT/`` strips the prefix but adds it to every redirect, and a
        server that knows its external URL then sends the browser to the prefix twice.)
        On your own machine: no flags, the browser opens ``http://127.0.0.1:PORT`` itself.
        """
        if not self._path:
            return []
        return [f"--web.external-url={self._path}/"]

    # -- lifecycle ---------------------------------------------------------

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}{self._path}"

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    @property
    def version(self) -> str:
        out = subprocess.run([self.binary, "--version"], capture_output=True, text=True, timeout=10)
        return (out.stdout or out.stderr).split("\n")[0]

    def start(self, timeout_s: float = 20.0) -> Self:
        """Start the process and return once ``ready_path`` answers 200."""
        if self.running:
            return self
        self._client = httpx.Client(timeout=10.0)
        self._dir = tempfile.TemporaryDirectory(prefix=f"lab-{self.name}-")
        workdir = Path(self._dir.name)
        self.port = free_port(self.host)
        self._path = hosted.absolute_proxy_path(self.port) if self.has_web_ui else ""
        self.prepare(workdir)
        with open(workdir / f"{self.name}.log", "wb") as log:
            self._process = subprocess.Popen(
                self.command(workdir), stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=workdir
            )
        with _LIVE_LOCK:
            _LIVE.add(self)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                text = self.log()[-2000:]
                self.stop()
                raise RuntimeError(f"{self.name} exited at start-up:\n{text}")
            if self.is_ready():
                if self.has_web_ui:
                    self._page = hosted.announce(self.name, self.url)
                return self
            time.sleep(0.02)
        self.stop()
        raise RuntimeError(f"{self.name} was not ready within {timeout_s} s")

    def stop(self) -> None:
        """Stop the process, delete its temp dir, close the HTTP client. Safe to call twice."""
        if self._page is not None:
            hosted.withdraw(self._page)
            self._page = None
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(5)
            self._process = None
        if self._dir is not None:
            self._dir.cleanup()
            self._dir = None
        if self._client is not None:
            self._client.close()
            self._client = None
        with _LIVE_LOCK:
            _LIVE.discard(self)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def log(self) -> str:
        """What the process logged so far (the lab starts it at warning level)."""
        if self._dir is None:
            return ""
        path = Path(self._dir.name) / f"{self.name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def _http(self) -> httpx.Client:
        if self._client is None or self._process is None:
            raise RuntimeError(f"{self.name} is not running: call start() first")
        return self._client


@atexit.register
def _stop_all() -> None:
    # A kernel that exits normally must not leave server processes behind.
    with _LIVE_LOCK:
        servers = list(_LIVE)
    for server in servers:
        server.stop()
