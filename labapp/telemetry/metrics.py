"""Every metric the shop exports, defined once, on a registry the shop owns.

Owning the registry (instead of prometheus-client's global REGISTRY) is what
makes re-running a notebook cell safe: a new shop gets a new registry, and the
old names cannot collide ("Duplicated timeseries in CollectorRegistry").
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram

from .requests import RequestMetrics

__all__ = ["LATENCY_BUCKETS_S", "ShopMetrics"]

# Bucket bounds in seconds: dense where the shop lives (5-250 ms), sparse in the
# tail. Prometheus' default buckets are similar; choose yours from your SLO
# ("95% under 250 ms" needs a bound at 0.25).
LATENCY_BUCKETS_S = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


class ShopMetrics:
    """The shop's metrics, named namespace_subsystem_name_unit.

    ``http``: requests_total, request_duration_seconds and requests_in_flight,
    written by :class:`MetricsMiddleware`. ``downstream_*``: the shop's calls to
    its dependencies. ``fallbacks``: degraded answers (notebook 07). Counters
    are declared without ``_total``: the library adds it.
    """

    def __init__(self, registry: CollectorRegistry | None = None, namespace: str = "shop") -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        # Per-request metrics: recorded by MetricsMiddleware on every request,
        # so they are kept without locks (see requests.py for why).
        self.http = RequestMetrics(namespace, LATENCY_BUCKETS_S)
        self.registry.register(self.http)
        self.downstream_requests = Counter(
            "downstream_requests",
            "Calls from the shop to its dependencies, by service and outcome.",
            ["service", "outcome"],
            namespace=namespace,
            registry=self.registry,
        )
        self.downstream_latency = Histogram(
            "downstream_request_duration_seconds",
            "Time the shop waited for a dependency, by service.",
            ["service"],
            namespace=namespace,
            buckets=LATENCY_BUCKETS_S,
            registry=self.registry,
        )

        self.fallbacks = Counter(
            "fallbacks",
            "Answers the shop gave without a dependency, by dependency and what it served instead.",
            ["dependency", "served"],
            namespace=namespace,
            registry=self.registry,
        )
        self.refused = Counter(
            "requests_refused",
            "Requests refused before routing by an incident switch: blocked client or load shedding (notebook 10).",
            ["reason"],
            namespace=namespace,
            registry=self.registry,
        )

    def series_count(self) -> int:
        """How many time series the registry exports now (the cost Prometheus pays)."""
        return sum(len(family.samples) for family in self.registry.collect())
