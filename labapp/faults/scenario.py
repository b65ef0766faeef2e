"""Scenarios: a fault schedule over time ("at 5 s payments fails for 10 s")."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from ..periodic import describe_error
from .base import Fault

__all__ = ["Scenario", "ScenarioRun", "Step"]

logger = logging.getLogger(__name__)

Apply = Callable[[str, Fault], None]
Clear = Callable[[str], None]


@dataclass(frozen=True)
class Step:
    """At ``at_s`` seconds after the start, ``service`` gets ``fault`` for ``duration_s``."""

    at_s: float
    service: str
    fault: Fault
    duration_s: float


class Scenario:
    """An ordered fault schedule, built by chaining :meth:`at`.

    >>> Scenario().at(5, "payments", outage(), for_s=10).at(8, "catalog", latency(0.3), for_s=4)
    """

    def __init__(self, steps: tuple[Step, ...] = ()) -> None:
        self.steps = steps

    def at(self, seconds: float, service: str, fault: Fault, *, for_s: float) -> Scenario:
        if not isinstance(fault, Fault):
            raise TypeError(f"expected a Fault such as outage() or latency(0.2), got {fault!r}")
        if seconds < 0 or for_s <= 0:
            raise ValueError(f"need seconds >= 0 and for_s > 0, got at {seconds} for {for_s}")
        return Scenario(self.steps + (Step(float(seconds), service, fault, float(for_s)),))

    @property
    def duration_s(self) -> float:
        return max((s.at_s + s.duration_s for s in self.steps), default=0.0)

    def actions(self) -> list[tuple[float, str, Fault | None]]:
        """(time, service, fault to set or None to heal), in time order."""
        out: list[tuple[float, str, Fault | None]] = []
        for step in self.steps:
            out.append((step.at_s, step.service, step.fault))
            out.append((step.at_s + step.duration_s, step.service, None))
        # Heal before inject at the same instant, so back-to-back steps chain.
        return sorted(out, key=lambda a: (a[0], a[2] is not None))

    def __repr__(self) -> str:
        lines = [f"  at {s.at_s:g} s: {s.service} {s.fault.describe()} for {s.duration_s:g} s" for s in self.steps]
        return "Scenario(\n" + "\n".join(lines) + "\n)"


class ScenarioRun:
    """A scenario playing in a background thread; ``wait()`` or ``cancel()`` it.

    Time is a parameter: ``clock`` gives monotonic seconds and ``wait(seconds)``
    waits up to that long, returning True when the run is cancelled (default:
    the run's own cancel event). Tests pass fakes and check exact times.

    If applying or clearing a fault raises, the run records it (``last_error``,
    ``error_count``), logs the first traceback once, carries on with the rest
    of the schedule, and :meth:`wait` raises the error once the run is over.
    """

    def __init__(
        self,
        scenario: Scenario,
        apply: Apply,
        clear: Clear,
        *,
        clock: Callable[[], float] = time.monotonic,
        wait: Callable[[float], bool] | None = None,
    ) -> None:
        self.scenario = scenario
        self._apply = apply
        self._clear = clear
        self._clock = clock
        self._cancelled = threading.Event()
        self._pause: Callable[[float], bool] = wait if wait is not None else self._cancelled.wait
        self._actions = scenario.actions()
        self.actions_done = 0
        self.error_count = 0
        self.last_error: BaseException | None = None
        self.started_at = time.time()
        self._thread = threading.Thread(target=self._play, name="lab-scenario", daemon=True)
        self._thread.start()

    def _play(self) -> None:
        start = self._clock()
        touched: set[str] = set()
        try:
            for at_s, service, fault in self._actions:
                remaining = start + at_s - self._clock()
                if self._cancelled.is_set() or (remaining > 0 and self._pause(remaining)):
                    self._cancelled.set()  # also when a given ``wait`` said so
                    return
                if fault is None:
                    self._guarded(self._clear, service)
                else:
                    touched.add(service)
                    self._guarded(self._apply, service, fault)
                self.actions_done += 1
        finally:
            if self._cancelled.is_set():
                for service in sorted(touched):
                    self._guarded(self._clear, service)

    def _guarded(self, action: Callable[..., None], *args: object) -> None:
        try:
            action(*args)
        except Exception as exc:  # recorded, logged once, raised by wait(): the schedule goes on
            self.error_count += 1
            self.last_error = exc
            if self.error_count == 1:
                name = getattr(action, "__name__", action)
                logger.exception("scenario: %s%r failed; the schedule goes on", name, args)

    @property
    def done(self) -> bool:
        return not self._thread.is_alive()

    def wait(self, timeout_s: float | None = None) -> None:
        """Block until the schedule has played out; raise what an action failed with, if one did.

        Raises TimeoutError if it is still playing after ``timeout_s``.
        """
        self._thread.join(timeout_s)
        if self._thread.is_alive():
            raise TimeoutError(
                f"the scenario is still playing after {timeout_s} s "
                f"({self.actions_done} of {len(self._actions)} actions done)" + self._error_note()
            )
        if self.last_error is not None:
            raise self.last_error

    def cancel(self) -> None:
        """Stop the schedule now and heal what it broke."""
        self._cancelled.set()
        self._thread.join(5)

    def stop(self) -> None:
        """The same as :meth:`cancel`: what the lab calls on everything it owns when it stops."""
        self.cancel()

    def _error_note(self) -> str:
        if self.last_error is None:
            return ""
        return f"; last error ({self.error_count} so far): {describe_error(self.last_error)}"

    def __repr__(self) -> str:
        if not self.done:
            state = "playing"
        else:
            state = "done" if self.actions_done == len(self._actions) else "cancelled"
        text = f"<ScenarioRun {state}: {self.actions_done} of {len(self._actions)} actions"
        if self.error_count:
            noun = "error" if self.error_count == 1 else "errors"
            text += f", {self.error_count} {noun}, last: {describe_error(self.last_error)}"
        return text + ">"
