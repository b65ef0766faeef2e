"""Load generation: open-loop (fixed arrival rate) and closed-loop (N users).

Open loop is how the internet behaves: users arrive whether or not the server
is keeping up. Each request has a *scheduled* send time, and its latency counts
from then, so a slow server that delays later sends cannot hide that delay
(the mistake called coordinated omission).

The generator runs its own event loop in a thread (:func:`labapp.aio.run_sync`),
so it works from a notebook cell where Jupyter's loop is already running
(``asyncio.run`` would fail there). ``run_*`` functions block and return a
:class:`LoadResult`; ``start_*`` functions return a :class:`LoadRun` at once.
Every worker coroutine owns its HTTP clients: one ``httpx.AsyncClient`` shared
by many coroutines gets slower as concurrency rises (encode/httpx#3215).
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import random
import ssl
import threading
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from urllib.parse import urlsplit

import httpx
from tqdm import tqdm

from ..aio import run_sync
from ..arguments import number, whole_number
from ..periodic import describe_error
from .progress import progress_bar
from .result import LoadResult, Record
from .targets import Target, TargetMix

__all__ = [
    "LoadRun",
    "MAX_DURATION_S",
    "MAX_RATE",
    "MAX_REQUESTS",
    "run_closed_loop",
    "run_open_loop",
    "start_closed_loop",
    "start_open_loop",
]

logger = logging.getLogger(__name__)

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
    first_client: int = 0,
) -> LoadResult:
    """Send ``rate`` requests per second for ``duration_s`` seconds, whatever the server does.

    Blocks until the run ends and returns its :class:`LoadResult`; interrupting
    (Ctrl-C, or the kernel's stop button) stops the sends. To keep working
    while it runs, use :func:`start_open_loop`.

    Args:
        targets: a path, a list of paths/Targets, or a {target: weight} mix.
        clients: distinct client identities; on a 127.x address each sends from
            its own source address (127.0.0.2, .3, ...) so the shop sees
            different ``request.client.host`` values, and each sends an
            ``X-Client-Id`` header.
        first_client: number the identities from here (client 0 sends from
            127.0.0.2), so two runs at once are different clients: a crowd
            with ``clients=20``, and beside it one loud client with ``first_client=200``.
        concurrency: most requests in flight at once; when all are busy, sends
            fall behind schedule and that lag is counted in the latency.
        arrival: "uniform" (evenly spaced) or "poisson" (random gaps, like real users).
    """
    plan = _open_plan(base_url, rate, duration_s, targets, clients, concurrency, arrival, timeout_s, seed, first_client)
    return _in_foreground(plan, progress)


def start_open_loop(
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
    first_client: int = 0,
) -> LoadRun:
    """:func:`run_open_loop` in the background: returns a :class:`LoadRun` at once.

    ``run.wait()`` returns its :class:`LoadResult`; ``run.cancel()`` stops it early.
    """
    plan = _open_plan(base_url, rate, duration_s, targets, clients, concurrency, arrival, timeout_s, seed, first_client)
    return LoadRun(plan, background=True)


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
) -> LoadResult:
    """``users`` loop send → wait for the answer → think → send, for ``duration_s`` seconds.

    The arrival rate is whatever the server allows: when it slows, users send
    less. That is a benchmark's view, not a busy site's (use :func:`run_open_loop`).
    ``clients`` defaults to one identity per user. Blocks until the run ends;
    :func:`start_closed_loop` runs it in the background.
    """
    plan = _closed_plan(base_url, users, duration_s, targets, clients, think_s, max_requests, timeout_s, seed)
    return _in_foreground(plan, progress)


def start_closed_loop(
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
) -> LoadRun:
    """:func:`run_closed_loop` in the background: returns a :class:`LoadRun` at once."""
    plan = _closed_plan(base_url, users, duration_s, targets, clients, think_s, max_requests, timeout_s, seed)
    return LoadRun(plan, background=True)


def _open_plan(
    base_url: str,
    rate: float,
    duration_s: float,
    targets: Targets,
    clients: int,
    concurrency: int,
    arrival: str,
    timeout_s: float,
    seed: int,
    first_client: int = 0,
) -> _Plan:
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
    plan = _Plan(base_url, targets, clients, concurrency, timeout_s, rng, offsets, first_client)
    plan.mode, plan.duration_s, plan.rate = "open", duration_s, rate
    return plan


def _closed_plan(
    base_url: str,
    users: int,
    duration_s: float,
    targets: Targets,
    clients: int | None,
    think_s: float,
    max_requests: int,
    timeout_s: float,
    seed: int,
) -> _Plan:
    if not isinstance(users, int) or not 1 <= users <= 1000:
        raise ValueError(f"users must be an integer 1..1000, got {users!r}")
    _check_positive("duration_s", duration_s, MAX_DURATION_S, "seconds")
    number("think_s", think_s, minimum=0, unit="seconds")
    whole_number("max_requests", max_requests, minimum=1, maximum=MAX_REQUESTS)
    plan = _Plan(base_url, targets, clients or users, users, timeout_s, random.Random(seed), None)
    plan.mode, plan.duration_s, plan.rate = "closed", duration_s, None
    plan.think_s = think_s
    plan.max_requests = max_requests
    return plan


def _in_foreground(plan: _Plan, progress: bool) -> LoadResult:
    """Run ``plan`` with a progress bar and wait for it; an interrupt stops the sends, then propagates."""
    bar = progress_bar(
        total=len(plan.offsets) if plan.offsets is not None else None,
        desc=f"{plan.mode}-loop load",
        unit="req",
        mininterval=0.5,
        disable=not progress,
        leave=True,
    )
    run = LoadRun(plan, background=False, bar=bar)
    try:
        return run.wait()
    except KeyboardInterrupt:
        run.stop(30)
        raise
    finally:
        bar.close()


class LoadRun:
    """A load run going on in a thread of its own: :meth:`wait` for its result, or :meth:`cancel` it.

    ``last_error`` is what the run failed with (None while it runs or when it
    succeeded); :meth:`wait` raises it. The ``repr`` says running, done or failed.
    Made by :func:`start_open_loop`, :func:`start_closed_loop` or ``Lab.start_load``.
    """

    def __init__(self, plan: _Plan, *, background: bool = True, bar: tqdm | None = None) -> None:
        self.mode = plan.mode
        self.rate = plan.rate
        self.duration_s = plan.duration_s
        self.last_error: BaseException | None = None
        self._background = background
        self._records: list[Record] = []
        self._stop = _Stop()
        self._future: Future[LoadResult] = Future()
        self._thread = threading.Thread(target=self._main, args=(plan, bar), name="lab-load", daemon=True)
        self._thread.start()

    def _main(self, plan: _Plan, bar: tqdm | None) -> None:
        try:
            result = run_sync(plan.run, self._stop, self._records, bar, name="lab-load-loop")
        except BaseException as exc:  # handed to the caller by wait()
            self.last_error = exc
            if self._background:
                logger.exception("background %s-loop load failed; run.wait() raises it", self.mode)
            self._future.set_exception(exc)
        else:
            self._future.set_result(result)

    @property
    def done(self) -> bool:
        return self._future.done()

    @property
    def requests_so_far(self) -> int:
        """Requests answered (or failed) so far."""
        return len(self._records)

    def wait(self, timeout_s: float | None = None) -> LoadResult:
        """Wait for the run to finish and return its result; raise what it failed with, if it failed."""
        try:
            return self._future.result(timeout_s)
        except FutureTimeout:
            raise TimeoutError(
                f"the load run is still going after {timeout_s} s ({self.requests_so_far} requests so far)"
            ) from None

    def stop(self, timeout_s: float = 30.0) -> None:
        """Ask the run to stop sending, and wait up to ``timeout_s`` for requests in flight."""
        self._stop.set()
        self._thread.join(timeout_s)

    def cancel(self) -> LoadResult:
        """Stop sending now; return what was recorded so far."""
        self.stop(30)
        return self.wait(0)

    def __repr__(self) -> str:
        what = f"{self.mode}-loop" + (f" {self.rate:g} req/s" if self.rate else "") + f" for {self.duration_s:g} s"
        if not self.done:
            return f"<LoadRun {what}: running, {self.requests_so_far} requests so far>"
        if self.last_error is not None:
            return f"<LoadRun {what}: failed with {describe_error(self.last_error)}>"
        state = "stopped early" if self._stop.is_set() else "done"
        return f"<LoadRun {what}: {state}, {self.requests_so_far} requests; wait() returns the LoadResult>"


class _Stop:
    """A stop flag that plain threads set and the run's event loop notices at once.

    ``sleep()`` inside the loop returns early when the flag is set, so a
    cancelled run does not sit out a worker's wait for its next scheduled send.
    """

    def __init__(self) -> None:
        self._flag = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._sleepers: set[asyncio.Future[None]] = set()
        self._lock = threading.Lock()

    def is_set(self) -> bool:
        return self._flag.is_set()

    def set(self) -> None:
        with self._lock:
            self._flag.set()
            loop = self._loop
        if loop is not None:
            try:
                loop.call_soon_threadsafe(self._wake)
            except RuntimeError:
                pass  # the loop has already closed: nothing is sleeping

    def attach(self) -> None:
        """Called inside the run's event loop, before any worker sleeps."""
        with self._lock:
            self._loop = asyncio.get_running_loop()

    def _wake(self) -> None:
        for sleeper in list(self._sleepers):
            if not sleeper.done():
                sleeper.set_result(None)

    async def sleep(self, seconds: float) -> None:
        """Sleep ``seconds``, or less if the run is stopped meanwhile."""
        if seconds <= 0 or self._flag.is_set():
            return
        loop = asyncio.get_running_loop()
        sleeper: asyncio.Future[None] = loop.create_future()
        timer = loop.call_later(seconds, _finish, sleeper)
        self._sleepers.add(sleeper)
        try:
            await sleeper
        finally:
            timer.cancel()
            self._sleepers.discard(sleeper)


def _finish(sleeper: asyncio.Future[None]) -> None:
    if not sleeper.done():
        sleeper.set_result(None)


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
        first_client: int = 0,
    ) -> None:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"base_url must look like 'http://127.0.0.1:8000', got {base_url!r} (use lab.url)")
        if not isinstance(clients, int) or not 1 <= clients <= MAX_CLIENTS:
            raise ValueError(f"clients must be an integer 1..{MAX_CLIENTS}, got {clients!r}")
        if not isinstance(first_client, int) or not 0 <= first_client <= MAX_CLIENTS - clients:
            raise ValueError(
                f"first_client must be an integer from 0 to {MAX_CLIENTS - clients} (so that the last of "
                f"{clients} clients is under {MAX_CLIENTS}), got {first_client!r}"
            )
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
        self.first_client = first_client
        # One client numbered 0 sends from the default address; any other identity has its own.
        self.bind_source = (clients > 1 or first_client > 0) and _is_ipv4_loopback(parts.hostname)
        self.mode = "open"
        self.duration_s = 0.0
        self.rate: float | None = None

    async def run(self, stop: _Stop, records: list[Record], bar: tqdm | None) -> LoadResult:
        """The run itself, on the event loop of the run's thread; appends to ``records`` as answers come."""
        mode, duration_s, rate = self.mode, self.duration_s, self.rate
        loop = asyncio.get_running_loop()
        stop.attach()
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
                transport=httpx.AsyncHTTPTransport(
                    local_address=f"127.0.0.{self.first_client + identity + 2}", verify=tls
                )
                if self.bind_source
                else None,
                headers={"X-Client-Id": f"client-{self.first_client + identity}"},
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
                    client=f"client-{self.first_client + identity}",
                    error=error,
                )
            )
            if bar is not None:
                bar.update(1)

        async def open_worker(worker: int) -> None:
            nonlocal next_index
            assert self.offsets is not None
            while not stop.is_set() and next_index < len(self.offsets):
                index = next_index
                next_index += 1
                scheduled = mono0 + self.offsets[index]
                await stop.sleep(scheduled - loop.time())
                if stop.is_set():
                    break
                await send(worker, index, scheduled)

        async def closed_worker(worker: int) -> None:
            nonlocal next_index
            while not stop.is_set() and loop.time() < deadline and next_index < self.max_requests:
                index = next_index
                next_index += 1
                await send(worker, index, loop.time())
                if self.think_s:
                    await stop.sleep(self.think_s)

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
