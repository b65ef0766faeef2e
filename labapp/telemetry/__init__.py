"""Signals out of the shop. Never the global registry or provider."""

from .exemplars import OPENMETRICS_ACCEPT, read_exemplars
from .metrics import LATENCY_BUCKETS_S, ShopMetrics
from .middleware import UNMATCHED_ROUTE, MetricsMiddleware
from .requests import RequestMetrics

__all__ = [
    "LATENCY_BUCKETS_S",
    "MetricsMiddleware",
    "OPENMETRICS_ACCEPT",
    "RequestMetrics",
    "ShopMetrics",
    "UNMATCHED_ROUTE",
    "read_exemplars",
]
