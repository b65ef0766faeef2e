"""The embedded alert evaluator: pending -> firing -> resolved on simulated time."""

from __future__ import annotations

from typing import Any

import pytest

from labapp.alerts.evaluator import (
    AlertEvaluator,
    AlertRule,
    RecordingRule,
    RuleEvaluationError,
    load_rules,
    parse_duration,
)
from labapp.observe.promql import evaluate, parse
from labapp.observe.store import SeriesStore

RATIO = 'sum(rate(req_total{status=~"5.."}[5s])) / sum(rate(req_total[5s]))'


def traffic(error_share: dict[range, float], seconds: int = 120, rps: int = 100) -> SeriesStore:
    """Counters scraped every second: ``rps`` requests, a share of them 500s in the given ranges."""
    store = SeriesStore()
    ok = errors = 0.0
    for t in range(seconds):
        share = next((s for r, s in error_share.items() if t in r), 0.0)
        errors += rps * share
        ok += rps * (1 - share)
        store.add(float(t), [("req_total", {"status": "200"}, ok), ("req_total", {"status": "500"}, errors)], {})
    return store


def run(evaluator: AlertEvaluator, until: int) -> list[tuple[float, str]]:
    for t in range(until):
        evaluator.evaluate(at=float(t))
    return [(e.at, e.state) for e in evaluator.events]


def rule(for_s: float = 10) -> AlertRule:
    return AlertRule(
        "HighErrorRate",
        f"{RATIO} > 0.05",
        for_s,
        {"severity": "page"},
        {"summary": "errors at {{ $value | humanizePercentage }}"},
    )


def test_six_percent_fires_after_for_and_resolves() -> None:
    sent: list[dict[str, Any]] = []
    evaluator = AlertEvaluator(
        traffic({range(20, 60): 0.06}), ([], [rule()]), repeat_interval_s=1000, notify=sent.append
    )
    events = run(evaluator, 100)
    (pending, _), (firing, _), (resolved, _) = events
    assert [s for _, s in events] == ["pending", "firing", "resolved"]
    # The 5 s window's ratio ramps from 0 to 6% as it fills; it crosses 5% about 5/6 of the way.
    assert 20 < pending <= 26
    assert firing - pending == 10  # exactly `for`
    assert 60 <= resolved <= 65  # errors stop at 60: one clean second drops the 5 s ratio under 5%
    assert [p["status"] for p in sent] == ["firing", "resolved"]
    assert sent[0]["alerts"][0]["labels"] == {"alertname": "HighErrorRate", "severity": "page"}
    assert sent[0]["alerts"][0]["annotations"]["summary"] == "errors at 6%"
    assert sent[1]["alerts"][0]["endsAt"] != "0001-01-01T00:00:00Z"


def test_errors_shorter_than_for_never_fire() -> None:
    evaluator = AlertEvaluator(traffic({range(20, 27): 0.06}), ([], [rule(for_s=10)]))
    assert [s for _, s in run(evaluator, 60)] == ["pending"]  # pending, then quietly gone
    assert evaluator.alerts() == []


def test_four_percent_never_even_pends() -> None:
    evaluator = AlertEvaluator(traffic({range(0, 120): 0.04}), ([], [rule()]))
    assert run(evaluator, 120) == []


def test_firing_alerts_repeat_their_notification() -> None:
    sent: list[dict[str, Any]] = []
    evaluator = AlertEvaluator(
        traffic({range(10, 100): 0.5}), ([], [rule(for_s=0)]), repeat_interval_s=20, notify=sent.append
    )
    run(evaluator, 60)
    firing_times = [p for p in sent if p["status"] == "firing"]
    assert len(firing_times) == 3  # first at ~11 s, then every 20 s while it fires


def test_recording_rules_become_series_alerts_can_use() -> None:
    store = traffic({range(20, 60): 0.5})
    records = [RecordingRule("job:errors:ratio_rate5s", RATIO)]
    alerts = [AlertRule("Recorded", "job:errors:ratio_rate5s > 0.05", 0)]
    evaluator = AlertEvaluator(store, (records, alerts))
    events = run(evaluator, 40)
    assert store.series("job:errors:ratio_rate5s")
    assert [s for _, s in events] == ["pending", "firing"]


def test_rule_files_load_and_bad_ones_fail_early(tmp_path) -> None:  # type: ignore[no-untyped-def]
    good = tmp_path / "good.yml"
    good.write_text(
        "groups:\n- name: g\n  rules:\n  - record: r:x\n    expr: sum(rate(req_total[5s]))\n"
        "  - alert: A\n    expr: r:x > 1\n    for: 1m30s\n    labels: {severity: page}\n"
    )
    records, alerts = load_rules(good)
    assert records[0].record == "r:x" and alerts[0].for_s == 90 and alerts[0].labels == {"severity": "page"}
    bad = tmp_path / "bad.yml"
    bad.write_text("groups:\n- name: g\n  rules:\n  - alert: B\n    expr: sum(rate(req_total[5s])\n")
    with pytest.raises(ValueError, match="ends early"):
        load_rules(bad)


@pytest.mark.parametrize(("text", "seconds"), [("5m", 300), ("1h30m", 5400), ("500ms", 0.5), ("10s", 10), (0, 0)])
def test_durations(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


def test_bad_duration() -> None:
    with pytest.raises(ValueError, match="not a Prometheus duration"):
        parse_duration("5 minutes")


def test_alerts_series_follows_the_state_and_goes_stale() -> None:
    evaluator = AlertEvaluator(traffic({range(20, 60): 0.06}), ([], [rule()]))
    run(evaluator, 100)
    states = {}
    for t in (15, 26, 40, 80):
        vector = evaluate(parse('ALERTS{alertname="HighErrorRate"}'), evaluator.store, float(t))
        assert isinstance(vector, dict)
        states[t] = sorted(dict(k)["alertstate"] for k in vector)
    assert states == {15: [], 26: ["pending"], 40: ["firing"], 80: []}


def test_a_rule_that_fails_at_evaluation_is_loud_and_the_others_still_run() -> None:
    # Two series with the same labels under different names: a '/' between them has no
    # one-to-one match, which only shows when the rule is evaluated, not when it is parsed.
    store = traffic({range(0, 30): 0.5})
    store.add(29.0, [("a_total", {"x": "1"}, 1.0), ("b_total", {"x": "1"}, 1.0)], {})
    broken = AlertRule("Broken", 'a_total / {x="1"} > 0', 0)
    evaluator = AlertEvaluator(store, ([], [broken, rule(for_s=0)]))
    with pytest.raises(RuleEvaluationError, match=r"rule Broken failed at 29\.000: .*aggregate first"):
        evaluator.evaluate(29.0)
    assert {e.alertname for e in evaluator.events} == {"HighErrorRate"}  # the good rule still went on
    assert "failing now: Broken" in repr(evaluator)
