"""One live check per scenario: detectable by its signals, not by the decoy's; the checker accepts
the right diagnosis and rejects wrong ones with a reason; the known fix brings the SLO back."""

from __future__ import annotations

import dataclasses

from labapp import Lab
from labapp.gameday import MECHANISMS

from .live import known_fix, play, right_diagnosis


def check_scenario(lab: Lab, name: str, *, also_without_fix: bool = False) -> None:
    game = play(lab, name)
    incident = game.incident
    for signal in incident.signals:
        part = game._grade_promql(signal.query)
        assert part.ok, part.explanation
    decoy = game._grade_promql(incident.decoy_signal)
    assert not decoy.ok, f"the decoy's signal shows in the fault window: {decoy.explanation}"
    detect = game.times()["time_to_detect_s"]
    assert detect is not None and detect >= 0

    right = right_diagnosis(game)
    assert right.trace_id or right.log_line, "no trace or log line in the records shows the fault"
    grade = game.grade(right)
    assert grade.passed, str(grade)
    assert game.times()["time_to_diagnose_s"] is not None

    other_service = next(s for s in ("catalog", "payments", "recommender", "shop") if s != right.service)
    other_mechanism = next(m for m in MECHANISMS if m != right.mechanism)
    decoy_start = game.run.marks["decoy_start"] - game.started
    wrong = dataclasses.replace(
        right,
        service=other_service,
        mechanism=other_mechanism,
        started_s=decoy_start,
        promql=incident.decoy_signal,
        routes=["/nowhere"] if right.routes else [],
        clients=["127.0.0.99"] if right.clients else [],
        trace_id="0" * 32,
        log_line="",
    )
    graded = {p.name: p for p in game.grade(wrong).parts}
    assert not any(p.ok for p in graded.values()), str(game.grade(wrong))
    assert "decoy" in graded["start"].explanation
    assert "no clear rise" in graded["PromQL evidence"].explanation
    assert "no trace" in graded["trace or log evidence"].explanation

    fixed = known_fix(game)
    assert fixed.recovered, str(fixed)
    if also_without_fix:
        unfixed = known_fix(game, apply=False)
        assert not unfixed.recovered, str(unfixed)
    assert not lab.controls.blocked and lab.release.version == "v1"  # the lab is back as it was
