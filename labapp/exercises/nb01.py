"""Checker for notebook 01 (metrics)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry

from .feedback import fail, ok

__all__ = ["check_checkout_histogram"]

EXPECTED_NAME = "exercise_checkout_duration_seconds"


def check_checkout_histogram(registry: object, observed: int | None = None) -> bool:
    """The exercise: a Histogram named ``exercise_checkout_duration_seconds`` on your own
    registry, labelled by ``route`` (a template, not raw paths), with a bucket bound at
    0.25 s (the SLO "95% of checkouts under 250 ms"), holding ``observed`` observations.
    """
    if not isinstance(registry, CollectorRegistry):
        return fail(
            f"expected a CollectorRegistry, got {type(registry).__name__}",
            "create one with CollectorRegistry() and pass registry= to your Histogram",
        )
    families = {f.name: f for f in registry.collect()}
    if EXPECTED_NAME not in families:
        near = [n for n in families if "checkout" in n]
        return fail(
            f"no metric named {EXPECTED_NAME} in that registry (found {near or sorted(families)})",
            "name = what it measures + base unit: ..._duration_seconds, not _ms",
        )
    family = families[EXPECTED_NAME]
    if family.type != "histogram":
        return fail(f"{EXPECTED_NAME} is a {family.type}", "use prometheus_client.Histogram")
    buckets = [s for s in family.samples if s.name.endswith("_bucket")]
    bounds = sorted({float(s.labels["le"]) for s in buckets})
    if 0.25 not in bounds:
        return fail(f"bucket bounds are {bounds}", "add 0.25 to buckets=(...) so 'under 250 ms' is exact")
    routes = {s.labels.get("route", "") for s in buckets}
    if "" in routes:
        return fail("the histogram has no 'route' label", 'declare labelnames=["route"]')
    if any(r and any(ch.isdigit() for ch in r.split("/")[-1]) for r in routes):
        return fail(
            f"route values look like raw paths: {sorted(routes)[:3]}",
            "label with the template '/checkout' or '/products/{product_id}', never the id",
        )
    count = sum(s.value for s in family.samples if s.name.endswith("_count"))
    if observed is not None and count != observed:
        return fail(
            f"it holds {count:g} observations, expected {observed}",
            "observe each latency_s from the load result once (in seconds, not ms)",
        )
    return ok(f"{EXPECTED_NAME}: {len(bounds)} buckets incl. 0.25 s, routes {sorted(routes)}, {count:g} observations")
