"""Judging a fix on made-up load records: recovery against the same run's baseline, and what it cost."""

from __future__ import annotations

import pandas as pd

from labapp.gameday.mitigation import judge

FIX_AT = 1000.0


def _records(
    start: float, seconds: int, *, latency_s: float, status: int = 200, path: str = "/products/1"
) -> pd.DataFrame:
    rows = [
        {"scheduled": start + i / 20, "latency_s": latency_s, "status": status, "path": path}
        for i in range(20 * seconds)
    ]
    return pd.DataFrame(rows)


BASELINE = _records(900.0, 10, latency_s=0.02)


def test_a_fix_that_brings_latency_back_recovers_and_one_that_does_not_fails() -> None:
    slow = _records(FIX_AT - 4, 4, latency_s=0.4)
    good = judge("latency", pd.concat([slow, _records(FIX_AT, 8, latency_s=0.02)]), FIX_AT, BASELINE)
    assert good.recovered and good.recovered_after_s == 0.0 and good.collateral == []
    assert good.unmitigated["p95_ms"] == 400.0 and "SLO here is 70 ms" in good.explanation
    bad = judge("latency", pd.concat([slow, _records(FIX_AT, 8, latency_s=0.4)]), FIX_AT, BASELINE)
    assert not bad.recovered and bad.recovered_after_s is None
    assert "SLO NOT recovered" in str(bad)


def test_turning_customers_away_is_collateral_unless_it_is_the_slo_itself() -> None:
    shed = pd.concat([_records(FIX_AT - 4, 4, latency_s=0.4), _records(FIX_AT, 8, latency_s=0.002, status=503)])
    report = judge("latency", shed, FIX_AT, BASELINE, degraded=12)
    assert report.recovered  # fast 503s are fast...
    assert any("refused" in c for c in report.collateral)  # ...and every one of them a customer turned away
    assert "12 pages served without recommendations (degraded)" in report.collateral
    served = judge("served", shed, FIX_AT, BASELINE)
    assert not served.recovered and "turned away" in served.explanation


def test_a_503_at_checkout_is_an_error_not_a_refusal() -> None:
    broken = _records(FIX_AT, 8, latency_s=0.01, status=503, path="/checkout")
    report = judge("errors", broken, FIX_AT, BASELINE)
    assert report.mitigated["error_pct"] == 100.0 and report.mitigated["refused_pct"] == 0.0
    assert not report.recovered


def test_the_series_slo_compares_samples_per_scrape() -> None:
    frame = _records(FIX_AT, 8, latency_s=0.02)
    assert judge("series", frame, FIX_AT, BASELINE, series=(100.0, 800.0, 110.0)).recovered
    report = judge("series", frame, FIX_AT, BASELINE, series=(100.0, 800.0, 700.0))
    assert not report.recovered and "SLO here is 120" in report.explanation


def test_a_stall_of_the_machine_after_the_fix_is_not_the_fault() -> None:
    """A second of slow answers (the machine, not the shop) spoils the window's p95 but not most seconds."""
    slow = _records(FIX_AT - 4, 4, latency_s=0.4)
    after = _records(FIX_AT, 8, latency_s=0.02)
    stalled_second = after["scheduled"].between(FIX_AT + 5, FIX_AT + 5.99)
    after.loc[stalled_second, "latency_s"] = 0.45
    report = judge("latency", pd.concat([slow, after]), FIX_AT, BASELINE)
    assert report.mitigated["p95_ms"] > 70  # the whole window's tail is the stall's
    assert report.recovered and "4 of its 6 seconds are within it: a stall" in report.explanation  # it straddles two
    # Two stalled seconds of six is too many to call a stall; every second slow is the fault, unfixed.
    after.loc[after["scheduled"].between(FIX_AT + 3, FIX_AT + 4.99), "latency_s"] = 0.45
    assert not judge("latency", pd.concat([slow, after]), FIX_AT, BASELINE).recovered
