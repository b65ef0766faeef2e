"""A real JupyterHub classroom on this machine: N learners run the same notebooks at the same time.

    pip install -r requirements-dev.txt                                # jupyterhub, into the venv
    npm install --prefix .npm-tools configurable-http-proxy@4          # the hub's proxy (or have it on PATH)
    python benchmarks/classroom.py [--learners 4] [--notebook 00_start_here --notebook 04_error_rates_and_alerts]
                                   [--timeout 300] [--spawn-timeout 120] [--json] [--log hub.log]

A jupyterhub_config.py is written into a temp dir (sqlite database, cookie secret, proxy pid file and the
learners' homes all live there) and the venv's `jupyterhub` runs on free 127.0.0.1 ports with
configurable-http-proxy, the built-in shared-password authenticator (DummyAuthenticator's password is
deprecated since JupyterHub 5.3) and SimpleLocalProcessSpawner: every learner runs as the current user,
with home TEMP/home/NAME holding a copy of notebooks/ and data/, on the venv's jupyterhub-singleuser.

Through the hub's REST API (a service token) it creates the learners, gives each a token of its own, and
starts every server at once; spawn s is from the POST until the server answers through the proxy with
the learner's token. Then each notebook in turn runs for every learner at the same time (the next
notebook starts when all learners finished this one): a kernel per learner made through their own
server (/user/NAME/api/kernels), each code cell sent as an execute_request over the kernel websocket,
stopping at the first error, a dead kernel, or --timeout.

Per learner and notebook: peak RSS of the learner's process tree (single-user server, kernel, and what the
kernel starts: Prometheus, Alertmanager, promtool), sampled from /proc every 0.25 s and summed (shared pages
count once per process, as in notebook_memory.py); CPU s of that tree over the run (utime+stime+cutime+
cstime of every live process: children the tree reaped are counted, none twice); wall s from asking for the
kernel to the last cell's reply. For the machine: peak memory in use and CPU busy % per notebook. The
hub's and proxy's own RSS and CPU too. `--json` prints everything as one JSON object on the last line.

Servers, hub, proxy and the temp dir are removed on exit, on Ctrl-C and on SIGTERM; any process of a
learner's tree still alive after the hub stopped is killed by its pid. Linux only (/proc).
tests/test_classroom.py uses this module for the two-learner isolation check.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import secrets
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import nbformat
from _bench import _die_with_parent, free_port, install_sigterm_as_interrupt
from notebook_memory import children, rss_mib
from tornado.httpclient import HTTPRequest
from tornado.websocket import WebSocketClientConnection, websocket_connect

ROOT = Path(__file__).resolve().parents[1]
# Not resolved: in a venv, sys.executable is .venv/bin/python (a symlink), and the hub must come from there.
VENV_BIN = Path(sys.executable).parent
LOOPBACK = "127.0.0.1"
PROXY = "configurable-http-proxy"
DEFAULT_NOTEBOOKS = ["00_start_here", "04_error_rates_and_alerts"]
SERVICE = "classroom"  # the hub service whose token drives the REST API
CLK_TCK = os.sysconf("SC_CLK_TCK")
ANSI = re.compile(r"\x1b\[[0-9;]*m")  # IPython colours its tracebacks


# -- finding the tools --------------------------------------------------------------------------------


def find_hub() -> str | None:
    """The venv's jupyterhub, if it and jupyterhub-singleuser are there: learners' kernels need this Python."""
    hub, single = VENV_BIN / "jupyterhub", VENV_BIN / "jupyterhub-singleuser"
    return str(hub) if hub.exists() and single.exists() else None


def find_proxy() -> str | None:
    """configurable-http-proxy on PATH, else the repo-local npm install in .npm-tools/ (it needs node)."""
    if shutil.which("node") is None:
        return None
    local = ROOT / ".npm-tools" / "node_modules" / ".bin" / PROXY
    return shutil.which(PROXY) or (str(local) if local.exists() else None)


def missing_tools() -> str | None:
    """Why a classroom cannot run here, or None when it can."""
    if sys.platform != "linux":
        return "the classroom reads /proc: Linux only"
    if find_hub() is None:
        return f"jupyterhub is not installed in {VENV_BIN.parent} (pip install -r requirements-dev.txt)"
    if find_proxy() is None:
        return f"{PROXY} not found on PATH nor in .npm-tools (npm install --prefix .npm-tools {PROXY}@4; needs node)"
    return None


# -- /proc readings -----------------------------------------------------------------------------------


def _stat_fields(pid: int) -> list[str]:
    stat = Path(f"/proc/{pid}/stat").read_text()
    return stat[stat.rindex(")") + 2 :].split()  # after "pid (comm) "; stat(5) field 3 is [0]


def start_time(pid: int) -> int | None:
    """When ``pid`` started (clock ticks since boot): a pid and its start time name one process, even if pids wrap."""
    try:
        return int(_stat_fields(pid)[19])
    except (OSError, IndexError, ValueError):
        return None


def cpu_with_reaped(pid: int) -> float:
    """utime+stime of ``pid`` plus cutime+cstime: the CPU of the children it already waited for (0 if gone)."""
    try:
        f = _stat_fields(pid)
        return sum(int(x) for x in f[11:15]) / CLK_TCK
    except (OSError, IndexError, ValueError):
        return 0.0


def cpu_own(pid: int) -> float:
    try:
        f = _stat_fields(pid)
        return (int(f[11]) + int(f[12])) / CLK_TCK
    except (OSError, IndexError, ValueError):
        return 0.0


def machine_memory_used_mib() -> float:
    info = dict(line.split(":", 1) for line in Path("/proc/meminfo").read_text().splitlines())
    return (int(info["MemTotal"].split()[0]) - int(info["MemAvailable"].split()[0])) / 1024


def machine_cpu_seconds() -> tuple[float, float]:
    """(busy, steal) CPU seconds of all cores since boot: busy is user+nice+system+irq+softirq."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:9]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = values
    return (user + nice + system + irq + softirq) / CLK_TCK, steal / CLK_TCK


@dataclass
class _Watched:
    root: int
    descend: bool  # False: the process alone (the hub's cutime would count the learners' servers it reaped)
    peak_mib: float = 0.0
    cpu_at_begin: float = 0.0


class TreeSampler:
    """Every ``interval_s``: the RSS summed over each watched process tree, keeping a peak per key.

    CPU needs no sampling: :meth:`begin` and :meth:`end` read it whole, children reaped included.
    ``seen`` is every process met in a tree (pid -> start time), for the cleanup sweep.
    """

    def __init__(self, interval_s: float = 0.25) -> None:
        self.interval_s = interval_s
        self.seen: dict[int, int] = {}
        self._watched: dict[str, _Watched] = {}
        self._lock = threading.Lock()
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="tree-sampler", daemon=True)
        self._machine_peak = 0.0
        self._machine_at_begin = (0.0, 0.0, 0.0, 0.0)

    def start(self) -> TreeSampler:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._done.set()
        if self._thread.is_alive():
            self._thread.join(5)

    def watch(self, key: str, root: int, *, descend: bool = True) -> None:
        with self._lock:
            self._watched[key] = _Watched(root, descend)

    def _pids(self, w: _Watched) -> list[int]:
        pids = [w.root, *children(w.root)] if w.descend else [w.root]
        for pid in pids:
            started = start_time(pid)
            if started is not None:
                self.seen.setdefault(pid, started)
        return pids

    def _cpu(self, w: _Watched) -> float:
        # Children reaped by a live member are in its cutime; live ones are read themselves: none counted twice.
        return sum(cpu_with_reaped(p) for p in self._pids(w)) if w.descend else cpu_own(w.root)

    def _sample(self) -> None:
        with self._lock:
            for w in self._watched.values():
                w.peak_mib = max(w.peak_mib, sum(rss_mib(p) for p in self._pids(w)))
            self._machine_peak = max(self._machine_peak, machine_memory_used_mib())

    def _loop(self) -> None:
        while not self._done.wait(self.interval_s):
            self._sample()

    def begin(self, key: str) -> None:
        """Start a measurement window for ``key``: peak RSS from now, CPU counted from now."""
        with self._lock:
            w = self._watched[key]
            w.peak_mib = sum(rss_mib(p) for p in self._pids(w))
            w.cpu_at_begin = self._cpu(w)

    def end(self, key: str) -> tuple[float, float]:
        """(peak RSS MiB, CPU s) of ``key`` since :meth:`begin`."""
        self._sample()
        with self._lock:
            w = self._watched[key]
            return w.peak_mib, self._cpu(w) - w.cpu_at_begin

    def _classroom_cpu(self) -> float:
        """CPU s of everything the classroom runs: every watched tree, and this process."""
        mine = os.times()
        return sum(self._cpu(w) for w in self._watched.values()) + mine.user + mine.system

    def begin_machine(self) -> None:
        with self._lock:
            self._machine_peak = machine_memory_used_mib()
            self._machine_at_begin = (time.monotonic(), *machine_cpu_seconds(), self._classroom_cpu())

    def end_machine(self) -> dict[str, float]:
        """The machine since :meth:`begin_machine`: peak MiB in use; busy % and steal % of all cores,
        and how much of busy was not the classroom (another job on the machine skews the numbers)."""
        self._sample()
        with self._lock:
            ours = self._classroom_cpu()
        started, busy0, steal0, ours0 = self._machine_at_begin
        busy, steal = machine_cpu_seconds()
        capacity = (time.monotonic() - started) * (os.cpu_count() or 1)
        return {
            "peak_used_mib": round(self._machine_peak),
            "cpu_busy_pct": round(100 * (busy - busy0) / capacity, 1),
            "cpu_others_pct": round(max(0.0, 100 * ((busy - busy0) - (ours - ours0)) / capacity), 1),
            "cpu_steal_pct": round(100 * (steal - steal0) / capacity, 1),
        }


# -- the hub --------------------------------------------------------------------------------------------


@dataclass
class Hub:
    """A running hub: its public URL (the proxy), the service token, its process and temp dir."""

    url: str
    token: str
    proc: subprocess.Popen[bytes]
    workdir: Path
    sampler: TreeSampler

    @property
    def log(self) -> Path:
        return self.workdir / "jupyterhub.log"

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no hub log)"

    def api(self, timeout_s: float = 30.0) -> httpx.AsyncClient:
        """A client for the hub's REST API as the classroom service (admin over users and servers)."""
        return httpx.AsyncClient(
            base_url=f"{self.url}/hub/api", headers={"Authorization": f"token {self.token}"}, timeout=timeout_s
        )


def write_config(workdir: Path, *, token: str, spawn_timeout_s: float) -> tuple[Path, str]:
    """jupyterhub_config.py for a loopback-only hub whose state all lives in ``workdir``; returns (path, url)."""
    url = f"http://{LOOPBACK}:{free_port()}"
    password = secrets.token_urlsafe(12)  # nobody logs in by browser here; the authenticator needs one
    settings: dict[str, Any] = {
        "JupyterHub.bind_url": url,
        "JupyterHub.hub_bind_url": f"http://{LOOPBACK}:{free_port()}",
        "ConfigurableHTTPProxy.api_url": f"http://{LOOPBACK}:{free_port()}",
        "ConfigurableHTTPProxy.command": [find_proxy()],
        "ConfigurableHTTPProxy.pid_file": str(workdir / "proxy.pid"),
        "JupyterHub.db_url": f"sqlite:///{workdir / 'jupyterhub.sqlite'}",
        "JupyterHub.cookie_secret_file": str(workdir / "jupyterhub_cookie_secret"),
        # The built-in dummy authenticator with a password (DummyAuthenticator.password is deprecated).
        "JupyterHub.authenticator_class": "shared-password",
        "SharedPasswordAuthenticator.user_password": password,
        "Authenticator.allow_all": True,
        # Every learner is this user with a home of its own; no system accounts needed.
        "JupyterHub.spawner_class": "simple",
        "SimpleLocalProcessSpawner.home_dir_template": str(workdir / "home" / "{username}"),
        "Spawner.cmd": [str(VENV_BIN / "jupyterhub-singleuser")],
        "Spawner.args": ["--allow-root"] if os.geteuid() == 0 else [],  # CI runs as root
        "Spawner.ip": LOOPBACK,
        "Spawner.disable_user_config": True,
        "Spawner.start_timeout": int(spawn_timeout_s),
        "Spawner.http_timeout": int(spawn_timeout_s),
        "JupyterHub.services": [{"name": SERVICE, "api_token": token}],
        "JupyterHub.load_roles": [
            {
                "name": SERVICE,
                "scopes": ["admin:users", "admin:servers", "tokens", "access:servers"],
                "services": [SERVICE],
            }
        ],
    }
    path = workdir / "jupyterhub_config.py"
    lines = ["# Written by benchmarks/classroom.py: a throwaway hub on loopback.", "c = get_config()  # noqa: F821"]
    path.write_text("\n".join([*lines, *(f"c.{k} = {v!r}" for k, v in settings.items())]) + "\n")
    return path, url


@contextmanager
def running_hub(
    *, spawn_timeout_s: float = 120.0, ready_timeout_s: float = 60.0, keep_log: Path | None = None
) -> Iterator[Hub]:
    """Run jupyterhub (and its proxy) in a new temp dir; on exit stop it, its servers and remove the dir.
    ``keep_log``: where to copy the hub's log (the servers' and kernels' stderr too) before the dir goes."""
    reason = missing_tools()
    if reason:
        raise RuntimeError(reason)
    workdir = Path(tempfile.mkdtemp(prefix="classroom-"))
    token = secrets.token_hex(32)
    # PATH: the venv first, so the servers' kernels and `jupyter` helpers are the venv's.
    env = {**os.environ, "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    try:
        config, url = write_config(workdir, token=token, spawn_timeout_s=spawn_timeout_s)
        with open(workdir / "jupyterhub.log", "wb") as log:
            proc = subprocess.Popen(
                [str(find_hub()), "-f", str(config)],
                cwd=workdir, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                preexec_fn=_die_with_parent,
            )  # fmt: skip
    except BaseException:
        shutil.rmtree(workdir, ignore_errors=True)
        raise
    hub = Hub(url, token, proc, workdir, TreeSampler().start())
    try:
        hub.sampler.watch("hub", proc.pid, descend=False)
        _wait_for_hub(hub, ready_timeout_s)
        for pid in children(proc.pid):  # before any spawn, the hub's only child is the proxy
            hub.sampler.watch("proxy", pid, descend=False)
        yield hub
    finally:
        _stop_hub(hub, keep_log)


def _wait_for_hub(hub: Hub, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        if hub.proc.poll() is not None:
            raise RuntimeError(f"jupyterhub exited with {hub.proc.returncode}:\n{hub.log_tail()}")
        with suppress(httpx.TransportError):
            # Through the proxy: answers once both the proxy and the hub are up.
            if httpx.get(f"{hub.url}/hub/api/", timeout=2).status_code == 200:
                return
        if time.monotonic() > deadline:
            raise RuntimeError(f"jupyterhub did not answer within {timeout_s} s:\n{hub.log_tail()}")
        time.sleep(0.1)


def _stop_hub(hub: Hub, keep_log: Path | None = None) -> None:
    """SIGTERM the hub (it stops every server and the proxy), then kill what is left by pid, then the dir."""
    hub.sampler.stop()
    if hub.proc.poll() is None:
        hub.proc.send_signal(signal.SIGTERM)
        try:
            hub.proc.wait(60)  # a server gets SIGINT, 10 s, SIGTERM, 5 s, SIGKILL from the spawner
        except subprocess.TimeoutExpired:
            hub.proc.kill()
            hub.proc.wait(10)
    # Anything of a learner's tree the hub missed (an orphaned Prometheus, a server of a killed hub).
    left = [pid for pid, started in hub.sampler.seen.items() if start_time(pid) == started]
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for pid in left:
            with suppress(ProcessLookupError):
                os.kill(pid, sig)
        deadline = time.monotonic() + 5
        while left and time.monotonic() < deadline:
            left = [pid for pid in left if start_time(pid) == hub.sampler.seen[pid]]
            time.sleep(0.05)
    if keep_log is not None:
        with suppress(OSError):
            shutil.copyfile(hub.log, keep_log)
    shutil.rmtree(hub.workdir, ignore_errors=True)


# -- learners and their servers -----------------------------------------------------------------------------


@dataclass
class Learner:
    name: str
    token: str  # the learner's own hub token: opens their server, nobody else's
    server_url: str  # through the proxy: HUB/user/NAME
    spawn_s: float = 0.0
    pid: int = 0  # the single-user server: root of the learner's process tree

    def client(self, timeout_s: float = 60.0) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            base_url=self.server_url, headers={"Authorization": f"token {self.token}"}, timeout=timeout_s
        )


def copy_course(home: Path) -> None:
    """What a learner's home holds: the notebooks, and data/ so the notebooks' ../data links resolve.
    (labapp itself reads data/ from the installed package's checkout.)"""
    ignore = shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__")
    for folder in ("notebooks", "data"):
        shutil.copytree(ROOT / folder, home / folder, ignore=ignore)


async def add_learners(hub: Hub, names: Sequence[str]) -> list[Learner]:
    """Create the users, their homes, and a token for each that can reach only that user's server."""
    for name in names:
        copy_course(hub.workdir / "home" / name)
    async with hub.api() as api:
        created = await api.post("/users", json={"usernames": list(names)})
        created.raise_for_status()
        learners = []
        for name in names:
            scopes = [f"access:servers!user={name}"]
            answer = await api.post(f"/users/{name}/tokens", json={"note": SERVICE, "scopes": scopes})
            answer.raise_for_status()
            learners.append(Learner(name, answer.json()["token"], f"{hub.url}/user/{name}"))
    return learners


async def spawn(hub: Hub, learner: Learner, timeout_s: float) -> None:
    """Start the learner's server; spawn_s ends when it answers the learner through the proxy."""
    started = time.monotonic()
    deadline = started + timeout_s
    async with hub.api() as api, learner.client(timeout_s=10) as own:
        answer = await api.post(f"/users/{learner.name}/server")
        if answer.status_code not in (201, 202):
            raise RuntimeError(f"spawning {learner.name}: {answer.status_code} {answer.text}\n{hub.log_tail()}")
        while True:
            model = (await api.get(f"/users/{learner.name}")).json()
            server = model.get("servers", {}).get("")
            if server and server.get("ready"):
                learner.pid = int(server.get("state", {}).get("pid", 0))
                with suppress(httpx.TransportError):
                    if (await own.get("/api/status")).status_code == 200:
                        break
            elif not server and model.get("pending") is None and time.monotonic() - started > 1:
                raise RuntimeError(f"{learner.name}'s server stopped while starting:\n{hub.log_tail()}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"{learner.name}'s server was not ready within {timeout_s} s:\n{hub.log_tail()}")
            await asyncio.sleep(0.1)
    learner.spawn_s = time.monotonic() - started
    if not learner.pid:
        raise RuntimeError(f"the hub did not say {learner.name}'s server pid")
    hub.sampler.watch(learner.name, learner.pid)


async def spawn_all(hub: Hub, learners: Sequence[Learner], timeout_s: float) -> None:
    """Every learner at once, as a class arriving does."""
    await asyncio.gather(*(spawn(hub, learner, timeout_s) for learner in learners))


# -- kernels over the websocket ---------------------------------------------------------------------------------


@dataclass
class CellResult:
    status: str  # "ok" or "error"
    stdout: str
    error: str | None


def _message(msg_type: str, content: dict[str, Any], session: str) -> dict[str, Any]:
    header = {
        "msg_id": uuid.uuid4().hex,
        "msg_type": msg_type,
        "session": session,
        "username": SERVICE,
        "date": datetime.now(UTC).isoformat(),
        "version": "5.3",
    }
    return {"header": header, "parent_header": {}, "metadata": {}, "content": content, "channel": "shell"}


def _describe_error(content: dict[str, Any]) -> str:
    """ "Name: value at `the failing line`": a bare `assert` has an empty value, so the line says which."""
    text = f"{content.get('ename', 'Error')}: {content.get('evalue', '')}".rstrip()
    arrows = [ANSI.sub("", line) for line in content.get("traceback", []) for line in line.splitlines()]
    arrows = [line.split("---->", 1)[1].strip() for line in arrows if "---->" in line]
    return f"{text} at `{arrows[-1].split(' ', 1)[-1].strip()}`" if arrows else text


def _decode(raw: str | bytes) -> dict[str, Any]:
    if isinstance(raw, str):
        return json.loads(raw)
    # A message with binary buffers (widgets): jupyter_server's framing is a count, offsets, the JSON, the buffers.
    count = struct.unpack_from("!I", raw)[0]
    offsets = struct.unpack_from(f"!{count}I", raw, 4)
    return json.loads(raw[offsets[0] : offsets[1] if count > 1 else len(raw)])


class Kernel:
    """A kernel in a learner's own server, started through its REST API and driven over its websocket."""

    def __init__(self, learner: Learner, kernel_id: str, ws: WebSocketClientConnection) -> None:
        self.learner, self.id, self.ws = learner, kernel_id, ws
        self.session = uuid.uuid4().hex

    @classmethod
    async def start(cls, learner: Learner, path: str = "notebooks", timeout_s: float = 60.0) -> Kernel:
        """A python3 kernel whose working directory is ``path`` in the learner's home.
        The websocket opens once the kernel answers: on a busy machine that alone can take tens of seconds."""
        async with learner.client(timeout_s) as own:
            answer = await own.post("/api/kernels", json={"name": "python3", "path": path})
            answer.raise_for_status()
            kernel_id = answer.json()["id"]
        ws_url = learner.server_url.replace("http://", "ws://", 1) + f"/api/kernels/{kernel_id}/channels"
        request = HTTPRequest(
            ws_url,
            headers={"Authorization": f"token {learner.token}"},
            connect_timeout=timeout_s,
            request_timeout=timeout_s,
        )
        try:
            ws = await websocket_connect(request, max_message_size=64 * 1024 * 1024)
        except BaseException:
            # Not left running beside the next notebook's kernel.
            async with learner.client(timeout_s) as own:
                with suppress(httpx.HTTPError):
                    await own.delete(f"/api/kernels/{kernel_id}")
            raise
        return cls(learner, kernel_id, ws)

    async def execute(self, code: str, timeout_s: float) -> CellResult:
        """Run ``code``; return once its reply and its outputs are in (the kernel went idle for it)."""
        request = _message(
            "execute_request",
            {"code": code, "silent": False, "store_history": True, "user_expressions": {}, "allow_stdin": False,
             "stop_on_error": True},
            self.session,
        )  # fmt: skip
        msg_id = request["header"]["msg_id"]
        await self.ws.write_message(json.dumps(request))
        reply: dict[str, Any] | None = None
        idle, error = False, None
        stdout: list[str] = []
        async with asyncio.timeout(timeout_s):
            while reply is None or not idle:
                raw = await self.ws.read_message()
                if raw is None:
                    return CellResult("error", "".join(stdout), "the kernel's websocket closed")
                msg = _decode(raw)
                kind, content = msg.get("msg_type") or msg["header"]["msg_type"], msg.get("content", {})
                if kind == "status" and content.get("execution_state") in ("restarting", "dead"):
                    # The server restarts a kernel that died (out of memory, say): this run is lost.
                    return CellResult("error", "".join(stdout), f"the kernel died ({content['execution_state']})")
                if msg.get("parent_header", {}).get("msg_id") != msg_id:
                    continue
                if kind == "stream" and content.get("name") == "stdout":
                    stdout.append(content["text"])
                elif kind == "error" and error is None:
                    error = _describe_error(content)
                elif kind == "status" and content.get("execution_state") == "idle":
                    idle = True
                elif kind == "execute_reply":
                    reply = content
        if reply["status"] != "ok" and error is None:
            error = f"{reply.get('ename', reply['status'])}: {reply.get('evalue', '')}"
        return CellResult(reply["status"], "".join(stdout), error)

    async def json(self, code: str, timeout_s: float = 30.0) -> Any:
        """Run ``code``, which prints one JSON value last; return that value (raise with the error if it failed)."""
        result = await self.execute(code, timeout_s)
        if result.status != "ok":
            raise AssertionError(f"{self.learner.name}'s kernel: {result.error}")
        return json.loads(result.stdout.strip().splitlines()[-1])

    async def shutdown(self) -> None:
        self.ws.close()
        with suppress(httpx.HTTPError):
            async with self.learner.client() as own:
                await own.delete(f"/api/kernels/{self.id}")


# -- a notebook per learner -------------------------------------------------------------------------------------


@dataclass
class NotebookRun:
    learner: str
    notebook: str
    ok: bool
    wall_s: float
    peak_mib: float
    cpu_s: float
    cells_run: int
    cells: int
    error: str | None = None


async def run_notebook(hub: Hub, learner: Learner, notebook: str, timeout_s: float) -> NotebookRun:
    """Every code cell of notebooks/NOTEBOOK.ipynb in a new kernel of the learner's, top to bottom."""
    nb = nbformat.read(ROOT / "notebooks" / f"{notebook}.ipynb", as_version=4)
    cells = [c for c in nb.cells if c.cell_type == "code" and c.source.strip()]
    hub.sampler.begin(learner.name)
    started = time.monotonic()
    deadline = started + timeout_s
    done, error, kernel = 0, None, None
    try:
        kernel = await asyncio.wait_for(Kernel.start(learner, timeout_s=timeout_s), timeout_s)
        for cell in cells:
            result = await kernel.execute(cell.source, deadline - time.monotonic())
            if result.status != "ok" and "raises-exception" not in cell.metadata.get("tags", []):
                printed = result.stdout.strip().splitlines()[-1:]  # a checker's numbers say why it failed
                error = f"cell {done + 1}: {result.error}" + (f" (printed: {printed[0][:160]})" if printed else "")
                break
            done += 1
    except TimeoutError:
        error = f"timed out after {timeout_s:.0f} s in cell {done + 1} of {len(cells)}"
    except Exception as e:  # whatever went wrong for one learner is that learner's result
        error = f"cell {done + 1}: {type(e).__name__}: {e}"
    wall = time.monotonic() - started
    peak, cpu = hub.sampler.end(learner.name)
    if kernel is not None:
        await kernel.shutdown()
    return NotebookRun(learner.name, notebook, error is None, wall, peak, cpu, done, len(cells), error)


async def run_classroom(
    hub: Hub, learners: int, notebooks: Sequence[str], timeout_s: float, spawn_timeout_s: float
) -> dict[str, Any]:
    """Spawn ``learners`` servers, then run each notebook for all of them at once; return the measurements."""
    names = [f"learner{i:02d}" for i in range(1, learners + 1)]
    baseline = machine_memory_used_mib()  # the hub and proxy running, no learner yet
    class_ = await add_learners(hub, names)
    hub.sampler.begin_machine()
    # A server that does not start is a result (the class is too big), not a reason to stop measuring.
    outcomes = await asyncio.gather(*(spawn(hub, x, spawn_timeout_s) for x in class_), return_exceptions=True)
    spawn_errors = {
        x.name: f"{type(o).__name__}: {str(o).splitlines()[0]}" for x, o in zip(class_, outcomes, strict=True) if o
    }
    class_ = [x for x in class_ if x.name not in spawn_errors]
    phases = [{"phase": "spawn", **hub.sampler.end_machine()}]
    for key in ("hub", "proxy"):
        hub.sampler.begin(key)
    runs: list[NotebookRun] = []
    for notebook in notebooks:
        hub.sampler.begin_machine()
        runs += await asyncio.gather(*(run_notebook(hub, learner, notebook, timeout_s) for learner in class_))
        phases.append({"phase": notebook, **hub.sampler.end_machine()})
    hub_usage = {key: dict(zip(("peak_mib", "cpu_s"), hub.sampler.end(key), strict=True)) for key in ("hub", "proxy")}
    return {
        "learners": learners,
        "cpus": os.cpu_count(),
        "spawn_s": {learner.name: round(learner.spawn_s, 2) for learner in class_},
        "spawn_errors": spawn_errors,
        "runs": [{k: round(v, 2) if isinstance(v, float) else v for k, v in asdict(r).items()} for r in runs],
        "machine_baseline_mib": round(baseline),
        "machine": phases,
        "hub": {k: {m: round(v, 1) for m, v in usage.items()} for k, usage in hub_usage.items()},
        "passed": not spawn_errors and all(r.ok for r in runs),
    }


def print_report(report: dict[str, Any]) -> None:
    print(f"\n{report['learners']} learners on {report['cpus']} CPUs\n")
    print("| learner | spawn s | notebook | wall s | peak MiB | CPU s | result |")
    print("|---|---|---|---|---|---|---|")
    for run in report["runs"]:
        result = "pass" if run["ok"] else f"FAIL ({run['cells_run']}/{run['cells']} cells): {run['error']}"
        spawn_s = report["spawn_s"][run["learner"]]
        print(
            f"| {run['learner']} | {spawn_s:.1f} | {run['notebook']} | {run['wall_s']:.1f} | {run['peak_mib']:.0f} | {run['cpu_s']:.1f} | {result} |"
        )
    for name, error in report["spawn_errors"].items():
        print(f"| {name} | - | - | - | - | - | FAIL (server did not start): {error} |")
    print(f"\nmachine memory in use with the hub up, before any learner: {report['machine_baseline_mib']} MiB")
    print("\n| phase | machine peak MiB in use | CPU busy % (all cores) | of which not the classroom | steal % |")
    print("|---|---|---|---|---|")
    for p in report["machine"]:
        print(
            f"| {p['phase']} | {p['peak_used_mib']} | {p['cpu_busy_pct']} | {p['cpu_others_pct']} | {p['cpu_steal_pct']} |"
        )
    hub, proxy = report["hub"]["hub"], report["hub"]["proxy"]
    print(
        f"\nhub: peak {hub['peak_mib']:.0f} MiB, {hub['cpu_s']:.1f} CPU s; proxy: peak {proxy['peak_mib']:.0f} MiB, {proxy['cpu_s']:.1f} CPU s (over the notebooks)"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=2, help="how many learners (default 2)")
    parser.add_argument(
        "--notebook",
        action="append",
        help=f"a notebook to run, repeatable (default {' then '.join(DEFAULT_NOTEBOOKS)})",
    )
    parser.add_argument(
        "--timeout", type=float, default=300.0, help="seconds each learner's notebook may take (default 300)"
    )
    parser.add_argument(
        "--spawn-timeout", type=float, default=120.0, help="seconds a server may take to start (default 120)"
    )
    parser.add_argument("--json", action="store_true", help="also print the report as one JSON object, last")
    parser.add_argument("--log", type=Path, help="keep the hub's log (servers' and kernels' output too) in this file")
    args = parser.parse_args()
    notebooks = [n.removesuffix(".ipynb").removeprefix("notebooks/") for n in args.notebook or DEFAULT_NOTEBOOKS]
    for notebook in notebooks:
        if not (ROOT / "notebooks" / f"{notebook}.ipynb").exists():
            parser.error(f"no notebooks/{notebook}.ipynb")
    reason = missing_tools()
    if reason:
        print(reason, file=sys.stderr)
        return 2
    install_sigterm_as_interrupt()
    try:
        with running_hub(spawn_timeout_s=args.spawn_timeout, keep_log=args.log) as hub:
            report = asyncio.run(run_classroom(hub, args.learners, notebooks, args.timeout, args.spawn_timeout))
    except KeyboardInterrupt:
        print("interrupted: the hub, its proxy, every server and the temp dir are gone", file=sys.stderr)
        return 130
    print_report(report)
    if args.json:
        print(json.dumps(report))
    return 0 if report["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
