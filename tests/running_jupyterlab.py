"""Start a real JupyterLab for a test: loopback, a token, its own runtime folder; stopped on exit."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx


@dataclass(frozen=True)
class RunningLab:
    base: str
    token: str

    def get(
        self, path: str, *, headers: dict[str, str] | None = None, timeout: float = 10, follow_redirects: bool = False
    ) -> httpx.Response:
        """GET ``path`` under the server's base URL, with its token in a header (a path's own query stays)."""
        headers = {"Authorization": f"token {self.token}", **(headers or {})}
        return httpx.get(self.base + path, headers=headers, timeout=timeout, follow_redirects=follow_redirects)


@contextmanager
def jupyterlab(
    root: Path,
    runtime: Path,
    *options: str,
    token: str = "test-token",
    env: dict[str, str] | None = None,
    base_url: str = "/",
) -> Iterator[RunningLab]:
    """``jupyter lab`` serving ``root`` with ``options`` and ``env`` under ``base_url`` (a hub's is
    ``/user/NAME/``); yields once its API answers (60 s at most)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    command = [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--ip=127.0.0.1", f"--port={port}"]
    command += [f"--IdentityProvider.token={token}", f"--ServerApp.base_url={base_url}", *options]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")  # CI containers run as root
    folders = {"JUPYTER_RUNTIME_DIR": str(runtime), "JUPYTER_CONFIG_DIR": str(runtime / "config")}
    env = {**os.environ, **folders, **(env or {})}
    server = subprocess.Popen(command, cwd=root, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    lab = RunningLab(f"http://127.0.0.1:{port}{base_url.rstrip('/')}", token)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if lab.get("/api/status").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert server.poll() is None, "jupyter lab exited"
            assert time.monotonic() < deadline, "jupyter lab did not answer within 60 s"
            time.sleep(0.2)
        yield lab
    finally:
        server.terminate()
        server.wait(20)
