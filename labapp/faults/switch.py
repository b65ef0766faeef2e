"""The live fault setting of one service: changed from any thread, read per request."""

from __future__ import annotations

import collections
import random
import threading
import time
from dataclasses import dataclass

from .base import NO_FAULT, Fault

__all__ = ["FaultEvent", "FaultSwitch"]


@dataclass(frozen=True)
class FaultEvent:
    """One change of a service's fault, at wall-clock time ``at`` (Unix seconds)."""

    at: float
    service: str
    fault: Fault


class FaultSwitch:
    """Holds the current :class:`Fault` of one service and the history of changes."""

    def __init__(self, service: str, seed: int = 0) -> None:
        self.service = service
        self._fault = NO_FAULT
        self._lock = threading.Lock()
        self._rng = random.Random(seed)
        self.history: list[FaultEvent] = []
        # Set when the lab stops: requests still held by a latency fault go on at
        # once, so the server can shut down gracefully instead of cancelling them.
        self.released = threading.Event()
        # When each request reached this service (Unix seconds): what a caller's
        # retries and breaker really sent it (notebook 09). The newest 100,000.
        self.arrivals: collections.deque[float] = collections.deque(maxlen=100_000)

    @property
    def fault(self) -> Fault:
        return self._fault

    def set(self, fault: Fault) -> None:
        if not isinstance(fault, Fault):
            raise TypeError(f"expected a Fault such as latency(0.2), error_rate(0.1) or outage(), got {fault!r}")
        with self._lock:
            self._fault = fault
            self.history.append(FaultEvent(time.time(), self.service, fault))

    def clear(self) -> None:
        if self._fault:
            self.set(NO_FAULT)

    def draw(self) -> tuple[float, int | None]:
        """Decide one request's fate: (delay in seconds, error status or None)."""
        fault = self._fault
        with self._lock:
            self.arrivals.append(time.time())
            delay = fault.latency_s + (self._rng.uniform(0, fault.jitter_s) if fault.jitter_s else 0.0)
            if fault.outage:
                return delay, 503
            if fault.error_rate and self._rng.random() < fault.error_rate:
                return delay, fault.error_status
        return delay, None
