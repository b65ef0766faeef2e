"""Busy Service Lab: a shop, its dependencies, faults, load and the tools to watch them.

from labapp import Lab, outage
lab = Lab().start()
result = lab.load(rate=50, duration_s=5)
lab.inject("payments", outage())
"""

import logging

from .config import LabConfig
from .faults import Fault, FaultWindow, Scenario, error_rate, latency, outage
from .lab import Lab
from .load import LoadResult, Target, checkout, get
from .observe import PrometheusServer, Scraper, find_prometheus
from .runner import ServerThread
from .telemetry import ShopMetrics

__version__ = "0.1.0"

# A library stays quiet unless the application configures logging: without
# this, Python's last-resort handler prints every warning under the cell.
logging.getLogger("labapp").addHandler(logging.NullHandler())

__all__ = [
    "Fault",
    "FaultWindow",
    "Lab",
    "LabConfig",
    "LoadResult",
    "PrometheusServer",
    "Scenario",
    "Scraper",
    "ServerThread",
    "ShopMetrics",
    "Target",
    "checkout",
    "error_rate",
    "find_prometheus",
    "get",
    "latency",
    "outage",
]
