"""Failure injection: fault values, the live switch per service, the ASGI seam, schedules, windows."""

from .base import NO_FAULT, Fault, error_rate, latency, outage
from .middleware import FaultMiddleware
from .scenario import Scenario, ScenarioRun, Step
from .switch import FaultEvent, FaultSwitch
from .windows import FaultWindow, fault_windows

__all__ = [
    "NO_FAULT",
    "Fault",
    "FaultEvent",
    "FaultMiddleware",
    "FaultSwitch",
    "FaultWindow",
    "Scenario",
    "ScenarioRun",
    "Step",
    "error_rate",
    "fault_windows",
    "latency",
    "outage",
]
