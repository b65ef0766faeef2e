"""The post-incident summary: numbers from the facts, a sorted timeline, evidence on every line."""

from __future__ import annotations

import pandas as pd
import pytest

from labapp.faults import FaultWindow
from labapp.respond import IncidentFacts, write_summary
from labapp.respond.responder import AuditEntry

T0 = 1_800_000_000.0


def _facts() -> IncidentFacts:
    ratio = pd.DataFrame(
        {"time": [T0 + i for i in range(10)], "value": [0, 0.01, 0.2, 0.3, 0.25, 0.02, 0, 0.1, 0.01, 0]}
    )
    ratio.attrs["query"] = "errors / total"
    notes = pd.DataFrame(
        [
            {
                "time": T0 + 3.5,
                "alertname": "ShopHighErrorRateLab",
                "status": "firing",
                "receiver": "web-oncall",
                "summary": "5xx",
            }
        ]
    )
    audit = [
        AuditEntry(T0 + 4, "applied", "block", "127.0.0.9", "AbusiveClient", "blocked 127.0.0.9"),
        AuditEntry(T0 + 4, "refused", "block", "127.0.0.1", "AbusiveClient", "127.0.0.1 is protected"),
    ]
    return IncidentFacts(
        T0,
        T0 + 9,
        0.05,
        error_ratio=ratio,
        requests=("sum(increase(total[9s]))", 900.0),
        failed=("sum(increase(errors[9s]))", 72.0),
        faults=[FaultWindow("payments", "outage", T0 + 1.5, T0 + 5.5)],
        notifications=notes,
        audit=audit,
    )


def test_impact_counts_the_time_over_the_objective_and_the_failed_requests() -> None:
    summary = write_summary("payments outage", _facts())
    assert summary.impact[0] == "4 s with the error ratio over the 5% objective"  # 2-5 s and 7-8 s
    assert summary.impact[1].startswith("72 of 900 requests failed (8.0%)")
    assert summary.impact[2] == "clients blocked: 127.0.0.9"


def test_the_timeline_is_in_order_and_every_line_cites_its_source() -> None:
    summary = write_summary("payments outage", _facts())
    times = [line.at for line in summary.timeline]
    assert times == sorted(times)
    kinds = [line.evidence.kind for line in summary.timeline]
    assert {"fault", "promql", "alert", "audit"} <= set(kinds)
    first_over = next(line for line in summary.timeline if line.what == "error ratio over 5%")
    assert str(first_over.evidence) == "promql: `errors / total` = 30.0% at worst"
    text = summary.to_markdown()
    for heading in ("### Overview", "### Impact", "### Timeline (UTC)", "### Contributing factors", "### Action items"):
        assert heading in text
    assert "- [ ] *(yours to write" in text  # action items are for people
    assert "127.0.0.1 is protected" in text  # a refusal is a contributing factor worth reading


def test_a_window_that_ends_before_it_starts_is_refused() -> None:
    with pytest.raises(ValueError, match="must end after it starts"):
        write_summary("x", IncidentFacts(T0, T0))
