"""circuitbreaker's CircuitBreaker, plus the three things the lab needs that it lacks.

circuitbreaker 2.1.3, measured for this lab: in half-open it lets *every* concurrent call
through, it has no listeners, and its state is not exported. This subclass
keeps its counting and timing, and adds:

- one trial call at a time in half-open; the others fail fast as if open;
- a transition history (and a log line per transition) the notebook can plot;
- the state as a metric (``BreakerStateCollector``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from typing import Any

from circuitbreaker import STATE_CLOSED, STATE_HALF_OPEN, STATE_OPEN, CircuitBreaker, CircuitBreakerError
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

__all__ = ["BreakerStateCollector", "LabCircuitBreaker", "STATES"]

STATES = (STATE_CLOSED, STATE_OPEN, STATE_HALF_OPEN)
log = logging.getLogger("labapp.breaker")


class LabCircuitBreaker(CircuitBreaker):
    """A circuitbreaker ``CircuitBreaker`` with a single half-open trial and a recorded history.

    Use it as the library's decorator: ``@LabCircuitBreaker(failure_threshold=5, recovery_timeout=1.0)``
    on an ``async def``. ``history`` holds (Unix time, state) at each change.
    """

    def __init__(
        self,
        failure_threshold: int = 5,
        recovery_timeout: float = 30,
        expected_exception: type[BaseException] | Callable[[type, BaseException], bool] = Exception,
        name: str | None = None,
    ) -> None:
        if not isinstance(failure_threshold, int) or failure_threshold < 1:
            raise ValueError(f"failure_threshold counts failures in a row, at least 1; got {failure_threshold!r}")
        if not isinstance(recovery_timeout, (int, float)) or recovery_timeout <= 0:
            raise ValueError(f"recovery_timeout is seconds before a trial call, above 0; got {recovery_timeout!r}")
        super().__init__(failure_threshold, recovery_timeout, expected_exception, name)
        self._trial_running = False
        self.history: list[tuple[float, str]] = [(time.time(), STATE_CLOSED)]

    async def call_async(self, func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        # The library calls this when the breaker is not open: closed or half-open.
        if self.state == STATE_HALF_OPEN:
            if self._trial_running:
                raise CircuitBreakerError(self)  # one trial at a time; the rest wait it out
            self._trial_running = True
            self._record(STATE_HALF_OPEN)
            try:
                return await super().call_async(func, *args, **kwargs)
            finally:
                self._trial_running = False
                self._record(STATE_OPEN if self._state == STATE_OPEN else STATE_CLOSED)
        try:
            return await super().call_async(func, *args, **kwargs)
        finally:
            self._record(self._state)

    @property
    def recovery_timeout(self) -> float:
        return float(self._recovery_timeout)

    def _record(self, state: str) -> None:
        if state == self.history[-1][1]:
            return
        self.history.append((time.time(), state))
        if state == STATE_OPEN:
            log.warning(
                "circuit %s opened after %d failures in a row; calls fail fast for %.1f s (last: %r)",
                self.name, self.failure_count, self.recovery_timeout, self.last_failure,
            )  # fmt: skip
        elif state == STATE_HALF_OPEN:
            log.info("circuit %s half-open: one trial call goes through", self.name)
        else:
            log.info("circuit %s closed: the trial call succeeded", self.name)

    def timeline(self, until: float | None = None) -> list[tuple[float, float, str]]:
        """(start, end, state) segments up to ``until`` (default now), half-open from when it began.

        The library turns open into half-open by the clock, without an event:
        that moment is the opening plus ``recovery_timeout``.
        """
        until = time.time() if until is None else until
        segments: list[tuple[float, float, str]] = []
        for (start, state), nxt in zip(self.history, [*self.history[1:], (until, "")], strict=True):
            end = nxt[0]
            if state == STATE_OPEN and start + self.recovery_timeout < end:
                segments.append((start, start + self.recovery_timeout, STATE_OPEN))
                segments.append((start + self.recovery_timeout, end, STATE_HALF_OPEN))
            elif state == STATE_HALF_OPEN and segments and segments[-1][2] == STATE_HALF_OPEN:
                segments[-1] = (segments[-1][0], end, STATE_HALF_OPEN)
            else:
                segments.append((start, end, state))
        return segments


class BreakerStateCollector(Collector):
    """``<ns>_circuit_breaker_state{dependency, state}``: 1 for the current state, 0 for the others.

    Read at scrape time: the library has no events to update a gauge from.
    """

    def __init__(self, breakers: dict[str, CircuitBreaker], namespace: str = "shop") -> None:
        self.breakers = breakers
        self.namespace = namespace

    def collect(self) -> Iterator[Metric]:
        family = GaugeMetricFamily(
            f"{self.namespace}_circuit_breaker_state",
            "Circuit breaker state per dependency: 1 for the current one of closed, open, half_open.",
            labels=["dependency", "state"],
        )
        for dependency, breaker in self.breakers.items():
            current = breaker.state
            for state in STATES:
                family.add_metric([dependency, state], 1.0 if state == current else 0.0)
        yield family

    def describe(self) -> Iterator[Metric]:
        yield GaugeMetricFamily(f"{self.namespace}_circuit_breaker_state", "", labels=["dependency", "state"])
