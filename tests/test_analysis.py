"""analysis: windows, rates, percentiles and bucket quantiles on small hand-made data."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from prometheus_client import CollectorRegistry, Counter, Histogram

from labapp.analysis import (
    bucket_counts,
    compare_runs,
    error_mask,
    latency_percentiles,
    poll,
    quantile_from_buckets,
    series_count,
    windowed_rates,
)
from labapp.load import LoadResult, Record

BUCKETS = [(0.1, 50.0), (0.25, 80.0), (0.5, 95.0), (math.inf, 100.0)]


@pytest.fixture
def frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "t": [0.1, 0.5, 1.2, 1.7, 1.9, 3.4],
            "latency_s": [0.010, 0.030, 0.020, 0.040, 0.100, 0.050],
            "status": [200, 500, 200, 0, 429, 200],
        }
    )


def test_error_mask_counts_5xx_and_no_answer_not_4xx(frame: pd.DataFrame) -> None:
    assert error_mask(frame).tolist() == [False, True, False, True, False, False]


def test_windowed_rates(frame: pd.DataFrame) -> None:
    table = windowed_rates(frame, window_s=1.0)
    assert table["t"].tolist() == [0.0, 1.0, 3.0]  # empty windows have no row
    assert table["requests"].tolist() == [2, 3, 1]
    assert table["errors"].tolist() == [1, 1, 0]
    assert table["rate"].tolist() == [2.0, 3.0, 1.0]
    assert table["error_pct"].tolist() == pytest.approx([50.0, 100 / 3, 0.0])


def test_windowed_rates_scale_by_the_window(frame: pd.DataFrame) -> None:
    table = windowed_rates(frame, window_s=2.0)
    assert table["t"].tolist() == [0.0, 2.0]
    assert table["rate"].tolist() == [2.5, 0.5]  # 5 requests in 2 s, then 1
    assert table["error_rate"].tolist() == [1.0, 0.0]


def test_windowed_rates_rejects_a_bad_window(frame: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match="window_s must be positive"):
        windowed_rates(frame, window_s=0)


def test_latency_percentiles_in_ms_per_window(frame: pd.DataFrame) -> None:
    table = latency_percentiles(frame, window_s=1.0, percentiles=(50, 90))
    assert list(table.columns) == ["t", "p50", "p90"]
    # window 0: 10 and 30 ms; window 1: 20, 40, 100 ms; window 3: 50 ms (linear interpolation)
    assert table["p50"].tolist() == pytest.approx([20.0, 40.0, 50.0])
    assert table["p90"].tolist() == pytest.approx([28.0, 88.0, 50.0])


@pytest.mark.parametrize("percentiles", [(0,), (100,), (50, 150)])
def test_latency_percentiles_rejects_fractions_outside_0_100(
    frame: pd.DataFrame, percentiles: tuple[float, ...]
) -> None:
    with pytest.raises(ValueError, match="between 0 and 100"):
        latency_percentiles(frame, percentiles=percentiles)


def test_accepts_a_load_result_and_rejects_other_things() -> None:
    records = [
        Record(
            scheduled=100.0 + i / 2,
            sent=100.0 + i / 2,
            latency_s=0.01,
            service_time_s=0.01,
            status=200,
            method="GET",
            path="/",
            client="client-0",
        )
        for i in range(4)
    ]
    result = LoadResult(records, mode="open", started=100.0, duration_s=2.0, target_rate=2.0)
    assert windowed_rates(result)["requests"].tolist() == [2, 2]
    with pytest.raises(TypeError, match="expected a LoadResult"):
        windowed_rates(pd.DataFrame({"x": [1]}))


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        (0.9, 0.25 + 0.25 * 10 / 15),  # rank 90 in (0.25, 0.5], 10 of its 15 below
        (0.5, 0.1),  # the top of the first bucket
        (0.25, 0.05),  # half-way into (0, 0.1]
        (0.8, 0.25),
        (0.99, 0.5),  # in +Inf: the highest finite bound, as Prometheus answers
    ],
)
def test_quantile_from_buckets_interpolates_like_prometheus(q: float, expected: float) -> None:
    assert quantile_from_buckets(BUCKETS, q) == pytest.approx(expected)


def test_quantile_from_buckets_of_nothing_is_nan() -> None:
    assert math.isnan(quantile_from_buckets([(0.1, 0.0), (math.inf, 0.0)], 0.5))


def test_quantile_zero_with_an_empty_first_bucket_does_not_crash() -> None:
    value = quantile_from_buckets([(0.1, 0.0), (0.25, 5.0), (math.inf, 5.0)], 0.0)
    # Prometheus answers NaN (0/0), and so do both of the lab's implementations.
    assert math.isnan(value)


def test_bucket_counts_sum_matching_series(registry: CollectorRegistry) -> None:
    histogram = Histogram("lat_seconds", "Latency.", ["route"], buckets=(0.1, 0.5), registry=registry)
    for value in (0.05, 0.2, 0.7):
        histogram.labels("/a").observe(value)
    histogram.labels("/b").observe(0.05)
    assert bucket_counts(registry, "lat_seconds") == [(0.1, 2.0), (0.5, 3.0), (math.inf, 4.0)]
    assert bucket_counts(registry, "lat_seconds", route="/a") == [(0.1, 1.0), (0.5, 2.0), (math.inf, 3.0)]
    with pytest.raises(ValueError, match="no histogram 'nope'"):
        bucket_counts(registry, "nope")


def test_series_count_counts_every_sample(registry: CollectorRegistry) -> None:
    assert series_count(registry) == 0
    counter = Counter("hits", "Hits.", ["path"], registry=registry)
    counter.labels("/a").inc()
    before = series_count(registry)
    counter.labels("/b").inc()
    assert series_count(registry) == before + 2  # one _total and one _created sample per label set


def test_poll_reads_until_done() -> None:
    values = iter([1.0, 2.0, 3.0, 4.0])
    reads: list[float] = []

    def read() -> float:
        reads.append(next(values))
        return reads[-1]

    samples = poll(read, until=lambda: len(reads) >= 3, every_s=0.001)
    assert [v for _, v in samples] == [1.0, 2.0, 3.0]
    times = [t for t, _ in samples]
    assert times == sorted(times)


def test_poll_stops_at_its_timeout() -> None:
    samples = poll(lambda: 0.0, until=lambda: False, every_s=0.01, timeout_s=0.05)
    assert 1 <= len(samples) <= 10


@pytest.mark.parametrize(("every_s", "timeout_s"), [(0, 1), (0.1, 0), (-1, 1)])
def test_poll_rejects_non_positive_times(every_s: float, timeout_s: float) -> None:
    with pytest.raises(ValueError, match="must be positive seconds"):
        poll(lambda: 0.0, until=lambda: True, every_s=every_s, timeout_s=timeout_s)


def test_burn_rate_and_budget_from_records() -> None:
    from labapp.analysis import burn_rate

    # 10 requests a second for 10 s; every request in (5 s, 6 s] fails (10 of 100 = 10%)
    frame = pd.DataFrame(
        {
            "t": [i / 10 for i in range(100)],
            "status": [500 if 51 <= i <= 60 else 200 for i in range(100)],
            "latency_s": [0.01] * 100,
        }
    )
    table = burn_rate(frame, slo=0.9, window_s=1.0)
    at = table.set_index("t")
    assert at.loc[6.0, "error_ratio"] == 1.0 and at.loc[6.0, "burn_rate"] == pytest.approx(10.0)
    assert at.loc[4.0, "burn_rate"] == 0.0
    assert at.loc[10.0, "budget_left_pct"] == pytest.approx(0.0)  # 10 errors = exactly the 10% budget
    with pytest.raises(ValueError, match="fraction"):
        burn_rate(frame, slo=99.9)


def _run(latencies: list[float], mode: str) -> LoadResult:
    records = [
        Record(scheduled=100 + i, sent=100 + i, latency_s=lat, service_time_s=lat, status=200, method="GET",
               path="/", client="c")
        for i, lat in enumerate(latencies)
    ]  # fmt: skip
    return LoadResult(records, mode=mode, started=100.0, duration_s=len(latencies), target_rate=None)


def test_compare_runs_puts_the_same_columns_side_by_side() -> None:
    stalled = _run([0.01] * 15 + [1.0] * 5, "open")
    hidden = _run([0.01] * 19 + [1.0], "closed")
    table = compare_runs({"open": stalled, "closed": hidden}, slow_s=0.5)
    assert table.index.tolist() == ["open", "closed"]
    assert table["mode"].tolist() == ["open", "closed"]
    assert table["requests"].tolist() == [20, 20]
    assert table["slower than 0.5 s"].tolist() == ["25%", "5%"]
    assert table.loc["open", "p95_ms"] == 1000.0
    assert table.loc["closed", "p50_ms"] == 10.0


def test_compare_runs_says_what_it_takes() -> None:
    with pytest.raises(TypeError, match="runs maps a name to a LoadResult"):
        compare_runs([_run([0.01], "open")])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"runs\['a'\] is a str"):
        compare_runs({"a": "fast"})  # type: ignore[dict-item]
    with pytest.raises(ValueError, match="slow_s must be a number of seconds above 0"):
        compare_runs({"a": _run([0.01], "open")}, slow_s=0)
