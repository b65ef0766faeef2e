"""Periodic: exact tick times on a fake clock, errors kept and counted, the loop goes on."""

from __future__ import annotations

import logging
import subprocess
import sys
import textwrap
import threading

import pytest

from labapp.periodic import Periodic


class FakeTime:
    """A clock that moves only when the loop waits or a tick says it took time.

    ``wait`` records each requested wait, advances the clock by it, and reports
    "stopped" after ``waits`` waits, which ends the loop on its own.
    """

    def __init__(self, waits: int, start: float = 100.0) -> None:
        self.now = start
        self.waits: list[float] = []
        self.limit = waits
        self.finished = threading.Event()

    def clock(self) -> float:
        return self.now

    def wait(self, seconds: float) -> bool:
        self.waits.append(seconds)
        self.now += max(0.0, seconds)
        if len(self.waits) >= self.limit:
            self.finished.set()
            return True
        return False


def run_to_end(periodic: Periodic, fake: FakeTime) -> None:
    periodic.start()
    assert fake.finished.wait(10), "the loop never reached its last wait"
    periodic.stop()  # joins the thread, which has returned already
    assert not periodic.running


def test_ticks_start_at_once_and_keep_the_interval_on_a_fake_clock() -> None:
    fake = FakeTime(waits=3)
    ticks: list[float] = []

    def tick() -> None:
        ticks.append(fake.clock())
        fake.now += 0.25  # each tick takes a quarter of a second

    run_to_end(Periodic(tick, 1.0, "t", clock=fake.clock, wait=fake.wait), fake)
    assert ticks == [100.0, 101.0, 102.0]
    assert fake.waits == [0.75, 0.75, 0.75]  # the interval minus the tick's own time


def test_an_overrun_starts_the_next_tick_at_once_and_skips_missed_rounds() -> None:
    fake = FakeTime(waits=4)
    ticks: list[float] = []
    costs = iter([0.25, 2.5, 0.25, 0.25])

    def tick() -> None:
        ticks.append(fake.clock())
        fake.now += next(costs)

    run_to_end(Periodic(tick, 1.0, "t", clock=fake.clock, wait=fake.wait), fake)
    # The second tick ran from 101 to 103.5: the next one starts at once (no
    # burst to catch up on 102 and 103), then the schedule goes on from there.
    assert ticks == [100.0, 101.0, 103.5, 104.5]
    assert fake.waits == [0.75, 0.0, 0.75, 0.75]


def test_a_failing_tick_is_kept_counted_logged_once_and_the_loop_goes_on(caplog: pytest.LogCaptureFixture) -> None:
    fake = FakeTime(waits=5)
    calls: list[int] = []

    def tick() -> None:
        calls.append(len(calls))
        if len(calls) % 2 == 0:
            raise ZeroDivisionError(f"tick {len(calls)}")

    periodic = Periodic(tick, 1.0, "lab-test-loop", clock=fake.clock, wait=fake.wait)
    assert periodic.last_error is None and periodic.error_count == 0
    assert "error" not in repr(periodic)
    with caplog.at_level(logging.DEBUG, logger="labapp.periodic"):
        run_to_end(periodic, fake)

    assert len(calls) == 5  # ticks 2 and 4 failed; 3 and 5 still ran
    assert periodic.error_count == 2
    assert periodic.ticks == 5
    assert isinstance(periodic.last_error, ZeroDivisionError) and str(periodic.last_error) == "tick 4"
    assert repr(periodic) == (
        "<Periodic lab-test-loop every 1 s, stopped, 5 ticks, 2 errors, last: ZeroDivisionError('tick 4')>"
    )
    assert periodic.error_note() == "; lab-test-loop last failed with ZeroDivisionError('tick 4') (2 errors so far)"
    tracebacks = [r for r in caplog.records if r.exc_info]
    assert len(tracebacks) == 1  # the first failure, with its traceback, once
    assert tracebacks[0].levelno == logging.ERROR and "lab-test-loop" in tracebacks[0].getMessage()
    assert str(tracebacks[0].exc_info[1]) == "tick 2"  # type: ignore[index]
    later = [r for r in caplog.records if not r.exc_info]
    assert [r.levelno for r in later] == [logging.DEBUG]


def test_stop_ends_a_real_loop_during_its_wait() -> None:
    ticked = threading.Event()
    periodic = Periodic(ticked.set, 3600, "lab-test-real")  # the default clock and wait
    periodic.start()
    assert ticked.wait(10)
    assert periodic.running
    periodic.stop()  # the wait is for an hour: stop must interrupt it
    assert not periodic.running
    assert not [t for t in threading.enumerate() if t.name == "lab-test-real"]
    assert "stopped, 1 ticks" in repr(periodic)


def test_the_traceback_prints_only_when_logging_is_configured() -> None:
    # The package installs a NullHandler: a notebook cell stays quiet unless the
    # learner configures logging. Checked in a fresh interpreter (pytest captures logs).
    script = textwrap.dedent(
        """
        import sys, threading
        import labapp
        from labapp.periodic import Periodic
        if sys.argv[1] == "configured":
            import logging; logging.basicConfig()
        failed = threading.Event()
        def tick():
            failed.set()
            1 / 0
        p = Periodic(tick, 3600, "lab-quiet")
        p.start()
        failed.wait(10)
        p.stop()
        print(repr(p))
        """
    )
    quiet = subprocess.run([sys.executable, "-c", script, "plain"], capture_output=True, text=True, timeout=60)
    loud = subprocess.run([sys.executable, "-c", script, "configured"], capture_output=True, text=True, timeout=60)
    assert quiet.returncode == 0 and loud.returncode == 0, quiet.stderr + loud.stderr
    assert quiet.stderr == ""
    assert "1 errors" not in quiet.stdout and "1 error, last: ZeroDivisionError('division by zero')" in quiet.stdout
    assert "ZeroDivisionError: division by zero" in loud.stderr and "lab-quiet" in loud.stderr
