"""Checkers of notebooks 01 and 04 whose tests predate one file per notebook: True with ✓ on a right
answer, False with a hint on a typical wrong one. The others are in test_nbNN.py."""

from __future__ import annotations

import pytest
from prometheus_client import CollectorRegistry, Counter, Histogram

from labapp.exercises import check_checkout_histogram, check_fast_burn_alert

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


def test_fast_burn_alert_right_and_wrong(capsys: pytest.CaptureFixture[str]) -> None:
    long, short = "job:shop_http_request_errors:ratio_rate1h", "job:shop_http_request_errors:ratio_rate5m"
    assert check_fast_burn_alert(f"{long} > (14.4 * 0.005) and {short} > (14.4 * 0.005)")
    assert not check_fast_burn_alert(f"{long} > (14.4 * 0.005)")  # no short window: pages after the incident
    assert "incident is over" in capsys.readouterr().out
    assert not check_fast_burn_alert(f"{long} > (14.4 * 0.001) and {short} > (14.4 * 0.001)")  # the 99.9% budget
    assert not check_fast_burn_alert("sum(")
