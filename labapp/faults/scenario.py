"""Scenarios: a fault schedule over time ("at 5 s payments fails for 10 s")."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from .base import Fault

__all__ = ["Scenario", "ScenarioRun", "Step"]

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
    """A scenario playing in a background thread; ``wait()`` or ``cancel()`` it."""

    def __init__(
        self,
        scenario: Scenario,
        apply: Apply,
        clear: Clear,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.scenario = scenario
        self._apply = apply
        self._clear = clear
        self._clock = clock
        self._cancelled = threading.Event()
        self.started_at = time.time()
        self._thread = threading.Thread(target=self._play, name="lab-scenario", daemon=True)
        self._thread.start()

    def _play(self) -> None:
        start = self._clock()
        touched: set[str] = set()
        try:
            for at_s, service, fault in self.scenario.actions():
                remaining = start + at_s - self._clock()
                if remaining > 0 and self._cancelled.wait(remaining):
                    return
                if fault is None:
                    self._clear(service)
                else:
                    touched.add(service)
                    self._apply(service, fault)
        finally:
            if self._cancelled.is_set():
                for service in touched:
                    self._clear(service)

    @property
    def done(self) -> bool:
        return not self._thread.is_alive()

    def wait(self, timeout_s: float | None = None) -> None:
        """Block until the schedule has played out (or ``timeout_s`` passes)."""
        self._thread.join(timeout_s)

    def cancel(self) -> None:
        """Stop the schedule now and heal what it broke."""
        self._cancelled.set()
        self._thread.join(5)
