"""The embedded PromQL subset, on a hand-made SeriesStore (no network, no clock)."""

from __future__ import annotations

import math

import pytest

from labapp.observe import PromQLError
from labapp.observe.promql import evaluate, parse
from labapp.observe.store import SeriesStore

T0 = 1_700_000_000.0
JOB = {"job": "shop", "instance": "127.0.0.1:8000"}
BUCKETS = {"0.1": 50, "0.25": 80, "0.5": 95, "+Inf": 100}  # cumulative counts per unit of time


def q(store: SeriesStore, query: str, at: float) -> object:
    return evaluate(parse(query), store, at)


def only(value: object) -> float:
    assert isinstance(value, dict) and len(value) == 1, value
    return next(iter(value.values()))


@pytest.fixture
def store() -> SeriesStore:
    """60 s of scrapes every second: requests rise 10/s (route a) and 5/s (route b),
    errors 2.5/s on route a, and a histogram of route a whose buckets rise by BUCKETS per second."""
    store = SeriesStore()
    for i in range(61):
        t = T0 + i
        samples = [
            ("reqs_total", {"route": "a", "status": "200"}, 7.5 * i),
            ("reqs_total", {"route": "a", "status": "500"}, 2.5 * i),
            ("reqs_total", {"route": "b", "status": "200"}, 5.0 * i),
            ("errors_total", {"route": "a"}, 2.5 * i),
            ("errors_total", {"route": "b"}, 0.0),
            ("in_flight", {}, float(i % 4)),
        ]
        samples += [("lat_bucket", {"route": "a", "le": le}, float(n * i)) for le, n in BUCKETS.items()]
        store.add(t, samples, JOB)
    return store


def test_rate_of_a_counter_rising_10_per_second_is_10(store: SeriesStore) -> None:
    value = q(store, 'sum(rate(reqs_total{route="a"}[10s]))', T0 + 60)
    assert value == {(): pytest.approx(10.0, rel=0.02)}


def test_rate_keeps_labels_and_drops_the_name(store: SeriesStore) -> None:
    value = q(store, 'rate(reqs_total{route="b"}[5s])', T0 + 60)
    assert isinstance(value, dict)
    ((labels, rate),) = value.items()
    assert dict(labels) == {"route": "b", "status": "200", **JOB}
    assert rate == pytest.approx(5.0, rel=0.02)


def test_increase_over_a_window(store: SeriesStore) -> None:
    assert only(q(store, 'increase(errors_total{route="a"}[10s])', T0 + 60)) == pytest.approx(25.0, rel=0.02)


def test_rate_handles_a_counter_reset() -> None:
    store = SeriesStore()
    # +10 every second; the process restarts between t=5 and t=6 and counts from 0 again.
    values = [0, 10, 20, 30, 40, 50, 10, 20, 30, 40, 50]
    for i, v in enumerate(values):
        store.add(T0 + i, [("c_total", {}, float(v))], JOB)
    assert only(q(store, "rate(c_total[10s])", T0 + 10)) == pytest.approx(10.0, rel=0.05)
    assert only(q(store, "increase(c_total[10s])", T0 + 10)) == pytest.approx(100.0, rel=0.05)


def test_rate_needs_two_samples_in_the_window(store: SeriesStore) -> None:
    assert q(store, "rate(reqs_total[1s])", T0 + 60.5) == {}


def test_sum_by_and_without(store: SeriesStore) -> None:
    by_route = q(store, "sum by (route) (rate(reqs_total[10s]))", T0 + 60)
    assert by_route == {
        (("route", "a"),): pytest.approx(10.0, rel=0.02),
        (("route", "b"),): pytest.approx(5.0, rel=0.02),
    }
    trailing = q(store, "sum(rate(reqs_total[10s])) by (status)", T0 + 60)
    assert trailing == {
        (("status", "200"),): pytest.approx(12.5, rel=0.02),
        (("status", "500"),): pytest.approx(2.5, rel=0.02),
    }
    without = q(store, "sum without (status, instance) (rate(reqs_total[10s]))", T0 + 60)
    assert isinstance(without, dict)
    assert {dict(k)["route"]: v for k, v in without.items()} == {
        "a": pytest.approx(10.0, rel=0.02),
        "b": pytest.approx(5.0, rel=0.02),
    }
    assert all(set(dict(k)) == {"job", "route"} for k in without)


def test_other_aggregations(store: SeriesStore) -> None:
    assert only(q(store, "count(reqs_total)", T0 + 60)) == 3
    assert only(q(store, "max(reqs_total)", T0 + 60)) == 450
    assert only(q(store, "min(reqs_total)", T0 + 60)) == 150
    assert only(q(store, "avg(reqs_total)", T0 + 60)) == pytest.approx(300)


def test_instant_selector_takes_the_latest_sample_at_or_before(store: SeriesStore) -> None:
    assert only(q(store, "in_flight", T0 + 6.5)) == 2.0  # the sample at T0 + 6
    assert q(store, "in_flight", T0 - 1) == {}  # nothing yet


def test_label_matchers(store: SeriesStore) -> None:
    assert len(q(store, 'reqs_total{status!="200"}', T0 + 60)) == 1  # type: ignore[arg-type]
    assert len(q(store, 'reqs_total{route=~"a|b", status=~"2.."}', T0 + 60)) == 2  # type: ignore[arg-type]
    assert len(q(store, 'reqs_total{route!~"a"}', T0 + 60)) == 1  # type: ignore[arg-type]
    assert q(store, 'reqs_total{route="zzz"}', T0 + 60) == {}


def test_division_of_vectors_is_an_error_ratio(store: SeriesStore) -> None:
    ratio = q(store, 'sum(rate(reqs_total{status="500"}[10s])) / sum(rate(reqs_total[10s]))', T0 + 60)
    assert only(ratio) == pytest.approx(2.5 / 15, rel=0.02)


def test_one_to_one_matching_between_vectors(store: SeriesStore) -> None:
    value = q(store, 'errors_total{route="a"} / errors_total', T0 + 60)
    assert only(value) == 1.0  # only the series whose labels match on both sides


def test_division_by_zero_follows_prometheus(store: SeriesStore) -> None:
    value = q(store, 'errors_total{route="b"} / errors_total{route="b"}', T0 + 60)
    assert math.isnan(only(value))  # 0 / 0
    assert only(q(store, 'errors_total{route="a"} / 0', T0 + 60)) == math.inf


def test_scalar_arithmetic_and_precedence(store: SeriesStore) -> None:
    assert q(store, "1 + 2 * 3", T0) == 7.0
    assert q(store, "(1 + 2) * 3", T0) == 9.0
    assert q(store, "10 / 4 - 1", T0) == 1.5
    assert only(q(store, 'sum(rate(reqs_total{route="a"}[10s])) * 1000', T0 + 60)) == pytest.approx(10_000, rel=0.02)


def test_histogram_quantile_interpolates_inside_the_bucket(store: SeriesStore) -> None:
    query = "histogram_quantile({q}, sum by (le) (rate(lat_bucket[10s])))"
    # per second: 50 <= 0.1 s, 80 <= 0.25 s, 95 <= 0.5 s, 100 in all
    # p90: rank 90 falls in (0.25, 0.5], which holds 15; 10 of them are below rank -> 0.25 + 0.25 * 10/15
    assert only(q(store, query.format(q=0.9), T0 + 60)) == pytest.approx(0.25 + 0.25 * 10 / 15, rel=1e-6)
    # p50: rank 50 is the top of the first bucket (0, 0.1]
    assert only(q(store, query.format(q=0.5), T0 + 60)) == pytest.approx(0.1, rel=1e-6)
    # p25: half-way into the first bucket, which starts at 0
    assert only(q(store, query.format(q=0.25), T0 + 60)) == pytest.approx(0.05, rel=1e-6)
    # p99 falls in +Inf: Prometheus answers the highest finite bound
    assert only(q(store, query.format(q=0.99), T0 + 60)) == pytest.approx(0.5)


def test_histogram_quantile_on_raw_cumulative_counts(store: SeriesStore) -> None:
    value = q(store, "histogram_quantile(0.9, lat_bucket)", T0 + 1)
    assert only(value) == pytest.approx(0.25 + 0.25 * 10 / 15, rel=1e-6)


def test_histogram_quantile_edge_cases() -> None:
    store = SeriesStore()
    store.add(T0, [("h_bucket", {"le": "0.1"}, 0.0), ("h_bucket", {"le": "+Inf"}, 0.0)], JOB)
    store.add(T0, [("g_bucket", {"le": "0.1"}, 5.0), ("g_bucket", {"le": "0.2"}, 9.0)], JOB)
    assert math.isnan(only(q(store, "histogram_quantile(0.5, h_bucket)", T0)))  # no observations
    assert math.isnan(only(q(store, "histogram_quantile(0.5, g_bucket)", T0)))  # no +Inf bucket
    store.add(T0, [("k_bucket", {"le": "1"}, 5.0), ("k_bucket", {"le": "+Inf"}, 5.0)], JOB)
    assert only(q(store, "histogram_quantile(1.5, k_bucket)", T0)) == math.inf
    assert only(q(store, "histogram_quantile(1, k_bucket)", T0)) == 1.0


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("irate(reqs_total[5s])", r"the function irate\(\) is not in the embedded evaluator.*real Prometheus supports"),
        ("absent(up)", r"the function absent\(\) is not in the embedded evaluator"),
        ("frobnicate(up)", r"unknown function frobnicate\(\)"),
        ("topk(3, up)", r"the aggregation topk\(\) is not in the embedded evaluator"),
        ("rate(reqs_total)", r"rate\(\) takes one range selector, like rate\(metric\[5s\]\)"),
        ("histogram_quantile(lat_bucket)", r"histogram_quantile takes a number and a vector"),
        ("reqs_total[5s]", r"must be inside rate\(\), increase\(\) or an <agg>_over_time\(\)"),
        ("avg_over_time(reqs_total)", r"takes one range selector"),
        ("reqs_total > bool 5", r"the 'bool' modifier is not in the embedded evaluator.*real Prometheus supports"),
        ("reqs_total % 5", r"the '%' operator is not in the embedded evaluator"),
        ("reqs_total / on(route) errors_total", r"the 'on' modifier"),
        ("rate(reqs_total[5m:1m])", r"a subquery like \[5m:1m\]"),
        ("sum(rate(reqs_total[5s])", r"query ends early"),
        ("reqs_total[5x]", r"cannot read the query|a range looks like"),
        ("reqs_total[1.5m]", r"cannot read the query|a range looks like"),
        ("reqs_total{route=a}", r"label values are quoted strings"),
        ("reqs_total offset 5m", r"the 'offset' modifier is not in the embedded evaluator"),
        ("reqs_total @ 100", r"the '@' modifier"),
        ('{route=""}', r"needs a metric name or a label matcher that is not empty"),
        ("", r"non-empty string"),
    ],
)
def test_unsupported_or_malformed_queries_raise_a_clear_promql_error(
    store: SeriesStore, query: str, message: str
) -> None:
    with pytest.raises(PromQLError, match=message):
        q(store, query, T0 + 60)


def test_promql_error_is_a_value_error() -> None:
    assert issubclass(PromQLError, ValueError)


def test_comparisons_filter_and_set_operators_match_label_sets() -> None:
    store = SeriesStore()
    for t in range(20):
        store.add(
            float(t),
            [
                ("x_total", {"job": "a"}, 10.0 * t),
                ("x_total", {"job": "b"}, 1.0 * t),
                ("e_total", {"job": "a"}, 1.0 * t),
            ],
            {},
        )

    def at19(q: str) -> object:
        return evaluate(parse(q), store, 19.0)

    assert at19("rate(x_total[5s]) > 5") == {(("job", "a"),): pytest.approx(10.0)}
    assert at19("rate(x_total[5s]) <= 5") == {(("job", "b"),): pytest.approx(1.0)}
    assert at19("rate(x_total[5s]) > 5 and rate(e_total[5s]) > 0.5") == {(("job", "a"),): pytest.approx(10.0)}
    assert at19("rate(x_total[5s]) unless rate(e_total[5s])") == {(("job", "b"),): pytest.approx(1.0)}
    either = at19("rate(x_total[5s]) < 5 or rate(e_total[5s])")
    assert isinstance(either, dict) and set(either) == {(("job", "a"),), (("job", "b"),)}
    # an alert expression: the ratio survives the filter only above the threshold
    assert at19("sum(rate(e_total[5s])) / sum(rate(x_total[5s])) > 0.05") == {(): pytest.approx(1 / 11)}
    assert at19("sum(rate(e_total[5s])) / sum(rate(x_total[5s])) > 0.5") == {}


# -- what promtool showed the embedded engine got wrong (see data/rules/tests/) --


def test_unary_minus_negates_vectors_and_numbers(store: SeriesStore) -> None:
    assert only(q(store, 'errors_total{route="a"} * -1', T0 + 60)) == -150.0
    assert only(q(store, '-errors_total{route="a"}', T0 + 60)) == -150.0
    assert q(store, "-(2 * 3)", T0) == -6.0
    assert q(store, "1 - -1", T0) == 2.0


def test_label_values_keep_utf8_and_go_escapes() -> None:
    store = SeriesStore()
    store.add(T0, [("hits_total", {"path": "/é"}, 1.0), ("hits_total", {"path": 'say "hi"\n'}, 2.0)], {})
    assert only(q(store, 'hits_total{path="/é"}', T0)) == 1.0
    assert only(q(store, "hits_total{path='/\\u00e9'}", T0)) == 1.0
    assert only(q(store, 'hits_total{path="say \\"hi\\"\\n"}', T0)) == 2.0
    assert only(q(store, "hits_total{path=~`/.`}", T0)) == 1.0


def test_windows_include_both_ends_as_in_prometheus_2() -> None:
    store = SeriesStore()
    for i in range(9):
        store.add(T0 + i, [("m_total", {}, 10.0 * i)], {})
    # [5s] at T0+5 holds the samples at T0 ... T0+5: six of them, no extrapolation needed.
    assert only(q(store, "increase(m_total[5s])", T0 + 5)) == 50.0
    # The newest sample (T0+8) is visible for exactly 5 minutes, both ends included.
    assert only(q(store, "m_total", T0 + 308)) == 80.0
    assert q(store, "m_total", T0 + 309) == {}


def test_a_counter_is_not_extrapolated_below_zero_before_the_threshold_test() -> None:
    # First sample 4 s into a 10 s window: Prometheus first limits the start to where the
    # counter would have been zero (1 s back), then extrapolates those 1 s: 7, not 6.5.
    store = SeriesStore()
    for i, value in enumerate([1, 2, 3, 4, 5, 6, 7]):
        store.add(T0 + 4 + i, [("m_total", {}, float(value))], {})
    assert only(q(store, "increase(m_total[10s])", T0 + 10)) == 7.0


def test_round_to_the_nearest(store: SeriesStore) -> None:
    assert only(q(store, 'round(errors_total{route="a"} / 7, 0.01)', T0 + 60)) == pytest.approx(21.43)
    assert only(q(store, 'round(errors_total{route="a"} / 7)', T0 + 60)) == 21.0


def test_a_staleness_marker_ends_a_series_at_once() -> None:
    store = SeriesStore()
    key = store.add(T0, [("up", {"job": "shop"}, 1.0)], {})
    store.mark_stale(T0 + 1, key)
    assert only(q(store, "up", T0 + 0.5)) == 1.0
    assert q(store, "up", T0 + 1) == {}
    assert q(store, "up", T0 + 100) == {}


def test_vector_matching_refuses_duplicates_on_the_right() -> None:
    store = SeriesStore()
    store.add(T0, [("a_total", {"x": "1"}, 1.0), ("b_total", {"x": "1"}, 2.0)], {})
    with pytest.raises(PromQLError, match="aggregate first"):
        q(store, 'a_total / {x="1"}', T0)  # the right side holds a_total and b_total: same labels
