"""Lab: building from a config, faults by name, fault windows, extra apps, watchers."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import httpx
import pytest
from fastapi import FastAPI

from labapp import FaultWindow, Lab, LabConfig, Scraper, error_rate, latency, outage

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
        Lab(paymnets_timeout_s=0.2)


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
    assert time.monotonic() - started < 3, "a held request must not keep the lab from stopping"
    assert answers == [200]  # answered, not cut off
    assert "graceful shutdown exceeded" not in caplog.text
