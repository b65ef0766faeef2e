"""Notebook 01's checkers: they serve the learner's middleware and read what it recorded."""

from __future__ import annotations

from typing import Any

import pytest
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from labapp import Lab, LoadResult
from labapp.exercises import check_checkout_histogram, check_in_flight_gauge, check_route_counter
from labapp.load import Record

# ASGI callables, typed loosely as a learner writes them.
Scope = dict[str, Any]


def _verdict(capsys: pytest.CaptureFixture[str], passed: bool, *needles: str) -> str:
    out = capsys.readouterr().out
    assert out.startswith("✓ " if passed else "✗ "), out
    if not passed:
        assert "\n  hint: " in out, out
    for needle in needles:
        assert needle in out, out
    return out


class _Counting:
    """A base for the counter variants: a Counter labelled route, and how to pick the label."""

    def __init__(self, app: Any, registry: CollectorRegistry) -> None:
        self.app = app
        self.requests = Counter("exercise_requests", "Requests.", ["method", "route"], registry=registry)

    def label(self, scope: Scope) -> str:
        route = scope.get("route")
        return route.path if route else "<unmatched>"

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        await self.app(scope, receive, send)
        if scope["type"] == "http":
            self.requests.labels(scope["method"], self.label(scope)).inc()


class RawPath(_Counting):
    def label(self, scope: Scope) -> str:
        return str(scope["path"])


class ScannerPaths(_Counting):
    def label(self, scope: Scope) -> str:
        route = scope.get("route")
        return route.path if route else str(scope["path"])


class ReadsRouteTooEarly(_Counting):
    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            self.requests.labels(scope["method"], self.label(scope)).inc()
        await self.app(scope, receive, send)


class CountsTwice(_Counting):
    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        await super().__call__(scope, receive, send)
        if scope["type"] == "http":
            self.requests.labels(scope["method"], self.label(scope)).inc()


class NoMetric:
    def __init__(self, app: Any, registry: CollectorRegistry) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        await self.app(scope, receive, send)


class WrongSignature:
    def __init__(self, app: Any) -> None:
        self.app = app


@pytest.mark.parametrize(
    ("middleware", "passed", "needles"),
    [
        (_Counting, True, ("39 requests, 30 product ids and 5 scanner paths: 3 series",)),
        (RawPath, False, ("one per product id", "scope['route'].path")),
        (ScannerPaths, False, ("each scanner path got a series", "one shared label value")),
        (ReadsRouteTooEarly, False, ("no series carries the template", "after await self.app")),
        (CountsTwice, False, ("the counter says 78 requests", "exactly once")),
        (NoMetric, False, ("no Counter on the registry", "registry=registry")),
        (WrongSignature, False, ("raised TypeError", "__init__(self, app, registry)")),
        ("RouteCounter", False, ("expected your middleware class, got str",)),
    ],
)
def test_route_counter(
    lab: Lab, capsys: pytest.CaptureFixture[str], middleware: object, passed: bool, needles: tuple[str, ...]
) -> None:
    assert check_route_counter(lab, middleware) is passed
    _verdict(capsys, passed, *needles)
    assert "ex01_routes" not in lab.extras


class _InFlight:
    def __init__(self, app: Any, registry: CollectorRegistry) -> None:
        self.app = app
        self.gauge = Gauge("exercise_requests_in_flight", "In flight.", registry=registry)

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        with self.gauge.track_inprogress():
            await self.app(scope, receive, send)


class NoFinally(_InFlight):
    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        self.gauge.inc()
        await self.app(scope, receive, send)
        self.gauge.dec()


class CountsLifespan(_InFlight):
    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        with self.gauge.track_inprogress():
            await self.app(scope, receive, send)


class NeverLowers(_InFlight):
    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            self.gauge.inc()
        await self.app(scope, receive, send)


class StubGauge(_InFlight):
    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        await self.app(scope, receive, send)


@pytest.mark.parametrize(
    ("middleware", "passed", "needles"),
    [
        (_InFlight, True, ("6 requests held: the gauge read 6", "0 after 3 that raised")),
        (NoFinally, False, ("whose route raised", "finally")),
        (CountsLifespan, False, ("before any request came, the gauge read 1", "lifespan")),
        (NeverLowers, False, ("after all 6 requests ended, the gauge still read 6", "lower it")),
        (StubGauge, False, ("while 6 requests were inside the app, the gauge read 0", "raise it")),
        (NoMetric, False, ("no Gauge on the registry",)),
        (None, False, ("expected your middleware class, got NoneType",)),
    ],
)
def test_in_flight_gauge(
    lab: Lab, capsys: pytest.CaptureFixture[str], middleware: object, passed: bool, needles: tuple[str, ...]
) -> None:
    assert check_in_flight_gauge(lab, middleware, held=6) is passed
    _verdict(capsys, passed, *needles)
    assert "ex01_in_flight" not in lab.extras


def test_checkers_want_the_lab(capsys: pytest.CaptureFixture[str]) -> None:
    assert check_route_counter(None, _Counting) is False
    _verdict(capsys, False, "expected the running Lab, got NoneType")
    assert check_in_flight_gauge("lab", _InFlight) is False
    _verdict(capsys, False, "expected the running Lab, got str")


# -- the histogram, judged against the load result's records ------------------------------------

NAME = "exercise_checkout_duration_seconds"
T0 = 1_700_000_000.0


def _checkouts(latencies: list[float]) -> LoadResult:
    records = [Record(T0 + i, T0 + i, s, s, 200, "POST", "/checkout", "c") for i, s in enumerate(latencies)]
    return LoadResult(records, mode="open", started=T0, duration_s=len(records), target_rate=1)


def test_histogram_against_the_records(registry: CollectorRegistry, capsys: pytest.CaptureFixture[str]) -> None:
    checkouts = _checkouts([0.02, 0.2, 0.3, 0.1])
    histogram = Histogram(NAME, "Checkout time.", ["route"], buckets=(0.1, 0.25, 0.5), registry=registry)
    for record in checkouts.records:
        histogram.labels("/checkout").observe(record.latency_s)
    assert check_checkout_histogram(registry, observed=checkouts) is True
    _verdict(capsys, True, "4 checkouts, 3 of them under 250 ms (75%, the SLO wants 95%)")


def test_histogram_in_milliseconds_is_caught(registry: CollectorRegistry, capsys: pytest.CaptureFixture[str]) -> None:
    checkouts = _checkouts([0.02, 0.2, 0.3])
    histogram = Histogram(NAME, "Checkout time.", ["route"], buckets=(0.1, 0.25, 0.5), registry=registry)
    for record in checkouts.records:
        histogram.labels("/checkout").observe(record.latency_s * 1000)
    assert check_checkout_histogram(registry, observed=checkouts) is False
    _verdict(capsys, False, "add up to 520 s", "seconds")


def test_histogram_count_against_the_records(registry: CollectorRegistry, capsys: pytest.CaptureFixture[str]) -> None:
    histogram = Histogram(NAME, "Checkout time.", ["route"], buckets=(0.25,), registry=registry)
    histogram.labels("/checkout").observe(0.1)
    assert check_checkout_histogram(registry, observed=_checkouts([0.1, 0.1])) is False
    _verdict(capsys, False, "it holds 1 observations, expected 2")
    assert check_checkout_histogram(registry, observed="checkouts") is False  # type: ignore[arg-type]
    _verdict(capsys, False, "observed should be the load result, got str")
