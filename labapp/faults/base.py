"""Faults: what a downstream service does wrong, as small values that stack.

    Fault                      what the service does to each request
    ├── latency(s, jitter_s)   waits s (+ uniform 0..jitter_s) before answering
    ├── error_rate(p, status)  answers ``status`` (500) to a fraction p
    └── outage()               answers 503 to everything, health included

    latency(0.2) + error_rate(0.1)   both at once

A fault is applied on the faulty service's own side (see middleware.py), so the
shop meets it over real HTTP: a slow socket, a real 5xx.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..arguments import number, whole_number

__all__ = ["Fault", "NO_FAULT", "error_rate", "latency", "outage"]


def _seconds(name: str, value: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0 or value != value:
        raise ValueError(f"{name} must be a number of seconds >= 0, got {value!r}")
    if value > 60:
        raise ValueError(f"{name}={value} s is longer than any lab needs; use at most 60 s")
    return float(value)


@dataclass(frozen=True)
class Fault:
    """A combination of latency, random errors and outage. Build with the factories."""

    latency_s: float = 0.0
    jitter_s: float = 0.0
    error_rate: float = 0.0
    error_status: int = 500
    outage: bool = False

    def __post_init__(self) -> None:
        # Built by latency(), error_rate() and outage(), or by hand: checked either way.
        _seconds("latency_s", self.latency_s)
        _seconds("jitter_s", self.jitter_s)
        number("error_rate", self.error_rate, minimum=0, maximum=1)
        whole_number("error_status", self.error_status, minimum=400, maximum=599)

    def __add__(self, other: Fault) -> Fault:
        if not isinstance(other, Fault):
            return NotImplemented
        # Independent error chances combine as 1 - (1-p)(1-q).
        rate = 1 - (1 - self.error_rate) * (1 - other.error_rate)
        return Fault(
            latency_s=self.latency_s + other.latency_s,
            jitter_s=self.jitter_s + other.jitter_s,
            error_rate=rate,
            error_status=other.error_status if other.error_rate else self.error_status,
            outage=self.outage or other.outage,
        )

    def __bool__(self) -> bool:
        return self != NO_FAULT

    def describe(self) -> str:
        """A short label for legends and logs, e.g. 'latency 0.2 s + 10% errors'."""
        parts = []
        if self.outage:
            parts.append("outage")
        if self.latency_s or self.jitter_s:
            jitter = f" ±{self.jitter_s:g}" if self.jitter_s else ""
            parts.append(f"latency {self.latency_s:g}{jitter} s")
        if self.error_rate:
            parts.append(f"{self.error_rate:.0%} errors")
        return " + ".join(parts) or "healthy"


NO_FAULT = Fault()


def latency(seconds: float, jitter_s: float = 0.0) -> Fault:
    """Every request waits ``seconds`` plus a uniform random 0..``jitter_s``."""
    return Fault(latency_s=_seconds("seconds", seconds), jitter_s=_seconds("jitter_s", jitter_s))


def error_rate(fraction: float, status: int = 500) -> Fault:
    """A ``fraction`` (0..1) of requests get HTTP ``status`` instead of an answer."""
    if not isinstance(fraction, (int, float)) or not 0 <= fraction <= 1:
        hint = (
            f" (did you mean {fraction / 100:g}?)" if isinstance(fraction, (int, float)) and 1 < fraction <= 100 else ""
        )
        raise ValueError(f"error_rate takes a fraction between 0 and 1, got {fraction!r}{hint}")
    if isinstance(status, bool) or not isinstance(status, int) or not 400 <= status <= 599:
        raise ValueError(f"status must be an HTTP error status 400-599, got {status!r}")
    return Fault(error_rate=float(fraction), error_status=status)


def outage() -> Fault:
    """The service answers 503 to every request, its health check included."""
    return Fault(outage=True)
