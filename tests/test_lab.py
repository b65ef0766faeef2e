"""Lab: building from a config, faults by name, fault windows, extra apps, watchers, what it owns."""

from __future__ import annotations

import dataclasses
import inspect
import threading
import time
from collections.abc import Callable

import httpx
import pytest
from fastapi import FastAPI

import labapp.lab
from labapp import FaultWindow, Lab, LabConfig, Scenario, Scraper, error_rate, latency, outage
from labapp.logs import LogCapture
from labapp.ratelimit import SharedMemoryStorage

# -- without starting anything ---------------------------------------------------


def test_overrides_build_a_new_config() -> None:
    base = LabConfig(seed=7)
    lab = Lab(base, payments_timeout_s=0.2)
    assert lab.config == LabConfig(seed=7, payments_timeout_s=0.2)
    assert Lab(base).config is base


def test_overrides_are_checked() -> None:
    with pytest.raises(ValueError, match="payments_timeout_s must be a positive number"):
        Lab(payments_timeout_s=0)
    with pytest.raises(TypeError):
        Lab(paymnets_timeout_s=0.2)  # type: ignore[call-arg]  # the misspelling is the point


def test_every_config_field_is_a_keyword_of_lab() -> None:
    # Explicit keywords, so Jupyter's signature help lists them (no **overrides).
    params = inspect.signature(Lab).parameters
    assert all(p.kind is not inspect.Parameter.VAR_KEYWORD for p in params.values())
    for field in dataclasses.fields(LabConfig):
        assert params[field.name].kind is inspect.Parameter.KEYWORD_ONLY, field.name
        assert params[field.name].default is None, field.name
        assert params[field.name].annotation == f"{field.type} | None", field.name
    assert set(params) == {"config", "tracing", "admin_token"} | {f.name for f in dataclasses.fields(LabConfig)}


def test_capture_logs_takes_the_options_of_log_capture() -> None:
    assert inspect.signature(Lab.capture_logs).parameters.keys() - {"self"} == (
        inspect.signature(LogCapture).parameters.keys()
    )
    for name, param in inspect.signature(LogCapture).parameters.items():
        assert inspect.signature(Lab.capture_logs).parameters[name].default == param.default, name


def test_no_public_lab_method_takes_bare_options() -> None:
    for name, method in inspect.getmembers(Lab, inspect.isfunction):
        if not name.startswith("_"):
            kinds = {p.kind for p in inspect.signature(method).parameters.values()}
            assert inspect.Parameter.VAR_KEYWORD not in kinds, name


def test_fault_window_still_imports_from_the_lab_module() -> None:
    assert labapp.lab.FaultWindow is FaultWindow


def test_config_must_be_a_labconfig() -> None:
    with pytest.raises(TypeError, match="config must be a LabConfig, got dict"):
        Lab({"seed": 1})  # type: ignore[arg-type]


def test_a_stopped_lab_says_so() -> None:
    lab = Lab()
    assert not lab.running
    assert repr(lab) == "<Lab stopped>"
    with pytest.raises(RuntimeError, match=r"call lab.start\(\) first"):
        lab.url  # noqa: B018
    with pytest.raises(RuntimeError, match="not running"):
        lab.serve(FastAPI(), "extra")


def test_unknown_service_names_the_known_ones() -> None:
    lab = Lab()
    with pytest.raises(
        ValueError, match=r"no service 'paymnets'; the lab has \['catalog', 'recommender', 'payments'\]"
    ):
        lab.inject("paymnets", outage())
    with pytest.raises(ValueError, match="no service"):
        lab.heal("paymnets")


def test_inject_needs_a_fault() -> None:
    with pytest.raises(TypeError, match="expected a Fault"):
        Lab().inject("catalog", 0.1)  # type: ignore[arg-type]


def test_faults_and_windows_follow_inject_and_heal() -> None:
    lab = Lab()  # switches work before start: no servers needed
    t0 = time.time()
    lab.inject("catalog", latency(0.2))
    lab.inject("catalog", outage())
    lab.inject("payments", error_rate(0.1))
    assert lab.faults() == {"catalog": "outage", "recommender": "healthy", "payments": "10% errors"}
    lab.heal("catalog")
    assert lab.faults()["catalog"] == "healthy"

    windows = lab.fault_windows(since=t0)
    assert [(w.service, w.label) for w in windows] == [
        ("catalog", "latency 0.2 s"),
        ("catalog", "outage"),
        ("payments", "10% errors"),
    ]
    assert windows[0].end == windows[1].start  # one fault replaces the other
    assert windows[1].end is not None
    assert windows[2].end is None  # still on
    assert all(isinstance(w, FaultWindow) for w in windows)

    lab.heal()
    assert set(lab.faults().values()) == {"healthy"}
    assert lab.fault_windows(since=time.time() + 1) == []


class Fake:
    """Something a lab owns: records when it was stopped, can fail to stop, can carry a loop's error."""

    def __init__(self, name: str, log: list[str], *, fails: bool = False) -> None:
        self.name, self.log, self.fails = name, log, fails
        self.last_error: BaseException | None = None
        self.error_count = 0

    def stop(self) -> None:
        self.log.append(self.name)
        if self.fails:
            raise RuntimeError(f"{self.name} would not stop")


def test_a_lab_stops_what_it_owns_background_first_then_servers_newest_first() -> None:
    lab, log = Lab(), list[str]()
    for name, serves in (("redis", True), ("watcher", False), ("replica", True), ("logs", False)):
        lab._own(name, Fake(name, log), serves=serves)
    assert [f.name for f in lab.owned] == ["redis", "watcher", "replica", "logs"]  # type: ignore[attr-defined]
    lab.stop()
    # Background work newest first; then (after the shop) the servers, newest first: replicas before their Redis.
    assert log == ["logs", "watcher", "replica", "redis"]
    assert lab.owned == []
    lab.stop()  # safe twice: nothing is stopped again
    assert len(log) == 4


def test_owning_again_under_a_key_stops_the_old_one() -> None:
    lab, log = Lab(), list[str]()
    lab._own("watcher", Fake("first", log))
    lab._own("watcher", Fake("second", log))
    assert log == ["first"]
    assert [f.name for f in lab.owned] == ["second"]  # type: ignore[attr-defined]


def test_one_thing_that_fails_to_stop_does_not_keep_the_others_running() -> None:
    lab, log = Lab(), list[str]()
    lab._own("a", Fake("a", log))
    lab._own("b", Fake("b", log, fails=True))
    lab._own("c", Fake("c", log), serves=True)
    with pytest.raises(RuntimeError, match="b would not stop"):
        lab.stop()
    assert log == ["b", "a", "c"]
    assert lab.owned == []


def test_finished_runs_are_forgotten_unless_they_failed() -> None:
    lab, log = Lab(), list[str]()
    done, failed, running = Fake("done", log), Fake("failed", log), Fake("running", log)
    done.done = failed.done = True  # type: ignore[attr-defined]
    failed.last_error = RuntimeError("boom")
    for thing in (done, failed, running):
        lab._own(thing.name, thing)
    lab._forget_finished()
    assert lab.owned == [failed, running]  # the failure stays for the repr; nothing was stopped
    assert log == []


def test_a_background_load_is_owned_and_stops_with_the_lab(no_shared_lab: None, wait_until: WaitUntil) -> None:
    with Lab() as lab:
        run = lab.start_load(rate=20, duration_s=60, targets="/health")
        assert lab.owned == [run]
        wait_until(lambda: run.requests_so_far >= 1, 10)
    assert run.done and lab.owned == []
    assert 1 <= len(run.wait(0)) < 20 * 60  # stopped early, with what it had sent


def test_the_repr_shows_what_owned_loops_last_failed_with(lab: Lab) -> None:
    log: list[str] = []
    broken = lab._own("watcher", Fake("scraper", log))
    assert "errors" not in repr(lab)
    broken.last_error, broken.error_count = ZeroDivisionError("division by zero"), 3
    assert repr(lab).endswith("; errors: watcher: ZeroDivisionError('division by zero') (3 errors)>")
    lab._discard("watcher")
    assert "errors" not in repr(lab)


# -- on the shared running lab ------------------------------------------------------


def test_urls_list_the_shop_first_then_each_service(lab: Lab, http: httpx.Client) -> None:
    urls = lab.urls
    assert list(urls) == ["shop", "catalog", "recommender", "payments"]
    assert urls["shop"] == lab.url
    assert len(set(urls.values())) == 4
    for name, url in urls.items():
        assert url.startswith("http://127.0.0.1:")
        assert http.get(url + "/health").status_code == 200, name
    assert lab.url in repr(lab)


def test_start_twice_is_a_no_op(lab: Lab) -> None:
    url = lab.url
    assert lab.start() is lab
    assert lab.url == url


def test_serve_runs_another_app_beside_the_shop(lab: Lab, http: httpx.Client) -> None:
    app = FastAPI()

    @app.get("/hello")
    async def hello() -> dict[str, str]:
        return {"hello": "world"}

    url = lab.serve(app, "variant")
    assert http.get(url + "/hello").json() == {"hello": "world"}
    assert lab.urls["variant"] == url
    replaced = lab.serve(app, "variant")  # same name: the old one stops
    assert http.get(replaced + "/hello").status_code == 200
    with pytest.raises(ValueError, match="simple identifier"):
        lab.serve(app, "not a name")


def test_extras_are_a_view_of_what_the_lab_owns(lab: Lab) -> None:
    url = lab.serve(FastAPI(), "variant")
    assert list(lab.extras) == ["variant"] and lab.extras["variant"].url == url
    assert lab.extras["variant"] in lab.owned
    server = lab.extras.pop("variant")  # the caller takes it over
    assert "variant" not in lab.extras and server not in lab.owned and "variant" not in lab.urls
    server.stop()
    with pytest.raises(KeyError):
        lab.extras.pop("variant")


def test_the_lab_owns_and_stops_scenarios_captures_and_storage(
    no_shared_lab: None, capsys: pytest.CaptureFixture[str]
) -> None:
    with Lab() as lab:
        run = lab.play(Scenario().at(0, "catalog", outage(), for_s=60))
        logs = lab.capture_logs(max_lines=10)
        uri = lab.shared_limit_storage(prefer="embedded")
        assert uri.startswith("lab-memory://") and "mode: embedded (as asked)" in capsys.readouterr().out
        assert [type(t).__name__ for t in lab.owned] == ["ScenarioRun", "LogCapture", "KernelStorage"]
        assert lab.capture_logs() is not logs and len(lab.owned) == 3  # a new capture replaces the last
        storage = SharedMemoryStorage(uri)
        storage.incr("key", 60)
    assert run.done and not lab.switches["catalog"].fault  # cancelled, and what it broke is healed
    assert lab.owned == []
    assert SharedMemoryStorage(uri) is not storage  # forgotten: the next owner starts from zero
    SharedMemoryStorage.forget(uri)


def test_watch_embedded_scrapes_the_shop_and_stops_with_the_lab(lab: Lab, capsys: pytest.CaptureFixture[str]) -> None:
    watcher = lab.watch(prefer="embedded", interval_s=0.1)
    assert isinstance(watcher, Scraper)
    assert "mode: embedded scraper (by request)" in capsys.readouterr().out
    assert watcher.scrapes >= 2
    assert watcher.query("up")["value"].tolist() == [1.0]
    lab.stop()  # the next test's `lab` fixture starts it again
    done = watcher.scrapes
    assert not watcher.running
    assert watcher.scrapes == done


def test_load_runs_open_loop_against_the_shop(lab: Lab) -> None:
    result = lab.load(rate=20, duration_s=0.5, targets="/health", progress=False)
    assert len(result) == 10
    assert {r.status for r in result.records} == {200}  # type: ignore[union-attr]


def test_load_closed_runs_users_against_the_shop(lab: Lab) -> None:
    result = lab.load_closed(users=2, duration_s=0.3, targets="/health", progress=False)
    assert result.mode == "closed"  # type: ignore[union-attr]
    assert {r.client for r in result.records} == {"client-0", "client-1"}  # type: ignore[union-attr]


WaitUntil = Callable[..., None]


def test_stopping_releases_requests_held_by_a_latency_fault(
    no_shared_lab: None, wait_until: WaitUntil, caplog: pytest.LogCaptureFixture
) -> None:
    lab = Lab().start()
    lab.inject("catalog", latency(30.0))
    answers: list[int] = []
    url = lab.service_urls["catalog"] + "/products/1"
    caller = threading.Thread(target=lambda: answers.append(httpx.get(url, timeout=60).status_code))
    caller.start()
    wait_until(lambda: len(lab.switches["catalog"].arrivals) == 1, 5)
    started = time.monotonic()
    lab.stop()
    caller.join(10)
    # Ordering: stopped and answered before the 30 s fault would have let the request go
    # (benchmarks/load_timing.py times it: ~0.4 s).
    assert time.monotonic() - started < 30, "a held request must not keep the lab from stopping"
    assert answers == [200]  # answered, not cut off
    assert "graceful shutdown exceeded" not in caplog.text


def test_reconfigure_restarts_the_shop_on_its_port_with_the_new_settings(lab: Lab, http: httpx.Client) -> None:
    url, before = lab.url, lab.config
    try:
        config = lab.reconfigure({"payments_retry": "backoff", "payments_retry_attempts": 4})
        assert lab.url == url and config.payments_retry == "backoff" and lab.config is config
        assert http.post(url + "/checkout", json={"product_id": 1, "quantity": 1}).status_code == 200
        with pytest.raises(TypeError, match="unknown settings \\['retries'\\]"):
            lab.reconfigure({"retries": 3})
        with pytest.raises(ValueError, match="keeps the shop's address"):
            lab.reconfigure({"shop_port": 9999})
        with pytest.raises(ValueError, match="retry kind must be one of"):
            lab.reconfigure({"payments_retry": "bogus"})  # refused while building: the shop never stopped
        assert lab.running and lab.config is config
    finally:
        lab.reconfigure(
            {"payments_retry": before.payments_retry, "payments_retry_attempts": before.payments_retry_attempts}
        )
