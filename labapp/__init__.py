"""Busy Service Lab: a shop, its dependencies, faults, load and the tools to watch them.

from labapp import Lab, outage
lab = Lab().start()
result = lab.load(rate=50, duration_s=5)
lab.inject("payments", outage())
"""

import logging

from .proxyenv import bypass_proxy_for_loopback as _bypass_proxy_for_loopback

_bypass_proxy_for_loopback()  # before any HTTP client is made: loopback never goes through a proxy

from .config import LabConfig  # noqa: E402
from .faults import Fault, FaultWindow, Scenario, error_rate, latency, outage  # noqa: E402
from .lab import Lab  # noqa: E402
from .load import LoadResult, Target, checkout, get  # noqa: E402
from .observe import PrometheusServer, Scraper, find_prometheus  # noqa: E402
from .runner import ServerThread  # noqa: E402
from .telemetry import ShopMetrics  # noqa: E402

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
