"""Notebook 02's checkers: each runs the learner's PromQL on known test series and judges the result."""

from __future__ import annotations

import pytest

from labapp.exercises import check_error_ratio_by_route, check_ok_rate_by_route, check_p99_query
from labapp.exercises.nb02 import practice_watcher

R = "shop_http_requests_total"
B = "shop_http_request_duration_seconds_bucket"
ERRORS = R + '{status=~"5.."}'


def _passed(capsys: pytest.CaptureFixture[str]) -> str:
    out = capsys.readouterr().out
    assert out.startswith("✓ "), out
    return out


def _failed(capsys: pytest.CaptureFixture[str], *needles: str, forbidden: tuple[str, ...] = ()) -> str:
    out = capsys.readouterr().out
    assert out.startswith("✗ "), out
    assert "\n  hint: " in out, out
    for needle in needles:
        assert needle in out, out
    hint = out.split("\n  hint: ", 1)[1]
    for text in forbidden:
        assert text not in hint, f"the hint gives away {text!r}: {hint}"
    return out


def test_practice_watcher_has_two_replicas() -> None:
    watcher = practice_watcher()
    up = watcher.query(f"sum by (instance) (rate({R}[5s]))")
    assert sorted(up["instance"]) == ["10.0.0.1:8000", "10.0.0.2:8000"]


# -- exercise 1: 2xx requests per second by route ---------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        f'sum by (route) (rate({R}{{status=~"2.."}}[5s]))',
        f'sum(rate({R}{{status="200"}}[1m])) by (route)',
    ],
)
def test_ok_rate_right(query: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert check_ok_rate_by_route(query) is True
    assert "/items: 40/s" in _passed(capsys)


@pytest.mark.parametrize(
    ("query", "needles"),
    [
        (f"sum by (route) (rate({R}[5s]))", ("errors included", "2xx")),
        (f'sum by (route) ({R}{{status=~"2.."}})', ("counts since the shop started", "per second")),
        (f'rate({R}{{status=~"2.."}}[5s])', ("2 series for route", "sum by (route)")),
        (f'sum(rate({R}{{status=~"2.."}}[5s]))', ("without a route label",)),
        (None, ("no query yet",)),
        (42, ("expected a PromQL string, got int",)),
        ("sum(", ("did not run",)),
    ],
)
def test_ok_rate_wrong(query: object, needles: tuple[str, ...], capsys: pytest.CaptureFixture[str]) -> None:
    assert check_ok_rate_by_route(query) is False
    _failed(capsys, *needles, forbidden=('status=~"2.."', "rate(shop"))


# -- exercise 2: the 5xx share of each route --------------------------------------------


def test_error_ratio_right(capsys: pytest.CaptureFixture[str]) -> None:
    query = f"sum by (route) (rate({ERRORS}[5s])) / sum by (route) (rate({R}[5s]))"
    assert check_error_ratio_by_route(query) is True
    out = _passed(capsys)
    assert "/checkout: 20 %" in out and "/items has no 5xx series" in out


@pytest.mark.parametrize(
    ("query", "needles"),
    [
        (f"sum(rate({ERRORS}[5s])) / sum(rate({R}[5s]))", ("whole shop", "route")),
        (f"sum by (route) (rate({ERRORS}[5s])) / sum(rate({R}[5s]))", ("returned nothing", "same labels")),
        (f"rate({ERRORS}[5s]) / rate({R}[5s])", ("2 series for route", "per route, not per series")),
        (
            f'sum by (route) (rate({R}{{status=~"[45].."}}[5s])) / sum by (route) (rate({R}[5s]))',
            ("count 4xx answers", "404"),
        ),
        (f"sum by (route) (rate({R}[5s])) / sum by (route) (rate({ERRORS}[5s]))", ("exceed 1",)),
        (f"sum by (route) (rate({ERRORS}[5s]))", ("exceed 1", "divided by all requests")),
        (None, ("no query yet",)),
    ],
)
def test_error_ratio_wrong(query: object, needles: tuple[str, ...], capsys: pytest.CaptureFixture[str]) -> None:
    assert check_error_ratio_by_route(query) is False
    _failed(capsys, *needles, forbidden=("sum by (route) (rate(",))


# -- exercise 3: p99 by route, both replicas' buckets -----------------------------------


@pytest.mark.parametrize(
    "query",
    [
        f"histogram_quantile(0.99, sum by (le, route) (rate({B}[5s])))",
        f"histogram_quantile(0.99, sum(rate({B}[10s])) by (route, le))",
    ],
)
def test_p99_right(query: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert check_p99_query(query) is True
    assert "/products/{product_id}: 900 ms" in _passed(capsys)


@pytest.mark.parametrize(
    ("query", "needles"),
    [
        (f"histogram_quantile(0.99, sum by (le) (rate({B}[5s])))", ("all routes mixed", "keep the route")),
        (f"histogram_quantile(0.99, sum by (route) (rate({B}[5s])))", ("returned nothing", "le label")),
        (f"histogram_quantile(0.99, sum by (le, route, instance) (rate({B}[5s])))", ("one p99 per replica",)),
        (
            f"avg by (route) (histogram_quantile(0.99, sum by (le, route, instance) (rate({B}[5s]))))",
            ("average the replicas", "do not average"),
        ),
        (f"histogram_quantile(0.99, sum by (le, route) ({B}))", ("before the slowdown", "short window")),
        (f"histogram_quantile(0.99, sum by (le, route) (rate({B}[1m])))", ("before the slowdown",)),
        (f"histogram_quantile(0.95, sum by (le, route) (rate({B}[5s])))", ("not those of the last 5 s",)),
        (0.99, ("expected a PromQL string, got float",)),
    ],
)
def test_p99_wrong(query: object, needles: tuple[str, ...], capsys: pytest.CaptureFixture[str]) -> None:
    assert check_p99_query(query) is False
    _failed(capsys, *needles, forbidden=("sum by (le, route)", "[5s]"))
