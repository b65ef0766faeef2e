"""Scenarios: the order of their actions, and a short run that injects then heals."""

from __future__ import annotations

import threading

import httpx
import pytest

from labapp import Lab, Scenario, error_rate, latency, outage
from labapp.faults import ScenarioRun


def test_actions_are_in_time_order_with_heal_before_inject_at_the_same_instant() -> None:
    scenario = (
        Scenario()
        .at(5, "payments", outage(), for_s=10)
        .at(2, "catalog", latency(0.3), for_s=3)
        .at(5, "catalog", error_rate(0.2), for_s=1)
    )
    assert scenario.actions() == [
        (2.0, "catalog", latency(0.3)),
        (5.0, "catalog", None),  # the first catalog step ends ...
        (5.0, "payments", outage()),
        (5.0, "catalog", error_rate(0.2)),  # ... before the next one starts
        (6.0, "catalog", None),
        (15.0, "payments", None),
    ]
    assert scenario.duration_s == 15.0
    assert Scenario().duration_s == 0.0


def test_at_returns_a_new_scenario() -> None:
    empty = Scenario()
    one = empty.at(0, "catalog", outage(), for_s=1)
    assert empty.steps == ()
    assert len(one.steps) == 1
    assert "catalog outage for 1 s" in repr(one)


@pytest.mark.parametrize(("seconds", "for_s"), [(-1, 1), (0, 0), (0, -2)])
def test_at_rejects_bad_times(seconds: float, for_s: float) -> None:
    with pytest.raises(ValueError, match="need seconds >= 0 and for_s > 0"):
        Scenario().at(seconds, "catalog", outage(), for_s=for_s)


def test_at_rejects_a_non_fault() -> None:
    with pytest.raises(TypeError, match="expected a Fault"):
        Scenario().at(0, "catalog", "outage", for_s=1)  # type: ignore[arg-type]


def test_run_applies_then_clears_in_order(wait_until) -> None:  # type: ignore[no-untyped-def]
    calls: list[tuple[str, str]] = []
    lock = threading.Lock()

    def apply(service: str, fault: object) -> None:
        with lock:
            calls.append(("set", service))

    def clear(service: str) -> None:
        with lock:
            calls.append(("clear", service))

    scenario = Scenario().at(0, "a", outage(), for_s=0.05).at(0.05, "b", latency(0.1), for_s=0.05)
    run = ScenarioRun(scenario, apply, clear)
    run.wait(5)
    assert run.done
    assert calls == [("set", "a"), ("clear", "a"), ("set", "b"), ("clear", "b")]


def test_cancel_heals_what_the_run_broke(wait_until) -> None:  # type: ignore[no-untyped-def]
    state: dict[str, bool] = {}
    run = ScenarioRun(
        Scenario().at(0, "a", outage(), for_s=60).at(30, "b", outage(), for_s=1),
        lambda service, fault: state.__setitem__(service, True),
        lambda service: state.__setitem__(service, False),
    )
    wait_until(lambda: state.get("a") is True, 5, what="the scenario to inject its first fault")
    run.cancel()
    assert run.done
    assert state == {"a": False}  # "b" was never touched, so never healed


def test_lab_plays_a_short_scenario_that_injects_then_heals(lab: Lab, wait_until) -> None:  # type: ignore[no-untyped-def]
    health = lab.urls["catalog"] + "/health"
    seen: list[int] = []

    with httpx.Client(timeout=5) as client:

        def outage_seen() -> bool:
            seen.append(client.get(health).status_code)
            return seen[-1] == 503

        run = lab.play(Scenario().at(0.05, "catalog", outage(), for_s=0.5))
        wait_until(outage_seen, 5, what="the catalog to answer 503 during the scenario")
        run.wait(5)
        assert run.done
        assert client.get(health).status_code == 200

    windows = [w for w in lab.fault_windows(since=run.started_at) if w.service == "catalog"]
    assert len(windows) == 1
    assert windows[0].label == "outage"
    assert windows[0].end is not None and 0.4 < windows[0].end - windows[0].start < 2.0


def test_lab_play_rejects_unknown_services_before_starting(lab: Lab) -> None:
    with pytest.raises(ValueError, match="no service 'paymnets'"):
        lab.play(Scenario().at(0, "paymnets", outage(), for_s=1))
    with pytest.raises(TypeError, match="expected a Scenario"):
        lab.play(outage())  # type: ignore[arg-type]
