"""Load generation: open-loop (fixed arrival rate) and closed-loop (N users).

Open loop is how the internet behaves: users arrive whether or not the server
is keeping up. Each request has a *scheduled* send time, and its latency counts
from then, so a slow server that delays later sends cannot hide that delay
(the mistake called coordinated omission).

The generator runs its own event loop in a thread, so it works from a notebook
cell where Jupyter's loop is already running (``asyncio.run`` would fail).
Every worker coroutine owns its HTTP clients: one ``httpx.AsyncClient`` shared
by many coroutines gets slower as concurrency rises (encode/httpx#3215).
"""

from __future__ import annotations

import asyncio
import ipaddress
import random
import ssl
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

import httpx
from tqdm import tqdm

from .result import LoadResult, Record
from .targets import Target, TargetMix

__all__ = ["LoadRun", "MAX_DURATION_S", "MAX_RATE", "MAX_REQUESTS", "run_closed_loop", "run_open_loop"]

MAX_DURATION_S = 600.0
MAX_RATE = 5000.0
MAX_REQUESTS = 200_000
MAX_CLIENTS = 250  # source addresses 127.0.0.2 .. 127.0.0.251

Targets = str | Target | Sequence[str | Target] | Mapping[str | Target, float]


def run_open_loop(
    base_url: str,
    *,
    rate: float,
    duration_s: float,
    targets: Targets = "/products/{id}",
    clients: int = 1,
    concurrency: int = 64,
    arrival: str = "uniform",
    timeout_s: float = 5.0,
    seed: int = 0,
    progress: bool = True,
    background: bool = False,
) -> LoadResult | LoadRun:
    """Send ``rate`` requests per second for ``duration_s`` seconds, whatever the server does.

    Args:
        targets: a path, a list of paths/Targets, or a {target: weight} mix.
        clients: distinct client identities; on a 127.x address each sends from
            its own source address (127.0.0.2, .3, ...) so the shop sees
            different ``request.client.host`` values, and each sends an
            ``X-Client-Id`` header.
        concurrency: most requests in flight at once; when all are busy, sends
            fall behind schedule and that lag is counted in the latency.
        arrival: "uniform" (evenly spaced) or "poisson" (random gaps, like real users).
        background: return a :class:`LoadRun` at once instead of blocking.
    """
    _check_positive("rate", rate, MAX_RATE, "requests per second")
    _check_positive("duration_s", duration_s, MAX_DURATION_S, "seconds")
    count = int(round(rate * duration_s))
    if count > MAX_REQUESTS:
        raise ValueError(f"rate × duration = {count} requests; the lab caps a run at {MAX_REQUESTS}")
    if arrival not in ("uniform", "poisson"):
        raise ValueError(f"arrival must be 'uniform' or 'poisson', got {arrival!r}")
    rng = random.Random(seed)
    if arrival == "uniform":
        offsets = [i / rate for i in range(count)]
    else:
        offsets, t = [], 0.0
        for _ in range(count):
            offsets.append(t)
            t += rng.expovariate(rate)
    plan = _Plan(base_url, targets, clients, concurrency, timeout_s, rng, offsets)
    return plan.execute("open", duration_s, rate, progress, background)


def run_closed_loop(
    base_url: str,
    *,
    users: int,
    duration_s: float,
    targets: Targets = "/products/{id}",
    clients: int | None = None,
    think_s: float = 0.0,
    max_requests: int = MAX_REQUESTS,
    timeout_s: float = 5.0,
    seed: int = 0,
    progress: bool = True,
    background: bool = False,
) -> LoadResult | LoadRun:
    """``users`` loop send → wait for the answer → think → send, for ``duration_s`` seconds.

    The arrival rate is whatever the server allows: when it slows, users send
    less. That is a benchmark's view, not a busy site's (use :func:`run_open_loop`).
    ``clients`` defaults to one identity per user.
    """
    if not isinstance(users, int) or not 1 <= users <= 1000:
        raise ValueError(f"users must be an integer 1..1000, got {users!r}")
    _check_positive("duration_s", duration_s, MAX_DURATION_S, "seconds")
    if think_s < 0:
        raise ValueError(f"think_s must be >= 0 seconds, got {think_s}")
    if not 1 <= max_requests <= MAX_REQUESTS:
        raise ValueError(f"max_requests must be 1..{MAX_REQUESTS}, got {max_requests}")
    plan = _Plan(base_url, targets, clients or users, users, timeout_s, random.Random(seed), None)
    plan.think_s = think_s
    plan.max_requests = max_requests
    return plan.execute("closed", duration_s, None, progress, background)


class LoadRun:
    """A load run going on in the background."""

    def __init__(self, thread: threading.Thread, box: dict[str, Any], stop: threading.Event) -> None:
        self._thread = thread
        self._box = box
        self._stop = stop

    @property
    def done(self) -> bool:
        return not self._thread.is_alive()

    def wait(self, timeout_s: float | None = None) -> LoadResult:
        """Wait for the run to finish and return its result."""
        self._thread.join(timeout_s)
        if self._thread.is_alive():
            raise TimeoutError(f"the load run is still going after {timeout_s} s")
        if "error" in self._box:
            raise self._box["error"]
        return self._box["result"]

    def cancel(self) -> LoadResult:
        """Stop sending now; return what was recorded so far."""
        self._stop.set()
        return self.wait(30)


def _check_positive(name: str, value: float, upper: float, unit: str) -> None:
    if not isinstance(value, (int, float)) or not 0 < value <= upper:
        raise ValueError(f"{name} must be in (0, {upper:g}] {unit}, got {value!r}")


class _Plan:
    def __init__(
        self,
        base_url: str,
        targets: Targets,
        clients: int,
        concurrency: int,
        timeout_s: float,
        rng: random.Random,
        offsets: list[float] | None,
    ) -> None:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"base_url must look like 'http://127.0.0.1:8000', got {base_url!r} (use lab.url)")
        if not isinstance(clients, int) or not 1 <= clients <= MAX_CLIENTS:
            raise ValueError(f"clients must be an integer 1..{MAX_CLIENTS}, got {clients!r}")
        if not isinstance(concurrency, int) or not 1 <= concurrency <= 1000:
            raise ValueError(f"concurrency must be an integer 1..1000, got {concurrency!r}")
        _check_positive("timeout_s", timeout_s, 120, "seconds")
        self.base_url = base_url.rstrip("/")
        self.mix = TargetMix(targets)
        self.clients = clients
        self.concurrency = concurrency
        self.timeout_s = timeout_s
        self.rng = rng
        self.offsets = offsets
        self.think_s = 0.0
        self.max_requests = MAX_REQUESTS
        self.bind_source = clients > 1 and _is_ipv4_loopback(parts.hostname)

    def execute(
        self, mode: str, duration_s: float, rate: float | None, progress: bool, background: bool
    ) -> LoadResult | LoadRun:
        stop = threading.Event()
        box: dict[str, Any] = {}
        total = len(self.offsets) if self.offsets is not None else None
        bar = tqdm(
            total=total,
            desc=f"{mode}-loop load",
            unit="req",
            file=sys.stderr,
            mininterval=0.5,
            disable=not progress or background,
            leave=True,
        )

        def target() -> None:
            try:
                box["result"] = asyncio.run(self._run(mode, duration_s, rate, bar, stop))
            except BaseException as exc:  # handed to the caller by LoadRun.wait
                box["error"] = exc

        thread = threading.Thread(target=target, name="lab-load", daemon=True)
        thread.start()
        run = LoadRun(thread, box, stop)
        if background:
            return run
        try:
            while thread.is_alive():
                thread.join(0.1)
        except KeyboardInterrupt:
            stop.set()
            thread.join(30)
            raise
        finally:
            bar.close()
        return run.wait()

    async def _run(
        self, mode: str, duration_s: float, rate: float | None, bar: tqdm, stop: threading.Event
    ) -> LoadResult:
        loop = asyncio.get_running_loop()
        records: list[Record] = []
        per_identity = max(1, self.concurrency // self.clients)
        # Requests are drawn up front from one seeded RNG, so a re-run sends the same mix.
        planned = len(self.offsets) if self.offsets is not None else self.max_requests
        requests = [self.mix.pick(self.rng) for _ in range(min(planned, 20_000))]
        # Clients are built before the clock starts: each builds an SSL context
        # (~10 ms of CPU) unless given one, which would stall the first sends.
        tls = ssl.create_default_context()
        clients = {
            (identity, k): httpx.AsyncClient(
                base_url=self.base_url,
                timeout=self.timeout_s,
                verify=tls,
                transport=httpx.AsyncHTTPTransport(local_address=f"127.0.0.{identity + 2}", verify=tls)
                if self.bind_source
                else None,
                headers={"X-Client-Id": f"client-{identity}"},
                limits=httpx.Limits(max_connections=2),
            )
            for identity in range(self.clients)
            for k in range(per_identity)
        }

        def client_for(worker: int, identity: int) -> httpx.AsyncClient:
            return clients[(identity, worker % per_identity)]

        wall0, mono0 = time.time(), loop.time()
        deadline = mono0 + duration_s
        next_index = 0

        async def send(worker: int, index: int, scheduled: float) -> None:
            identity = index % self.clients
            method, path, body, headers = requests[index % len(requests)]
            sent = loop.time()
            status, error = 0, ""
            try:
                response = await client_for(worker, identity).request(method, path, json=body, headers=headers or None)
                status = response.status_code
            except httpx.TimeoutException:
                error = "timeout"
            except httpx.TransportError as exc:
                error = type(exc).__name__
            end = loop.time()
            records.append(
                Record(
                    scheduled=wall0 + (scheduled - mono0),
                    sent=wall0 + (sent - mono0),
                    latency_s=end - scheduled,
                    service_time_s=end - sent,
                    status=status,
                    method=method,
                    path=path,
                    client=f"client-{identity}",
                    error=error,
                )
            )
            bar.update(1)

        async def open_worker(worker: int) -> None:
            nonlocal next_index
            assert self.offsets is not None
            while not stop.is_set() and next_index < len(self.offsets):
                index = next_index
                next_index += 1
                scheduled = mono0 + self.offsets[index]
                if scheduled > loop.time():
                    await asyncio.sleep(scheduled - loop.time())
                await send(worker, index, scheduled)

        async def closed_worker(worker: int) -> None:
            nonlocal next_index
            while not stop.is_set() and loop.time() < deadline and next_index < self.max_requests:
                index = next_index
                next_index += 1
                await send(worker, index, loop.time())
                if self.think_s:
                    await asyncio.sleep(self.think_s)

        worker = open_worker if mode == "open" else closed_worker
        try:
            await asyncio.gather(*(worker(w) for w in range(self.concurrency)))
        finally:
            await asyncio.gather(*(c.aclose() for c in clients.values()), return_exceptions=True)
        return LoadResult(records, mode=mode, started=wall0, duration_s=duration_s, target_rate=rate)


def _is_ipv4_loopback(host: str) -> bool:
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host == "localhost"
    return address.version == 4 and address.is_loopback
