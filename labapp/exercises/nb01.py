"""Checkers for notebook 01 (metrics).

1. ``check_route_counter``: a pure ASGI middleware whose Counter is labelled by route
   template. The checker serves a small app wrapped in it, sends product pages with
   many ids, checkouts and scanner paths, and reads what the Counter recorded.
2. ``check_in_flight_gauge``: a middleware keeping a Gauge of requests in flight.
   The checker holds requests inside the app, reads the gauge, lets them go, then
   sends requests that raise, and reads it again.
3. ``check_checkout_histogram``: a Histogram of checkout latency with a bucket bound
   at the SLO, fed from a load run's records.
"""

from __future__ import annotations

import asyncio
import random
import re
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
from fastapi import FastAPI
from prometheus_client import CollectorRegistry
from prometheus_client.samples import Sample

from ..lab import Lab
from ..load import LoadResult
from ..runner import quiet_server_errors
from .feedback import fail, ok

__all__ = ["check_checkout_histogram", "check_in_flight_gauge", "check_route_counter"]

EXPECTED_NAME = "exercise_checkout_duration_seconds"
PRODUCT_ROUTE = "/products/{product_id}"
_SCANNER_PATHS = ("/wp-login.php", "/.env", "/admin/config.php", "/phpmyadmin/index.php", "/cgi-bin/test.sh")


def _small_app(release: threading.Event | None = None) -> FastAPI:
    """A product page, a checkout, a page that waits for ``release``, a page that raises."""
    app = FastAPI()

    @app.get("/products/{product_id}")
    async def product(product_id: int) -> dict[str, int]:
        return {"product_id": product_id}

    @app.post("/checkout")
    async def checkout() -> dict[str, str]:
        return {"status": "paid"}

    @app.get("/hold")
    async def hold() -> dict[str, bool]:
        deadline = time.monotonic() + 10
        while release is not None and not release.is_set() and time.monotonic() < deadline:
            await asyncio.sleep(0.005)
        return {"held": True}

    @app.get("/boom")
    async def boom() -> dict[str, bool]:
        raise RuntimeError("a bug in a route: the server answers 500")

    return app


def _wrap(middleware: Any, registry: CollectorRegistry, app: FastAPI) -> Any:
    """The learner's middleware around ``app``, or (a str) what went wrong building it."""
    if not callable(middleware):
        return f"expected your middleware class, got {type(middleware).__name__}"
    try:
        wrapped = middleware(app, registry)
    except Exception as exc:  # the learner's code: report it, no traceback
        return (
            f"building it as {getattr(middleware, '__name__', 'it')}(app, registry) raised {type(exc).__name__}: {exc}"
        )
    if not callable(wrapped):
        return "what it built cannot be called with (scope, receive, send)"
    return wrapped


def _samples(registry: CollectorRegistry, kind: str, suffix: str = "") -> list[Sample]:
    return [s for f in registry.collect() if f.type == kind for s in f.samples if s.name == f.name + suffix]


# -- exercise 1: a counter labelled by route template -------------------------------------


def check_route_counter(lab: object, middleware: object) -> bool:
    """The exercise: ``middleware(app, registry)`` counts each request in a Counter on ``registry``,
    labelled by the route template (one series for every product id, one for every scanner path)."""
    if not isinstance(lab, Lab) or not lab.running:
        return fail(
            f"expected the running Lab, got {type(lab).__name__}", "pass your lab: check_route_counter(lab, ...)"
        )
    registry = CollectorRegistry()
    wrapped = _wrap(middleware, registry, _small_app())
    if isinstance(wrapped, str):
        return fail(
            wrapped, "a class with __init__(self, app, registry) and async __call__(self, scope, receive, send)"
        )
    rng = random.Random(1)
    ids = rng.sample(range(1, 1_000_000), 30)
    calls = [("GET", f"/products/{i}") for i in ids] + [("POST", "/checkout")] * 4
    calls += [("GET", path) for path in _SCANNER_PATHS]
    url = lab.serve(wrapped, "ex01_routes")  # type: ignore[arg-type]
    try:
        with httpx.Client(base_url=url, timeout=5.0) as client:
            statuses = [_status(client, method, path) for method, path in calls]
    finally:
        lab.extras.pop("ex01_routes").stop()
    if any(status != 200 for status in statuses[: len(ids) + 4]):
        return fail(
            f"the app behind your middleware answered {sorted(set(statuses))}, not 200",
            "pass every request on: await self.app(scope, receive, send); the traceback above says what broke",
        )
    counts = _samples(registry, "counter", "_total")
    if not counts:
        return fail("no Counter on the registry the checker passed in", "create it in __init__ with registry=registry")
    total = sum(s.value for s in counts)
    values = {v for s in counts for v in s.labels.values()}
    raw = sorted(v for v in values if re.fullmatch(r"/products/\d+", v))
    if raw:
        return fail(
            f"{len(counts)} series after {len(calls)} requests: one per product id ({raw[:2]}...)",
            "label with the template of the route that matched (scope['route'].path), not scope['path']",
        )
    if PRODUCT_ROUTE not in values:
        return fail(
            f"no series carries the template {PRODUCT_ROUTE}; label values seen: {sorted(values)[:6]}",
            "the router sets scope['route'] while it handles the request: read it after await self.app(...)",
        )
    scans = sorted(v for v in values if v in _SCANNER_PATHS)
    if scans:
        return fail(
            f"each scanner path got a series of its own ({scans[:2]}...): a bot can still grow your series",
            "requests that match no route have no scope['route']: give them all one shared label value",
        )
    if total != len(calls):
        return fail(
            f"the counter says {total:g} requests; the checker sent {len(calls)}",
            "count every request exactly once, including those that matched no route",
        )
    products = sum(s.value for s in counts if PRODUCT_ROUTE in s.labels.values())
    if products != len(ids):
        return fail(
            f"{products:g} product pages counted of {len(ids)} sent", "count each request once, under its route"
        )
    return ok(
        f"{len(calls)} requests, {len(ids)} product ids and {len(_SCANNER_PATHS)} scanner paths: {len(counts)} series"
    )


def _status(client: httpx.Client, method: str, path: str) -> int:
    try:
        return client.request(method, path).status_code
    except httpx.HTTPError:
        return 0


# -- exercise 2: requests in flight ------------------------------------------------------------


def _gauge_value(registry: CollectorRegistry) -> float | None:
    """The sum of every Gauge on ``registry`` (None when it has none)."""
    gauges = [f for f in registry.collect() if f.type == "gauge"]
    return sum(s.value for f in gauges for s in f.samples) if gauges else None


def _wait_for(read: Callable[[], float | None], want: float, timeout_s: float) -> float | None:
    """Poll ``read`` until it gives ``want`` or the deadline passes; return the last value."""
    deadline = time.monotonic() + timeout_s
    value = read()
    while value != want and time.monotonic() < deadline:
        time.sleep(0.01)
        value = read()
    return value


def check_in_flight_gauge(lab: object, middleware: object, held: int = 6) -> bool:
    """The exercise: ``middleware(app, registry)`` keeps a Gauge on ``registry`` equal to the
    number of requests inside the app, back to 0 once they end, even when the app raises."""
    if not isinstance(lab, Lab) or not lab.running:
        return fail(
            f"expected the running Lab, got {type(lab).__name__}", "pass your lab: check_in_flight_gauge(lab, ...)"
        )
    registry = CollectorRegistry()
    release = threading.Event()
    wrapped = _wrap(middleware, registry, _small_app(release))
    if isinstance(wrapped, str):
        return fail(
            wrapped, "a class with __init__(self, app, registry) and async __call__(self, scope, receive, send)"
        )
    url = lab.serve(wrapped, "ex01_in_flight")  # type: ignore[arg-type]
    try:
        with httpx.Client(base_url=url, timeout=15.0) as client, ThreadPoolExecutor(held) as pool:
            idle = _wait_for(lambda: _gauge_value(registry), 0, timeout_s=0.5)
            if idle is None:
                return fail(
                    "no Gauge on the registry the checker passed in", "create it in __init__ with registry=registry"
                )
            if idle != 0:
                return fail(
                    f"before any request came, the gauge read {idle:g}",
                    "the server's start-up call (scope['type'] == 'lifespan') is no request: count only 'http' scopes",
                )
            answers = [pool.submit(_status, client, "GET", "/hold") for _ in range(held)]
            during = _wait_for(lambda: _gauge_value(registry), held, timeout_s=3.0)
            release.set()
            statuses = [a.result() for a in answers]
            after = _wait_for(lambda: _gauge_value(registry), 0, timeout_s=2.0)
            with quiet_server_errors():  # the 500s below are on purpose: no tracebacks
                crashed = [_status(client, "GET", "/boom") for _ in range(3)]
            after_crash = _wait_for(lambda: _gauge_value(registry), 0, timeout_s=1.0)
    finally:
        release.set()
        lab.extras.pop("ex01_in_flight").stop()
    if any(status != 200 for status in statuses):
        return fail(
            f"held requests got {sorted(set(statuses))}, not 200",
            "pass every request on: await self.app(scope, receive, send); the traceback above says what broke",
        )
    if during != held:
        return fail(
            f"while {held} requests were inside the app, the gauge read {during:g}",
            "raise it when a request comes in, before the app runs; lower it when the app returns",
        )
    if after != 0:
        return fail(
            f"after all {held} requests ended, the gauge still read {after:g}",
            "lower it once per request, when the app returns",
        )
    if after_crash != 0:
        return fail(
            f"after {len(crashed)} requests whose route raised (answered {sorted(set(crashed))}), "
            f"the gauge read {after_crash:g}",
            "an exception skips the line after await self.app(...): lower the gauge in a finally block",
        )
    return ok(f"{held} requests held: the gauge read {held}; 0 once they ended, 0 after {len(crashed)} that raised")


# -- exercise 3: checkout latency in a histogram -----------------------------------------------


def check_checkout_histogram(registry: object, observed: int | LoadResult | None = None) -> bool:
    """The exercise: a Histogram named ``exercise_checkout_duration_seconds`` on your own
    registry, labelled by ``route`` (a template, not raw paths), with a bucket bound at
    0.25 s (the SLO "95% of checkouts under 250 ms"), holding the latencies of ``observed``
    (a LoadResult, or how many observations there should be).
    """
    if not isinstance(registry, CollectorRegistry):
        return fail(
            f"expected a CollectorRegistry, got {type(registry).__name__}",
            "create one with CollectorRegistry() and pass registry= to your Histogram",
        )
    if observed is not None and (isinstance(observed, bool) or not isinstance(observed, (int, LoadResult))):
        return fail(f"observed should be the load result, got {type(observed).__name__}", "pass observed=checkouts")
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
    expected = len(observed) if isinstance(observed, LoadResult) else observed
    if expected is not None and count != expected:
        return fail(
            f"it holds {count:g} observations, expected {expected}",
            "observe each latency_s from the load result once (in seconds, not ms)",
        )
    if isinstance(observed, LoadResult):
        latencies = [r.latency_s for r in observed.records]
        total = sum(s.value for s in family.samples if s.name.endswith("_sum"))
        if abs(total - sum(latencies)) > 1e-6 * max(1.0, sum(latencies)):
            return fail(
                f"its observations add up to {total:.3g} s; the checkouts' latencies to {sum(latencies):.3g} s",
                "observe record.latency_s itself: seconds, as the metric's name promises",
            )
        under = sum(s.value for s in buckets if float(s.labels["le"]) == 0.25)
        return ok(
            f"{EXPECTED_NAME}: {count:g} checkouts, {under:g} of them under 250 ms "
            f"({100 * under / max(count, 1):.0f}%, the SLO wants 95%)"
        )
    return ok(f"{EXPECTED_NAME}: {len(bounds)} buckets incl. 0.25 s, routes {sorted(routes)}, {count:g} observations")
