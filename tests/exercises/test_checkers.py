"""Each exercise checker: True with ✓ on a right answer, False with a hint on a typical wrong one."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from prometheus_client import CollectorRegistry, Counter, Histogram

from labapp import Lab, LoadResult, Scenario, Scraper, latency
from labapp.exercises import (
    check_catches_slowness,
    check_checkout_histogram,
    check_fast_burn_alert,
    check_items_burst,
    check_p99_query,
)
from labapp.exercises.nb02 import REFERENCE
from labapp.health import HealthChecker
from labapp.load import Record

T0 = 1_700_000_000.0
BUCKETS = "shop_http_request_duration_seconds_bucket"
PRODUCT_BUCKETS = BUCKETS + '{route="/products/{product_id}"}'


def _passed(capsys: pytest.CaptureFixture[str]) -> str:
    out = capsys.readouterr().out
    assert out.startswith("✓ "), out
    return out


def _failed(capsys: pytest.CaptureFixture[str], *needles: str) -> str:
    out = capsys.readouterr().out
    assert out.startswith("✗ "), out
    assert "\n  hint: " in out, out
    for needle in needles:
        assert needle in out, out
    return out


# -- notebook 00: 60 requests at 20 req/s to /items -----------------------------------


def _burst(
    count: int = 60, rate: float = 20, path: str = "/items", status: int = 200, mode: str = "open"
) -> LoadResult:
    records = [Record(T0 + i / rate, T0 + i / rate, 0.01, 0.01, status, "GET", path, "client-0") for i in range(count)]
    return LoadResult(
        records, mode=mode, started=T0, duration_s=count / rate, target_rate=rate if mode == "open" else None
    )


def test_items_burst_right(capsys: pytest.CaptureFixture[str]) -> None:
    assert check_items_burst(_burst()) is True
    assert "60 requests to /items at 20 req/s" in _passed(capsys)


@pytest.mark.parametrize(
    ("answer", "needles"),
    [
        (_burst(count=40), ("40 requests were sent, not 60", "requests = rate × duration_s")),
        (_burst(rate=10, count=60), ("asked for 10 req/s", "rate=20")),
        (_burst(path="/products/3"), ("requests went to ['/products/3']", 'targets="/items"')),
        (_burst(status=503), ("60 requests did not get 200 (statuses [503])", "lab.heal()")),
        (_burst(mode="closed"), ("closed loop", "rate=20")),
        ("result", ("expected the value lab.load(...) returns, got str", "result = lab.load(")),
    ],
)
def test_items_burst_wrong(capsys: pytest.CaptureFixture[str], answer: object, needles: tuple[str, ...]) -> None:
    assert check_items_burst(answer) is False
    _failed(capsys, *needles)


# -- notebook 01: a checkout histogram on your own registry ------------------------------

NAME = "exercise_checkout_duration_seconds"


def test_checkout_histogram_right(registry: CollectorRegistry, capsys: pytest.CaptureFixture[str]) -> None:
    histogram = Histogram(NAME, "Checkout time.", ["route"], buckets=(0.05, 0.1, 0.25, 0.5, 1.0), registry=registry)
    for value in (0.02, 0.2, 0.3):
        histogram.labels("/checkout").observe(value)
    assert check_checkout_histogram(registry, observed=3) is True
    assert "routes ['/checkout'], 3 observations" in _passed(capsys)


def test_checkout_histogram_wrong_bounds(registry: CollectorRegistry, capsys: pytest.CaptureFixture[str]) -> None:
    Histogram(NAME, "Checkout time.", ["route"], buckets=(0.1, 0.5), registry=registry).labels("/checkout").observe(0.2)
    assert check_checkout_histogram(registry) is False
    _failed(capsys, "bucket bounds are", "add 0.25")


def test_checkout_histogram_raw_path_labels(registry: CollectorRegistry, capsys: pytest.CaptureFixture[str]) -> None:
    histogram = Histogram(NAME, "Checkout time.", ["route"], buckets=(0.25, 1.0), registry=registry)
    histogram.labels("/products/17").observe(0.2)
    assert check_checkout_histogram(registry) is False
    _failed(capsys, "route values look like raw paths", "never the id")


def test_checkout_histogram_without_route_label(
    registry: CollectorRegistry, capsys: pytest.CaptureFixture[str]
) -> None:
    Histogram(NAME, "Checkout time.", buckets=(0.25, 1.0), registry=registry).observe(0.2)
    assert check_checkout_histogram(registry) is False
    _failed(capsys, "no 'route' label", 'labelnames=["route"]')


def test_checkout_histogram_in_milliseconds(registry: CollectorRegistry, capsys: pytest.CaptureFixture[str]) -> None:
    Histogram("exercise_checkout_duration_ms", "Checkout time.", ["route"], registry=registry)
    assert check_checkout_histogram(registry) is False
    _failed(capsys, "no metric named exercise_checkout_duration_seconds", "_duration_seconds, not _ms")


def test_checkout_histogram_as_a_counter(registry: CollectorRegistry, capsys: pytest.CaptureFixture[str]) -> None:
    Counter(NAME, "Checkouts.", registry=registry)
    assert check_checkout_histogram(registry) is False
    _failed(capsys)


def test_checkout_histogram_wrong_count(registry: CollectorRegistry, capsys: pytest.CaptureFixture[str]) -> None:
    Histogram(NAME, "Checkout time.", ["route"], buckets=(0.25, 1.0), registry=registry).labels("/checkout").observe(
        0.2
    )
    assert check_checkout_histogram(registry, observed=60) is False
    _failed(capsys, "it holds 1 observations, expected 60", "once")


def test_checkout_histogram_not_a_registry(capsys: pytest.CaptureFixture[str]) -> None:
    assert check_checkout_histogram({}) is False
    _failed(capsys, "expected a CollectorRegistry, got dict")


# -- notebook 02: the p99 of the product page as PromQL ------------------------------------


@pytest.fixture
def watcher() -> Iterator[Scraper]:
    """An embedded scraper holding 30 s of hand-made histogram samples (it never scrapes).

    The product page is fast (most under 50 ms); checkout is slow (most above 250 ms),
    so a query that forgets the route filter gets a different p99.
    """
    scraper = Scraper({"shop": "http://127.0.0.1:9"}, clock=lambda: T0 + 30)
    per_second = {
        "/products/{product_id}": {"0.05": 90, "0.1": 97, "0.25": 99, "0.5": 100, "+Inf": 100},
        "/checkout": {"0.05": 0, "0.1": 5, "0.25": 20, "0.5": 60, "+Inf": 100},
    }
    for i in range(31):
        samples = [
            ("shop_http_request_duration_seconds_bucket", {"method": "GET", "route": route, "le": le}, float(n * i))
            for route, buckets in per_second.items()
            for le, n in buckets.items()
        ]
        scraper.store.add(T0 + i, samples, {"job": "shop", "instance": "127.0.0.1:8000"})
    yield scraper
    scraper.stop()


def test_p99_query_right(watcher: Scraper, capsys: pytest.CaptureFixture[str]) -> None:
    assert check_p99_query(REFERENCE, watcher, T0 + 10) is True
    assert "p99 of the product page" in _passed(capsys)


def test_p99_query_right_with_other_spacing(watcher: Scraper, capsys: pytest.CaptureFixture[str]) -> None:
    query = f"""histogram_quantile(0.99,
        sum(rate({PRODUCT_BUCKETS}[5s])) by (le))"""
    assert check_p99_query(query, watcher, T0 + 10) is True
    _passed(capsys)


@pytest.mark.parametrize(
    ("query", "needles"),
    [
        (
            f"histogram_quantile(0.95, sum by (le) (rate({PRODUCT_BUCKETS}[5s])))",
            ("should start with histogram_quantile(0.99", "0.99 quantile"),
        ),
        (
            f"histogram_quantile(0.99, sum by (le) (rate({BUCKETS}[5s])))",
            ("values differ from the reference", 'route="/products/{product_id}"'),
        ),
        (
            f"histogram_quantile(0.99, sum by (le, route) (rate({BUCKETS}[5s])))",
            ("returns several series", "sum by (le) only"),
        ),
        (
            f"histogram_quantile(0.99, sum by (route) (rate({PRODUCT_BUCKETS}[5s])))",
            ("must keep the le label", "sum by (le)"),
        ),
        (
            f"histogram_quantile(0.99, sum by (le) ({PRODUCT_BUCKETS}))",
            ("per-second rate of the _bucket series",),
        ),
        (
            f"histogram_quantile(0.99, sum by (le) (irate({PRODUCT_BUCKETS}[5s])))",
            ("the query did not run", "irate() is not in the embedded evaluator"),
        ),
        (
            f'histogram_quantile(0.99, sum by (le) (rate({BUCKETS}{{route="/product"}}[5s])))',
            ("returned no data", "route matcher"),
        ),
    ],
)
def test_p99_query_wrong(
    watcher: Scraper, capsys: pytest.CaptureFixture[str], query: str, needles: tuple[str, ...]
) -> None:
    assert check_p99_query(query, watcher, T0 + 10) is False
    _failed(capsys, *needles)


def test_p99_query_not_a_string(watcher: Scraper, capsys: pytest.CaptureFixture[str]) -> None:
    assert check_p99_query(0.99, watcher, T0 + 10) is False
    _failed(capsys, "expected a PromQL string, got float")


def test_catches_slowness_right(lab: Lab, capsys: pytest.CaptureFixture[str]) -> None:
    checker = HealthChecker(
        {"catalog": lab.service_urls["catalog"] + "/health"}, interval_s=0.1, timeout_s=0.25
    ).start()
    lab.play(Scenario().at(0.3, "catalog", latency(0.4), for_s=1.5)).wait(10)
    checker.wait_for_rounds(8)
    checker.stop()
    assert check_catches_slowness(checker, lab)
    assert "✓" in capsys.readouterr().out


def test_catches_slowness_wrong(lab: Lab, capsys: pytest.CaptureFixture[str]) -> None:
    assert not check_catches_slowness(None, lab)
    no_timeout = HealthChecker({"catalog": lab.service_urls["catalog"] + "/health"}, timeout_s=None)
    assert not check_catches_slowness(no_timeout, lab)
    out = capsys.readouterr().out
    assert "timeout_s=None" in out and "hint:" in out


def test_fast_burn_alert_right_and_wrong(capsys: pytest.CaptureFixture[str]) -> None:
    long, short = "job:shop_http_request_errors:ratio_rate1h", "job:shop_http_request_errors:ratio_rate5m"
    assert check_fast_burn_alert(f"{long} > (14.4 * 0.005) and {short} > (14.4 * 0.005)")
    assert not check_fast_burn_alert(f"{long} > (14.4 * 0.005)")  # no short window: pages after the incident
    assert "incident is over" in capsys.readouterr().out
    assert not check_fast_burn_alert(f"{long} > (14.4 * 0.001) and {short} > (14.4 * 0.001)")  # the 99.9% budget
    assert not check_fast_burn_alert("sum(")
