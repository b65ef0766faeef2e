"""Scenarios: the order of their actions, and a short run that injects then heals."""

from __future__ import annotations

import logging

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


class FakeTime:
    """A clock that moves only when the run waits (or an action says it took time).

    ``wait`` records each wait and reports "cancelled" at wait number ``cancel_at``.
    """

    def __init__(self, cancel_at: int | None = None) -> None:
        self.now = 50.0
        self.waits: list[float] = []
        self.cancel_at = cancel_at

    def clock(self) -> float:
        return self.now

    def wait(self, seconds: float) -> bool:
        self.waits.append(seconds)
        if len(self.waits) == self.cancel_at:
            return True
        self.now += seconds
        return False


class Recorder:
    """apply/clear that log (fake time, action, service); applying may take fake time, or fail."""

    def __init__(self, fake: FakeTime, apply_takes_s: float = 0.0, fail_on: str = "") -> None:
        self.fake = fake
        self.apply_takes_s = apply_takes_s
        self.fail_on = fail_on
        self.calls: list[tuple[float, str, str]] = []

    def apply(self, service: str, fault: object) -> None:
        self.calls.append((self.fake.now - 50.0, "set", service))
        self.fake.now += self.apply_takes_s
        if service == self.fail_on:
            raise RuntimeError(f"no switch for {service}")

    def clear(self, service: str) -> None:
        self.calls.append((self.fake.now - 50.0, "clear", service))


def test_run_applies_then_clears_at_exact_times_on_a_fake_clock() -> None:
    fake = FakeTime()
    recorder = Recorder(fake, apply_takes_s=0.25)
    scenario = (
        Scenario()
        .at(0, "a", outage(), for_s=1.5)
        .at(1.5, "b", latency(0.1), for_s=2)
        .at(1, "c", error_rate(0.5), for_s=0.125)
    )
    run = ScenarioRun(scenario, recorder.apply, recorder.clear, clock=fake.clock, wait=fake.wait)
    run.wait(10)
    assert run.done and run.last_error is None and run.error_count == 0
    assert recorder.calls == [
        (0.0, "set", "a"),
        (1.0, "set", "c"),
        (1.25, "clear", "c"),  # due at 1.125, but setting c took until 1.25: late, never early
        (1.5, "clear", "a"),
        (1.5, "set", "b"),  # heal before inject at the same instant
        (3.5, "clear", "b"),
    ]
    # Each wait runs to the next action's time counted from the start, so time
    # spent in an action shortens the next wait instead of shifting the schedule.
    assert fake.waits == [0.75, 0.25, 1.75]
    assert repr(run) == "<ScenarioRun done: 6 of 6 actions>"


def test_a_wait_that_reports_cancel_heals_what_the_run_broke() -> None:
    fake = FakeTime(cancel_at=2)
    recorder = Recorder(fake)
    scenario = Scenario().at(0, "a", outage(), for_s=10).at(1, "b", outage(), for_s=10).at(5, "c", outage(), for_s=1)
    run = ScenarioRun(scenario, recorder.apply, recorder.clear, clock=fake.clock, wait=fake.wait)
    run.wait(10)
    assert recorder.calls == [(0.0, "set", "a"), (1.0, "set", "b"), (1.0, "clear", "a"), (1.0, "clear", "b")]
    assert repr(run) == "<ScenarioRun cancelled: 2 of 6 actions>"


def test_a_failing_action_is_recorded_logged_once_and_raised_by_wait(caplog: pytest.LogCaptureFixture) -> None:
    fake = FakeTime()
    recorder = Recorder(fake, fail_on="b")
    scenario = Scenario().at(0, "b", outage(), for_s=1).at(2, "a", outage(), for_s=1).at(2.5, "b", outage(), for_s=1)
    with caplog.at_level(logging.ERROR, logger="labapp.faults.scenario"):
        run = ScenarioRun(scenario, recorder.apply, recorder.clear, clock=fake.clock, wait=fake.wait)
        with pytest.raises(RuntimeError, match="no switch for b"):
            run.wait(10)
    # The schedule went on after the failure: every action was tried.
    assert [(action, service) for _, action, service in recorder.calls] == [
        ("set", "b"),
        ("clear", "b"),
        ("set", "a"),
        ("set", "b"),
        ("clear", "a"),
        ("clear", "b"),
    ]
    assert run.error_count == 2 and isinstance(run.last_error, RuntimeError)
    assert repr(run) == "<ScenarioRun done: 6 of 6 actions, 2 errors, last: RuntimeError('no switch for b')>"
    assert len([r for r in caplog.records if r.exc_info]) == 1


def test_wait_says_when_the_scenario_is_still_playing() -> None:
    run = ScenarioRun(Scenario().at(60, "a", outage(), for_s=1), lambda s, f: None, lambda s: None)
    with pytest.raises(TimeoutError, match=r"still playing after 0.01 s \(0 of 2 actions done\)"):
        run.wait(0.01)
    assert repr(run) == "<ScenarioRun playing: 0 of 2 actions>"
    run.cancel()
    assert run.done


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
    # At least the 0.5 s asked for; no upper bound (a busy machine may start the heal late).
    assert windows[0].end is not None and windows[0].end - windows[0].start >= 0.4


def test_lab_play_rejects_unknown_services_before_starting(lab: Lab) -> None:
    with pytest.raises(ValueError, match="no service 'paymnets'"):
        lab.play(Scenario().at(0, "paymnets", outage(), for_s=1))
    with pytest.raises(TypeError, match="expected a Scenario"):
        lab.play(outage())  # type: ignore[arg-type]
