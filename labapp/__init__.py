"""Busy Service Lab: a shop, its dependencies, faults, load and the tools to watch them."""

from .config import LabConfig
from .faults import Fault, Scenario, error_rate, latency, outage
from .lab import FaultWindow, Lab
from .runner import ServerThread

__version__ = "0.1.0"

__all__ = [
    "Fault",
    "FaultWindow",
    "Lab",
    "LabConfig",
    "Scenario",
    "ServerThread",
    "error_rate",
    "latency",
    "outage",
]
