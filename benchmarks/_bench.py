"""Helpers shared by the benchmark scripts: wrk runs, server processes, /proc readings."""

from __future__ import annotations

import argparse
import ctypes
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Sequence
from pathlib import Path

HERE = Path(__file__).resolve().parent
LUA = HERE / "products.lua"
LOOPBACK = "127.0.0.1"
WRK = "/usr/bin/wrk"
CLK_TCK = os.sysconf("SC_CLK_TCK")
_PR_SET_PDEATHSIG = 1


def free_port() -> int:
    with socket.socket() as s:
        s.bind((LOOPBACK, 0))
        return s.getsockname()[1]


def _die_with_parent() -> None:
    """In the child before exec: get SIGTERM if the benchmark process dies (even by SIGKILL)."""
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    except OSError:
        pass


def cpu_seconds(pid: int) -> float:
    """utime + stime of ``pid`` (all its threads), in seconds, from /proc/PID/stat."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()  # after "pid (comm) "; field 3 is fields[0]
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # fields 14 and 15 of stat(5)


def http_get(url: str, timeout: float = 5.0) -> tuple[int, bytes]:
    with urllib.request.urlopen(url, timeout=timeout) as r:  # noqa: S310 (loopback only)
        return r.status, r.read()


def wait_until_answers(url: str, proc: subprocess.Popen | None = None, timeout_s: float = 20.0) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode} before answering {url}")
        try:
            http_get(url, timeout=1.0)
            return
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError(f"{url} did not answer within {timeout_s} s") from None
            time.sleep(0.05)


class ServerProcess:
    """``uvicorn --factory <module>:<factory>`` in its own process, pinned with taskset.

    ``env`` adds environment variables, ``extra`` uvicorn options (``["--workers", "2"]``).
    """

    def __init__(
        self,
        factory: str,
        cpu: str = "0",
        module: str = "apps",
        env: dict[str, str] | None = None,
        extra: Sequence[str] = (),
    ) -> None:
        self.factory = factory
        self.port = free_port()
        self.url = f"http://{LOOPBACK}:{self.port}"
        cmd = [
            "taskset", "-c", cpu,
            sys.executable, "-m", "uvicorn", f"{module}:{factory}", "--factory",
            "--app-dir", str(HERE),
            "--host", LOOPBACK, "--port", str(self.port),
            "--log-level", "warning", "--no-access-log",
            "--no-proxy-headers", "--lifespan", "off", *extra,
        ]  # fmt: skip
        # taskset execs python, so proc.pid is the server's own pid.
        self.proc = subprocess.Popen(
            cmd, stdin=subprocess.DEVNULL, preexec_fn=_die_with_parent, env={**os.environ, **(env or {})}
        )

    @property
    def pid(self) -> int:
        return self.proc.pid

    def wait_ready(self, path: str = "/products/1") -> None:
        wait_until_answers(self.url + path, self.proc)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)

    def __enter__(self) -> ServerProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def run_wrk(url: str, duration_s: float, connections: int = 32, cpu: str | None = "1", max_id: int = 1000) -> dict:
    """Run wrk (one thread) against ``url`` with products.lua; return its JSON summary."""
    cmd = [
        WRK,
        "-t1",
        f"-c{connections}",
        f"-d{max(1, round(duration_s))}s",
        "--latency",
        "--timeout",
        "5s",
        "-s",
        str(LUA),
        url,
        "--",
        str(max_id),
    ]
    if cpu is not None:
        cmd = ["taskset", "-c", cpu, *cmd]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=duration_s + 30, preexec_fn=_die_with_parent)
    for line in out.stdout.splitlines():
        if line.startswith("WRK_JSON "):
            result = json.loads(line[len("WRK_JSON ") :])
            result["rps"] = result["requests"] / (result["duration_us"] / 1e6)
            return result
    raise RuntimeError(f"wrk gave no summary (rc {out.returncode}): {out.stdout}\n{out.stderr}")


def record_under_wrk(server: ServerProcess, duration_s: int, rate: int, out: Path, connections: int = 32) -> dict:
    """py-spy samples of ``server`` (raw stacks, full file names, into ``out``) while wrk loads it.

    py-spy runs on core 1 beside wrk and does not pause the server
    (``--nonblocking``). Returns wrk's summary plus ``cpu_s``, the server's CPU
    seconds over the recording.
    """
    pyspy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    cpu0 = cpu_seconds(server.pid)
    spy = subprocess.Popen(
        ["taskset", "-c", "1", pyspy, "record", "--pid", str(server.pid), "--rate", str(rate),
         "--duration", str(duration_s), "--format", "raw", "--nonblocking", "--full-filenames",
         "--output", str(out)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, preexec_fn=_die_with_parent,
    )  # fmt: skip
    result: dict = {}
    load = threading.Thread(target=lambda: result.update(run_wrk(server.url, duration_s + 1, connections)))
    load.start()
    _, err = spy.communicate(timeout=duration_s + 60)
    load.join()
    if spy.returncode != 0:
        raise RuntimeError(f"py-spy failed (rc {spy.returncode}): {err}")
    result["cpu_s"] = cpu_seconds(server.pid) - cpu0
    return result


def install_sigterm_as_interrupt() -> None:
    """Turn SIGTERM into KeyboardInterrupt so ``finally`` blocks run and servers get stopped."""

    def handler(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, handler)


def cpu_steal_seconds(cpu: int = 0) -> float:
    """Time the hypervisor took from ``cpu`` (steal column of /proc/stat), in seconds."""
    for line in Path("/proc/stat").read_text().splitlines():
        if line.startswith(f"cpu{cpu} "):
            return int(line.split()[8]) / CLK_TCK
    return 0.0


def wrk_parser(doc: str) -> argparse.ArgumentParser:
    """A parser with the options every wrk benchmark takes: rounds, duration, warm-up, connections."""
    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=int, default=5, help="seconds of measured load per run")
    parser.add_argument("--warmup", type=int, default=1, help="seconds of unmeasured load per server")
    parser.add_argument("--connections", type=int, default=32)
    return parser
