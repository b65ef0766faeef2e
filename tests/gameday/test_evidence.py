"""The evidence checks on made-up records: a change is a change, a quiet query is not, and
traces and log lines must be real, from the fault window, and show the fault."""

from __future__ import annotations

import json
import math

import pandas as pd
import pytest

from labapp import Lab
from labapp.gameday import Window, compare, draw, failures_in_runs, load_scenario
from labapp.gameday.evidence import check_log_line, check_trace, first_change
from labapp.gameday.play import STALL_S, GameDayRun
from labapp.load import LoadResult, Record
from labapp.tracing import SpanRecord

BASE = Window(1000.0, 1010.0)
FAULT = Window(1015.0, 1030.0)


class FakeSource:
    """A query_range that returns fixed series: {labels: function of time}."""

    def __init__(self, series: dict[tuple[tuple[str, str], ...], object]) -> None:
        self.series = series

    def query_range(self, promql: str, start: float, end: float | None = None, step_s: float = 1.0) -> pd.DataFrame:
        assert end is not None
        rows = []
        for labels, value in self.series.items():
            t = start
            while t <= end:
                v = value(t) if callable(value) else value
                if v is not None:
                    rows.append({"time": t, **dict(labels), "value": v})
                t += step_s
        return pd.DataFrame(rows) if rows else pd.DataFrame(columns=["time", "value"])


def test_a_rise_from_a_steady_baseline_shows_and_a_flat_line_does_not() -> None:
    rising = FakeSource({(): lambda t: 0.02 if t < 1012 else 0.4})
    change = compare(rising, "q", BASE, FAULT)
    assert change.shows and change.baseline == 0.02 and change.during == 0.4
    assert "×20" in change.explanation
    flat = compare(FakeSource({(): 0.3}), "q", BASE, FAULT)
    assert not flat.shows


def test_a_series_born_with_the_fault_shows_and_noise_does_not() -> None:
    born = FakeSource({(("route", "/items"),): lambda t: None if t < 1012 else 2.0})
    change = compare(born, "q", BASE, FAULT)
    assert change.shows and "from nothing" in change.explanation and "route=/items" in change.explanation
    noisy = FakeSource({(): lambda t: 1.0 + 0.3 * math.sin(t)})
    assert not compare(noisy, "q", BASE, FAULT).shows


def test_only_a_rise_shows_and_the_series_that_rose_most_decides() -> None:
    fall = FakeSource({(): lambda t: 5.0 if t < 1012 else 0.5})  # a decoy that came and went before the fault
    assert not compare(fall, "q", BASE, FAULT).shows
    source = FakeSource(
        {(("s", "a"),): lambda t: 1.0 if t < 1012 else 2.0, (("s", "b"),): lambda t: 1.0 if t < 1012 else 9.0}
    )
    change = compare(source, "q", BASE, FAULT)
    assert change.shows and change.series == "s=b"


def test_an_empty_answer_is_no_evidence() -> None:
    change = compare(FakeSource({}), "q", BASE, FAULT)
    assert not change.shows and "no data" in change.explanation


def test_first_change_times_the_detection() -> None:
    source = FakeSource({(): lambda t: 0.01 if t < 1014 else 0.5})
    assert first_change(source, "q", BASE, 1012.0, 1030.0) == 2.0
    assert first_change(FakeSource({(): 0.01}), "q", BASE, 1012.0, 1030.0) is None


INCIDENT = draw(load_scenario("slow_recommender"), seed=3)
SLOW = float(INCIDENT.fault["latency_s"])


def _span(trace: str, service: str, start: float, ms: float, **attrs: object) -> SpanRecord:
    return SpanRecord(
        trace, "ab" * 8, None, service, "GET /x", "SERVER", start, start + ms / 1000, "OK", attributes=dict(attrs)
    )


def test_a_trace_must_exist_come_from_the_window_and_show_the_fault() -> None:
    spans = [
        _span("a" * 32, "recommender", 1020, SLOW * 1000 + 5),
        _span("b" * 32, "recommender", 1020, 3),
        _span("c" * 32, "recommender", 1002, SLOW * 1000 + 5),
    ]
    good = check_trace(spans, "A" * 32, INCIDENT, FAULT)
    assert good.ok and "recommender took" in good.explanation
    assert "shows nothing wrong" in check_trace(spans, "b" * 32, INCIDENT, FAULT).explanation
    assert "outside the fault window" in check_trace(spans, "c" * 32, INCIDENT, FAULT).explanation
    assert "no trace" in check_trace(spans, "d" * 32, INCIDENT, FAULT).explanation


def _line(at: float, **fields: object) -> str:
    stamp = pd.Timestamp(at, unit="s", tz="UTC").isoformat()
    return json.dumps({"level": "INFO", "message": "request", **fields, "timestamp": stamp})


def test_a_log_line_must_be_copied_from_the_logs_and_show_the_fault() -> None:
    slow = _line(1020, service="recommender", status=200, latency_ms=SLOW * 1000 + 3)
    quick = _line(1020, service="recommender", status=200, latency_ms=2.0)
    early = _line(1001, service="recommender", status=200, latency_ms=SLOW * 1000 + 3)
    lines = [slow, quick, early]
    assert check_log_line(lines, slow, INCIDENT, FAULT).ok
    assert check_log_line(lines, json.loads(slow), INCIDENT, FAULT).ok  # a dict row works too
    assert "shows nothing wrong" in check_log_line(lines, quick, INCIDENT, FAULT).explanation
    assert "outside the fault window" in check_log_line(lines, early, INCIDENT, FAULT).explanation
    forged = _line(1021, service="recommender", status=200, latency_ms=900.0)
    assert "not in this game day's logs" in check_log_line(lines, forged, INCIDENT, FAULT).explanation
    assert "not JSON" in check_log_line(lines, "recommender was slow", INCIDENT, FAULT).explanation


def test_failures_in_runs_tell_flapping_from_a_steady_share() -> None:
    steady = [500 if i % 3 == 0 else 200 for i in range(60)]  # every third call fails, never two in a row
    share, after = failures_in_runs(steady)
    assert round(share, 2) == 0.33 and after == 0.0
    flapping = ([503] * 4 + [200] * 8) * 5  # down for 4 calls, up for 8
    share, after = failures_in_runs(flapping)
    assert round(share, 2) == 0.33 and after == 0.75
    assert failures_in_runs([200, 200]) == (0.0, 0.0) and failures_in_runs([]) == (0.0, 0.0)


def test_a_stall_before_the_fault_marks_the_baseline_disturbed() -> None:
    """Slow answers in the baseline, or in the rate window before it, spoil it; the decoy's own slow answers and
    the fault's do not."""
    incident = draw(load_scenario("flapping_payments"), seed=11)  # its decoy slows the recommender
    never_started = Lab.__new__(Lab)  # the run is judged on made-up records: no lab runs
    run = GameDayRun(never_started, incident, duration_s=18, time_scale=0.5)
    run.started = 1000.0
    run.marks = {"decoy_start": 1001.0, "decoy_end": 1002.5, "fault_start": 1008.0}

    def answered_in(slow: dict[float, float]) -> LoadResult:
        records = [
            Record(t / 10, t / 10, 0.02, slow.get(t / 10, 0.02), 200, "GET", "/", "client-0")
            for t in range(9980, 10180)
        ]
        return LoadResult(records, mode="open", started=1000.0, duration_s=18, target_rate=10.0)

    run.result = answered_in({})
    assert run.baseline_p95_s() == pytest.approx(0.02)
    # the decoy's second and a half, and the fault's seconds: not the baseline's business
    run.result = answered_in({t / 10: 0.2 for t in [*range(10010, 10025), *range(10080, 10180)]})
    assert run.baseline_p95_s() < STALL_S
    for at in (998, 1004, 1007):  # a second-long stall before the baseline starts (still in its windows), or in it
        run.result = answered_in({t / 10: 0.9 for t in range(at * 10, at * 10 + 10)})
        assert run.baseline_p95_s() == pytest.approx(0.9), at


def test_a_slow_route_disturbs_the_baseline_though_the_crowd_looks_quiet() -> None:
    """The signals look at one route: product pages slow in a tenth of their answers spoil a product-page
    baseline, though they are a third of the crowd and its overall 95th percentile stays fast."""
    incident = draw(load_scenario("slow_recommender"), seed=11)
    run = GameDayRun(Lab.__new__(Lab), incident, duration_s=18, time_scale=0.5)
    run.started = 1000.0
    run.marks = {"decoy_start": 1001.0, "decoy_end": 1002.5, "fault_start": 1008.0}

    def crowd(slow_s: float) -> LoadResult:
        records = []
        for i, t in enumerate(range(19960, 20160)):  # 998-1008 s, 20 answers a second
            path = ["/products/17", "/items", "/"][i % 3]
            took = slow_s if path.startswith("/products") and i % 30 == 0 else 0.02  # a tenth of the pages
            records.append(Record(t / 20, t / 20, 0.02, took, 200, "GET", path, "client-0"))
        return LoadResult(records, mode="open", started=1000.0, duration_s=18, target_rate=20.0)

    run.result = crowd(0.4)
    overall = sorted(r.service_time_s for r in run.result.records)
    assert overall[int(0.95 * (len(overall) - 1))] < STALL_S  # the crowd as a whole looks quiet
    assert run.baseline_p95_s() == pytest.approx(0.4)  # its product pages do not
    run.result = crowd(0.02)
    assert run.baseline_p95_s() == pytest.approx(0.02)
