"""The load generator: open loop on schedule, closed loop with N users, many client addresses.

Rates are kept modest: the machine may be shared with benchmarks.
"""

from __future__ import annotations

import asyncio
import dataclasses
import inspect
import random
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator

import pytest
from fastapi import FastAPI, Request

from labapp import Lab, LoadResult, ServerThread, Target, checkout, get, latency
from labapp.load import (
    LoadRun,
    Record,
    TargetMix,
    run_closed_loop,
    run_open_loop,
    start_closed_loop,
    start_open_loop,
)

RECORD_FIELDS = ["scheduled", "sent", "latency_s", "service_time_s", "status", "method", "path", "client", "error"]


class EchoState:
    def __init__(self) -> None:
        self.hosts: list[str] = []
        self.client_ids: list[str] = []
        self.in_flight = 0
        self.max_in_flight = 0

    def reset(self) -> None:
        self.__init__()  # type: ignore[misc]


@pytest.fixture(scope="module")
def echo() -> Iterator[tuple[ServerThread, EchoState]]:
    """A tiny app that records who called it and how many calls overlapped."""
    state = EchoState()
    app = FastAPI()

    @app.get("/")
    async def who(request: Request) -> dict[str, str]:
        host = request.client.host if request.client else ""
        state.hosts.append(host)
        state.client_ids.append(request.headers.get("x-client-id", ""))
        return {"host": host}

    @app.get("/slow")
    async def slow() -> dict[str, int]:
        state.in_flight += 1
        state.max_in_flight = max(state.max_in_flight, state.in_flight)
        try:
            await asyncio.sleep(0.05)
        finally:
            state.in_flight -= 1
        return {"max": state.max_in_flight}

    server = ServerThread(app, name="echo").start()
    yield server, state
    server.stop()


@pytest.fixture
def echo_state(echo: tuple[ServerThread, EchoState]) -> EchoState:
    echo[1].reset()
    return echo[1]


# -- argument checks -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"rate": 0}, r"rate must be in \(0, 5000\] requests per second, got 0"),
        ({"rate": 1e9}, r"rate must be in \(0, 5000\] requests per second"),
        ({"rate": "10"}, r"rate must be in"),
        ({"duration_s": -1}, r"duration_s must be in \(0, 600\] seconds, got -1"),
        ({"clients": 0}, r"clients must be an integer 1\.\.250, got 0"),
        ({"concurrency": 0}, r"concurrency must be an integer"),
        ({"base_url": "localhost:8000"}, r"base_url must look like 'http://127\.0\.0\.1:8000'.*use lab\.url"),
        ({"base_url": "127.0.0.1:8000"}, r"base_url must look like"),
        ({"arrival": "x"}, r"arrival must be 'uniform' or 'poisson', got 'x'"),
        ({"rate": 5000, "duration_s": 600}, r"the lab caps a run at 200000"),
        ({"targets": []}, r"at least one path or Target"),
        ({"targets": "products"}, r"a target path starts with '/'"),
    ],
)
def test_open_loop_rejects_bad_arguments_helpfully(options: dict, message: str) -> None:  # type: ignore[type-arg]
    kwargs = {"base_url": "http://127.0.0.1:9", "rate": 10, "duration_s": 1, "progress": False, **options}
    base_url = kwargs.pop("base_url")
    with pytest.raises(ValueError, match=message):
        run_open_loop(base_url, **kwargs)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"users": 0}, r"users must be an integer 1\.\.1000"),
        ({"users": 2.5}, r"users must be an integer"),
        ({"duration_s": 0}, r"duration_s must be in"),
        ({"think_s": -1}, r"think_s must be a number of seconds, at least 0"),
        ({"max_requests": 0}, r"max_requests must be"),
    ],
)
def test_closed_loop_rejects_bad_arguments_helpfully(options: dict, message: str) -> None:  # type: ignore[type-arg]
    kwargs = {"users": 2, "duration_s": 1, "progress": False, **options}
    with pytest.raises(ValueError, match=message):
        run_closed_loop("http://127.0.0.1:9", **kwargs)


# -- targets ------------------------------------------------------------------------


def test_targets_render_ids_and_bodies() -> None:
    rng = random.Random(1)
    method, path, body = get("/products/{id}", ids=5).render(rng)
    assert method == "GET" and path.startswith("/products/") and 1 <= int(path.rsplit("/", 1)[1]) <= 5
    assert body is None
    method, path, body = checkout(ids=3).render(rng)
    assert (method, path) == ("POST", "/checkout")
    assert body is not None and 1 <= body["product_id"] <= 3 and body["quantity"] == 1
    assert get("/health").render(rng) == ("GET", "/health", None)


def test_target_checks_its_fields() -> None:
    with pytest.raises(ValueError, match="unknown HTTP method"):
        Target("FETCH", "/x")
    with pytest.raises(ValueError, match="ids must be a whole number, at least 1"):
        get("/x/{id}", ids=0)


def test_mix_follows_its_weights() -> None:
    mix = TargetMix({get("/a"): 9, get("/b"): 1})
    rng = random.Random(3)
    paths = [mix.pick(rng)[1] for _ in range(2000)]
    assert 0.85 < paths.count("/a") / len(paths) < 0.95
    with pytest.raises(ValueError, match="weights must be >= 0 with a positive sum"):
        TargetMix({get("/a"): 0})


# -- open loop, over real loopback HTTP ------------------------------------------------


def test_open_loop_sends_every_planned_request_on_its_schedule(lab: Lab) -> None:
    # Counts and the plan, not the wall clock: whether the sends kept within 5 % of
    # the rate depends on the machine, and is measured in benchmarks/load_timing.py.
    result = run_open_loop(lab.url, rate=100, duration_s=3, targets="/health", progress=False)
    assert isinstance(result, LoadResult)
    assert len(result) == 300
    assert {r.status for r in result.records} == {200}
    offsets = [r.scheduled - result.started for r in result.records]
    assert offsets == pytest.approx([i / 100 for i in range(300)], abs=1e-6)  # evenly spaced, 100 a second
    assert all(r.sent >= r.scheduled - 0.001 for r in result.records)  # never sent ahead of its schedule


def test_records_have_the_documented_fields(echo: tuple[ServerThread, EchoState], echo_state: EchoState) -> None:
    server, _ = echo
    result = run_open_loop(server.url, rate=20, duration_s=0.5, targets="/", progress=False)
    assert isinstance(result, LoadResult)
    assert [f.name for f in dataclasses.fields(Record)] == RECORD_FIELDS
    assert len(result) == 10
    for record in result.records:
        assert record.status == 200 and record.error == ""
        assert (record.method, record.path, record.client) == ("GET", "/", "client-0")
        assert record.sent >= record.scheduled - 0.001
        assert record.latency_s >= record.service_time_s > 0
    frame = result.to_frame()
    assert list(frame.columns) == RECORD_FIELDS + ["t"]
    assert frame["t"].iloc[0] == pytest.approx(0, abs=0.01)
    assert frame["t"].is_monotonic_increasing
    assert frame["t"].iloc[-1] == pytest.approx(0.45, abs=0.01)  # evenly spaced sends
    summary = result.summary()
    assert summary["requests"] == 10 and summary["error_pct"] == 0
    assert "open: 10 requests" in repr(result)


def test_latency_counts_from_the_scheduled_send(lab: Lab) -> None:
    # One request in flight at a time against a 0.1 s server at 20 req/s: the
    # server can serve only 10/s, so each send slips further behind its schedule.
    lab.inject("catalog", latency(0.1))
    result = run_open_loop(lab.urls["catalog"], rate=20, duration_s=1, targets="/health", concurrency=1, progress=False)
    records = result.records
    assert len(records) == 20
    assert all(r.service_time_s >= 0.1 for r in records)
    assert all(r.latency_s >= r.service_time_s for r in records)
    # With one request in flight, the last one cannot leave before 19 answers of
    # >= 0.1 s each, ~1 s after its schedule (0.95 s): lower bounds hold on any machine.
    last = records[-1]
    assert last.sent - last.scheduled > 0.5  # it left late ...
    assert last.latency_s - last.service_time_s == pytest.approx(last.sent - last.scheduled)  # ... and that is in it
    early = sum(r.latency_s for r in records[:5]) / 5
    late = sum(r.latency_s for r in records[-5:]) / 5
    assert late > early + 0.3


def test_clients_send_from_distinct_loopback_addresses(
    echo: tuple[ServerThread, EchoState], echo_state: EchoState
) -> None:
    server, _ = echo
    result = run_open_loop(server.url, rate=40, duration_s=0.5, targets="/", clients=4, progress=False)
    assert len(result) == 20
    assert set(echo_state.hosts) == {"127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5"}
    assert set(echo_state.client_ids) == {"client-0", "client-1", "client-2", "client-3"}
    assert {r.client for r in result.records} == set(echo_state.client_ids)


def test_one_client_uses_the_plain_loopback_address(
    echo: tuple[ServerThread, EchoState], echo_state: EchoState
) -> None:
    server, _ = echo
    run_open_loop(server.url, rate=20, duration_s=0.2, targets="/", progress=False)
    assert set(echo_state.hosts) == {"127.0.0.1"}


def test_poisson_arrivals_send_the_planned_count(echo: tuple[ServerThread, EchoState], echo_state: EchoState) -> None:
    server, _ = echo
    result = run_open_loop(server.url, rate=40, duration_s=0.5, targets="/", arrival="poisson", progress=False)
    assert len(result) == 20
    gaps = {round(b.scheduled - a.scheduled, 4) for a, b in zip(result.records, result.records[1:], strict=False)}
    assert len(gaps) > 5  # random gaps, not one fixed spacing


def test_no_answer_is_status_0_with_the_reason() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))  # bound, never listening: connections are refused
        port = sock.getsockname()[1]
        result = run_open_loop(f"http://127.0.0.1:{port}", rate=20, duration_s=0.2, targets="/", progress=False)
    assert len(result) == 4
    assert {r.status for r in result.records} == {0}
    assert {r.error for r in result.records} == {"ConnectError"}
    assert result.summary()["error_pct"] == 100


def test_a_background_run_returns_a_load_run(echo: tuple[ServerThread, EchoState], echo_state: EchoState) -> None:
    server, _ = echo
    run = start_open_loop(server.url, rate=20, duration_s=0.5, targets="/")
    assert isinstance(run, LoadRun)
    result = run.wait(10)
    assert run.done and run.last_error is None
    assert isinstance(result, LoadResult)
    assert len(result) == 10
    assert repr(run) == "<LoadRun open-loop 20 req/s for 0.5 s: done, 10 requests; wait() returns the LoadResult>"


def test_a_background_run_can_be_cancelled(echo: tuple[ServerThread, EchoState], echo_state: EchoState) -> None:
    server, _ = echo
    run = start_open_loop(server.url, rate=20, duration_s=30, targets="/")
    assert repr(run).startswith("<LoadRun open-loop 20 req/s for 30 s: running, ")
    with pytest.raises(TimeoutError, match=r"still going after 0 s \(\d+ requests so far\)"):
        run.wait(0)
    result = run.cancel()
    cancelled_at = time.time()
    assert run.done
    assert len(result) < 600  # stopped before the planned sends
    assert all(r.scheduled <= cancelled_at for r in result.records)  # nothing was sent after the cancel
    assert "stopped early" in repr(run)


def test_a_failed_run_keeps_and_raises_its_error(echo: tuple[ServerThread, EchoState], echo_state: EchoState) -> None:
    server, _ = echo
    unsendable = Target("POST", "/", json={"when": object()})  # no JSON for an object(): the run fails
    run = start_open_loop(server.url, rate=20, duration_s=1, targets=unsendable)
    with pytest.raises(TypeError, match="not JSON serializable"):
        run.wait(10)
    assert isinstance(run.last_error, TypeError)
    assert repr(run).startswith("<LoadRun open-loop 20 req/s for 1 s: failed with TypeError(")
    with pytest.raises(TypeError, match="not JSON serializable"):  # in the foreground, as itself
        run_open_loop(server.url, rate=20, duration_s=1, targets=unsendable, progress=False)


def test_a_closed_loop_runs_in_the_background_too(echo: tuple[ServerThread, EchoState], echo_state: EchoState) -> None:
    server, _ = echo
    run = start_closed_loop(server.url, users=2, duration_s=10, targets="/", max_requests=6)
    assert len(run.wait(10)) == 6
    assert repr(run).startswith("<LoadRun closed-loop for 10 s: done, 6 requests")


def test_an_interrupt_stops_a_foreground_run_and_its_threads() -> None:
    # Ctrl-C (or Jupyter's interrupt) is SIGINT to the main thread: checked in a fresh
    # interpreter, whose main thread is free to receive it.
    script = textwrap.dedent(
        """
        import os, signal, threading
        from fastapi import FastAPI
        from labapp import ServerThread
        from labapp.load import run_open_loop

        app = FastAPI()
        answered = threading.Event()

        @app.get("/")
        async def root():
            answered.set()
            return {}

        # Ctrl-C raises KeyboardInterrupt, as in a terminal or a Jupyter kernel, even when this
        # interpreter inherited SIGINT ignored (a non-interactive shell's background job).
        signal.signal(signal.SIGINT, signal.default_int_handler)
        server = ServerThread(app, name="echo").start()
        threading.Thread(target=lambda: answered.wait(30) and os.kill(os.getpid(), signal.SIGINT)).start()
        try:
            run_open_loop(server.url, rate=20, duration_s=60, targets="/", progress=False)
            print("not interrupted")
        except KeyboardInterrupt:
            print("interrupted")
        print(sorted(t.name for t in threading.enumerate() if t.name.startswith("lab-load")))
        server.stop()
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["interrupted", "[]"]


# -- closed loop -------------------------------------------------------------------------


def test_closed_loop_runs_users_concurrent_users(echo: tuple[ServerThread, EchoState], echo_state: EchoState) -> None:
    server, _ = echo
    result = run_closed_loop(server.url, users=4, duration_s=0.5, targets="/slow", progress=False)
    assert isinstance(result, LoadResult)
    assert result.mode == "closed" and result.target_rate is None
    assert echo_state.max_in_flight == 4  # never more users than asked, and all of them busy
    assert {r.client for r in result.records} == {f"client-{i}" for i in range(4)}
    # each user waits for its answer (>= 0.05 s) before sending again
    assert len(result) <= 4 * (0.5 / 0.05 + 1)


def test_closed_loop_stops_at_max_requests(echo: tuple[ServerThread, EchoState], echo_state: EchoState) -> None:
    server, _ = echo
    result = run_closed_loop(server.url, users=2, duration_s=10, targets="/", max_requests=7, progress=False)
    assert len(result) == 7


def test_a_targets_headers_are_sent(lab: Lab) -> None:
    target = Target("GET", "/v1/items", headers={"authorization": "Bearer paid-key-cyd"})
    result = lab.load(rate=20, duration_s=0.5, targets=target, progress=False)
    assert isinstance(result, LoadResult)
    assert {r.status for r in result.records} == {200}  # 401 without the header


@pytest.mark.parametrize(
    ("method", "function"),
    [(Lab.load, run_open_loop), (Lab.start_load, start_open_loop), (Lab.load_closed, run_closed_loop)],
)
def test_lab_load_methods_spell_out_the_generators_options(method: object, function: object) -> None:
    # Explicit keywords, so Jupyter's signature help shows them; same defaults as the generator's.
    ours = inspect.signature(method).parameters  # type: ignore[arg-type]
    theirs = inspect.signature(function).parameters  # type: ignore[arg-type]
    assert all(p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL) for p in ours.values())
    assert set(ours) - {"self"} == set(theirs) - {"base_url", "seed"}  # the lab gives its URL and seed
    for name in set(ours) & set(theirs):
        assert ours[name].default == theirs[name].default, name


def test_lab_load_returns_one_type(lab: Lab) -> None:
    assert inspect.signature(Lab.load).return_annotation == "LoadResult"
    assert inspect.signature(Lab.load_closed).return_annotation == "LoadResult"
    assert inspect.signature(Lab.start_load).return_annotation == "LoadRun"
    run = lab.start_load(rate=20, duration_s=0.25, targets="/health")
    assert isinstance(run.wait(10), LoadResult)


def test_first_client_numbers_a_second_crowd_apart(echo: tuple[ServerThread, EchoState], echo_state: EchoState) -> None:
    server, _ = echo
    run_open_loop(server.url, rate=20, duration_s=0.2, targets="/", first_client=200, progress=False)
    assert set(echo_state.hosts) == {"127.0.0.202"} and set(echo_state.client_ids) == {"client-200"}
    with pytest.raises(ValueError, match="first_client must be an integer from 0 to 248"):
        run_open_loop(server.url, rate=20, duration_s=0.2, targets="/", clients=2, first_client=249, progress=False)
