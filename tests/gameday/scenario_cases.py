"""One live check per scenario: detectable by its signals, not by the decoy's; the checker accepts
the right diagnosis (and the triage's draft) and rejects wrong ones with a reason; the known fix
brings the SLO back, and doing nothing does not."""

from __future__ import annotations

import dataclasses

from labapp import Lab
from labapp.gameday import MECHANISMS, triage

from .live import known_fix, play, right_diagnosis


def check_scenario(lab: Lab, name: str, *, also_without_fix: bool = False) -> None:
    game = play(lab, name)
    incident = game.incident
    for signal in incident.signals:
        part = game._grade_promql(signal.query)
        assert part.ok, part.explanation
    decoy = game._grade_promql(incident.decoy_signal)
    assert not decoy.ok, f"the decoy's signal shows in the fault window: {decoy.explanation}"
    probes = game.health_probes()  # the health checks of notebook 03 ran all along
    assert {"shop /ready", "payments /health"} <= set(probes["target"])
    if incident.truth.mechanism == "flapping":  # down and up again: both answers after the start
        during = probes[(probes["target"] == "payments /health") & (probes["at"] >= game.run.marks["fault_start"])]
        assert during["ok"].any() and not during["ok"].all(), during
    detect = game.times()["time_to_detect_s"]
    assert detect is not None and detect >= 0

    right = right_diagnosis(game)
    assert right.trace_id or right.log_line, "no trace or log line in the records shows the fault"
    grade = game.grade(right)
    assert grade.passed, str(grade)
    assert game.times()["time_to_diagnose_s"] is not None

    # The triage finds it too, without the truth: the notebook's folded solution relies on it.
    draft, findings = triage(game)
    assert draft is not None, [(f.question, [c.explanation for c in f.changes[:2]]) for f in findings]
    assert game.grade(draft).passed, str(game.grade(draft))

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
