"""Failure injection: fault values, the live switch per service, the ASGI seam, schedules."""

from .base import NO_FAULT, Fault, error_rate, latency, outage
from .middleware import FaultMiddleware
from .scenario import Scenario, ScenarioRun, Step
from .switch import FaultEvent, FaultSwitch

__all__ = [
    "NO_FAULT",
    "Fault",
    "FaultEvent",
    "FaultMiddleware",
    "FaultSwitch",
    "Scenario",
    "ScenarioRun",
    "Step",
    "error_rate",
    "latency",
    "outage",
]
