"""Checkers for notebook 02 (Prometheus): the learner writes PromQL, the checker runs it.

Each query runs on test series built here, shaped like the shop's (the same
metric and label names), where the right answer is known by construction: two
replicas of the shop, three routes, ok answers, client errors (404) and server
errors (503), and a latency histogram that turns slow for the last 20 seconds.
The checker then judges what the query returned (which series, which values),
never its text.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping

import pandas as pd

from ..observe import PromQLError, Scraper
from ..observe.promql.functions import bucket_quantile
from .feedback import fail, ok

__all__ = ["check_error_ratio_by_route", "check_ok_rate_by_route", "check_p99_query", "practice_watcher"]

T0 = 1_700_000_000.0
SECONDS = 60  # samples every second from T0 to T0 + SECONDS; queries are evaluated at the end
SLOW_FROM = 40  # the latency histogram turns slow here: a [5s]..[20s] window sees only the slow part
REPLICAS = ("10.0.0.1:8000", "10.0.0.2:8000")
PRODUCT, ITEMS, CHECKOUT = "/products/{product_id}", "/items", "/checkout"
ROUTES = (PRODUCT, ITEMS, CHECKOUT)
METHOD = {PRODUCT: "GET", ITEMS: "GET", CHECKOUT: "POST"}

# Requests per second by (route, status), on each replica (so the shop serves twice this).
PER_REPLICA: dict[tuple[str, str], int] = {
    (PRODUCT, "200"): 45,
    (PRODUCT, "404"): 2,
    (PRODUCT, "503"): 3,
    (ITEMS, "200"): 20,
    (CHECKOUT, "200"): 4,
    (CHECKOUT, "503"): 1,
}

BOUNDS = (0.025, 0.05, 0.1, 0.25, 0.5, 1.0, math.inf)
# Latency: requests per second falling into each bucket (not cumulative), by replica and route,
# before and after SLOW_FROM. Replica 1 is busy and fast, replica 2 quiet and slow, so the p99 of
# their summed buckets differs from the average of their two p99s.
FAST = {
    (REPLICAS[0], PRODUCT): (20, 20, 8, 2, 0, 0, 0),
    (REPLICAS[1], PRODUCT): (5, 3, 1, 1, 0, 0, 0),
    (REPLICAS[0], CHECKOUT): (0, 2, 6, 2, 0, 0, 0),
    (REPLICAS[1], CHECKOUT): (0, 0, 1, 1, 0, 0, 0),
}
SLOW = {
    (REPLICAS[0], PRODUCT): (10, 20, 12, 5, 2, 1, 0),
    (REPLICAS[1], PRODUCT): (0, 1, 2, 3, 2, 2, 0),
    (REPLICAS[0], CHECKOUT): (0, 0, 2, 4, 3, 1, 0),
    (REPLICAS[1], CHECKOUT): (0, 0, 0, 1, 2, 1, 0),
}


def _le(bound: float) -> str:
    return "+Inf" if math.isinf(bound) else f"{bound:g}"


def practice_watcher() -> Scraper:
    """An embedded scraper holding the test series (it never scrapes): try queries on it with ``.query(q)``.

    Two replicas (``instance``) serve ``/products/{product_id}``, ``/items`` and ``/checkout``;
    the latency histogram turns slow 20 s before the end. Its clock stands at the end.
    """
    watcher = Scraper({"shop": "http://127.0.0.1:9"}, clock=lambda: T0 + SECONDS)
    cumulative: dict[tuple[str, str, int], float] = {}
    for i in range(SECONDS + 1):
        for instance in REPLICAS:
            samples = [
                ("shop_http_requests_total", {"method": METHOD[route], "route": route, "status": status}, float(n * i))
                for (route, status), n in PER_REPLICA.items()
            ]
            for route in (PRODUCT, CHECKOUT):
                shape = (FAST if i <= SLOW_FROM else SLOW)[(instance, route)]
                running = 0.0
                for k, bound in enumerate(BOUNDS):
                    key = (instance, route, k)
                    if i > 0:
                        cumulative[key] = cumulative.get(key, 0.0) + sum(shape[: k + 1])
                    running = cumulative.get(key, 0.0)
                    labels = {"method": METHOD[route], "route": route, "le": _le(bound)}
                    samples.append(("shop_http_request_duration_seconds_bucket", labels, running))
            watcher.store.add(T0 + i, samples, {"job": "shop", "instance": instance})
    return watcher


def _expected_rates(statuses: Callable[[str], bool]) -> dict[str, float]:
    """Requests per second of the whole shop (both replicas), by route, counting the statuses kept."""
    out: dict[str, float] = {}
    for (route, status), n in PER_REPLICA.items():
        if statuses(status):
            out[route] = out.get(route, 0.0) + n * len(REPLICAS)
    return out


def _p99(shapes: list[tuple[int, ...]]) -> float:
    """The p99 of requests whose per-bucket counts are summed over ``shapes``."""
    per_bucket = [sum(shape[k] for shape in shapes) for k in range(len(BOUNDS))]
    return bucket_quantile(0.99, [(b, float(sum(per_bucket[: k + 1]))) for k, b in enumerate(BOUNDS)])


def _expected_p99() -> dict[str, float]:
    """The p99 of each route over the slow spell, from both replicas' buckets added up."""
    return {route: _p99([SLOW[(r, route)] for r in REPLICAS]) for route in (PRODUCT, CHECKOUT)}


def _averaged_p99() -> dict[str, float]:
    """The mistake: each replica's p99, then their average."""
    return {route: sum(_p99([SLOW[(r, route)]]) for r in REPLICAS) / len(REPLICAS) for route in (PRODUCT, CHECKOUT)}


def _since_start_p99() -> dict[str, float]:
    """The mistake: the quantile of the buckets as counted since the start, fast and slow spells mixed."""
    fast, slow = SLOW_FROM, SECONDS - SLOW_FROM
    return {
        route: _p99(
            [
                tuple(fast * f + slow * s for f, s in zip(FAST[(r, route)], SLOW[(r, route)], strict=True))
                for r in REPLICAS
            ]
        )
        for route in (PRODUCT, CHECKOUT)
    }


def _run(query: object) -> pd.DataFrame | str:
    """The query's result at the end of the test series, or what went wrong, in words."""
    if query is None or (isinstance(query, str) and not query.strip()):
        return "no query yet: write the PromQL as a Python string, in quotes"
    if not isinstance(query, str):
        return f"expected a PromQL string, got {type(query).__name__}"
    watcher = practice_watcher()
    try:
        return watcher.query(query)
    except (PromQLError, ValueError, KeyError) as exc:
        return f"the query did not run: {exc}"


def _by_route(frame: pd.DataFrame) -> dict[str, float] | str:
    """One value per route, or why the result is not shaped like that."""
    if frame.empty:
        return "the query returned nothing"
    if "route" not in frame.columns:
        return f"the result has {len(frame)} series without a route label"
    extra = [c for c in frame.columns if c not in ("time", "value", "route")]
    counts = frame["route"].value_counts()
    if (counts > 1).any():
        route = str(counts.idxmax())
        return f"the result has {counts.max()} series for route {route} (they differ in {', '.join(extra)})"
    return {str(r): float(v) for r, v in zip(frame["route"], frame["value"], strict=True)}


def _table(values: Mapping[str, float], scale: float = 1.0, unit: str = "") -> str:
    return ", ".join(f"{route}: {v * scale:.4g}{unit}" for route, v in sorted(values.items()))


def check_ok_rate_by_route(query: object) -> bool:
    """Exercise 1: successful (2xx) requests per second, one series per route, summed over replicas."""
    frame = _run(query)
    if isinstance(frame, str):
        return fail(frame, "start from the requests-per-second-by-route query above")
    shape = _by_route(frame)
    if isinstance(shape, str):
        return fail(shape, "sum by (route) adds up every series of a route (methods, statuses, replicas)")
    want = _expected_rates(lambda s: s.startswith("2"))
    got = {r: v for r, v in shape.items() if v != 0 or r in want}
    if set(got) != set(want):
        return fail(
            f"routes in the result: {sorted(got)}; routes with successful answers: {sorted(want)}",
            "keep only the 2xx answers with a matcher on the status label, inside the selector",
        )
    if all(math.isclose(got[r], 60 * want[r], rel_tol=0.2) for r in want) or any(got[r] > 10 * want[r] for r in want):
        return fail(
            f"your values ({_table(got)}) keep growing with time: they are counts since the shop started",
            "a counter only goes up; rate(...[5s]) turns it into per second",
        )
    every = _expected_rates(lambda s: True)
    if all(math.isclose(got[r], every[r], rel_tol=1e-6) for r in want) and got != want:
        return fail(
            f"your values ({_table(got)}) count every answer, errors included",
            "keep only the 2xx answers: a regex matcher on the status label",
        )
    if not all(math.isclose(got[r], want[r], rel_tol=1e-6) for r in want):
        return fail(
            f"your values ({_table(got)}) are not the 2xx requests per second of each route",
            "per second (rate), 2xx only (a status matcher), all replicas added (sum by route)",
        )
    return ok(f"2xx requests per second by route on the test series: {_table(got, unit='/s')}")


def check_error_ratio_by_route(query: object) -> bool:
    """Exercise 2: the share of each route's requests that got a 5xx, as a number between 0 and 1."""
    frame = _run(query)
    if isinstance(frame, str):
        return fail(frame, "start from the error ratio above, and keep the route on both sides of the /")
    if frame.empty:
        return fail(
            "the query returned nothing",
            "a / matches series with the same labels on both sides: aggregate both sides by the same labels",
        )
    shape = _by_route(frame)
    if isinstance(shape, str):
        if "route" not in frame.columns:
            return fail(shape + ": one ratio for the whole shop", "keep the route on both sides: sum by (route)")
        return fail(shape, "divide per route, not per series: sum by (route) on both sides, then divide")
    want = _expected_rates(lambda s: s.startswith("5"))
    every = _expected_rates(lambda s: True)
    ratios = {r: want.get(r, 0.0) / every[r] for r in every}
    got = shape
    if any(v > 1 for v in got.values()):
        return fail(
            f"your ratios ({_table(got)}) exceed 1",
            "a ratio of errors is errors divided by all requests, never the other way round",
        )
    client = _expected_rates(lambda s: s.startswith(("4", "5")))
    if any(math.isclose(got.get(r, -1), client[r] / every[r], rel_tol=1e-6) for r in client if r in want):
        if not all(math.isclose(got.get(r, -1), ratios[r], rel_tol=1e-6) for r in want):
            return fail(
                f"your ratios ({_table(got)}) count 4xx answers as errors",
                "a 404 is the client asking for what is not there; the service's errors are the 5xx",
            )
    wrong = [r for r in ratios if r in got and not math.isclose(got[r], ratios[r], rel_tol=1e-6, abs_tol=1e-12)]
    missing = [r for r in want if r not in got]
    if wrong or missing:
        return fail(
            f"your ratios ({_table(got)}) are not each route's 5xx share"
            + (f"; no ratio for {missing}" if missing else ""),
            "per route: (5xx requests per second) / (all requests per second), both summed by route",
        )
    quiet = [r for r in every if r not in want]
    note = f"; {', '.join(quiet)} has no 5xx series, so no ratio (nothing, not zero)" if quiet else ""
    return ok(f"5xx share by route on the test series: {_table(got, 100, ' %')}{note}")


def check_p99_query(query: object) -> bool:
    """Exercise 3: the p99 latency of each route over 5 s windows, from both replicas' buckets."""
    frame = _run(query)
    if isinstance(frame, str):
        return fail(frame, "start from the p95 query above")
    if frame.empty:
        return fail(
            "the query returned nothing",
            "histogram_quantile needs bucket series that still carry their le label after the sum",
        )
    shape = _by_route(frame)
    if isinstance(shape, str):
        if "route" not in frame.columns:
            return fail(shape + ": one p99 for all routes mixed", "keep the route next to le when summing")
        return fail(
            shape + ": one p99 per replica",
            "add the replicas' buckets first (sum by le and route), then take the quantile",
        )
    want = _expected_p99()
    got = {r: v for r, v in shape.items() if not math.isnan(v)}
    if set(got) != set(want):
        return fail(f"p99 for {sorted(got)}; routes with a latency histogram: {sorted(want)}", "keep every route")

    def near(values: Mapping[str, float]) -> bool:
        return all(math.isclose(got[r], values[r], rel_tol=1e-6) for r in want)

    if near(want):
        return ok(f"p99 by route over the slow spell: {_table(got, 1000, ' ms')}")
    mine = f"your p99s ({_table(got, 1000, ' ms')})"
    if near(_averaged_p99()):
        return fail(
            f"{mine} average the replicas' p99s",
            "percentiles do not average: add the replicas' buckets first, then take one quantile",
        )
    if near(_since_start_p99()):
        return fail(
            f"{mine} mix in the fast requests from before the slowdown",
            "buckets count since the shop started; a per-second rate over a short window sees only the last seconds",
        )
    return fail(
        f"{mine} are not those of the last 5 s of requests",
        "p99: the value 99 in 100 requests stay under; computed from every replica's buckets of that window",
    )
