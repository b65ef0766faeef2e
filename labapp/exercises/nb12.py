"""Checkers for notebook 12 (game day).

1. ``check_diagnosis``: a structured :class:`~labapp.gameday.Diagnosis` of your hidden
   incident, graded part by part on this game day's own records.
2. ``check_mitigation``: a fix, judged by what it causes: the fault is replayed
   under the same traffic, your fix applied, and the SLO and the collateral measured.
"""

from __future__ import annotations

from ..gameday import Diagnosis, GameDay
from .feedback import fail, ok

__all__ = ["check_diagnosis", "check_mitigation"]


def _is_game(game: object) -> bool:
    return isinstance(game, GameDay)


def check_diagnosis(game: GameDay, diagnosis: object) -> bool:
    """Every part right: service, mechanism, start, routes or clients where they matter, and evidence."""
    if not _is_game(game):
        return fail("the first argument is not the game day", "pass game, the object lab.game_day() returned")
    if not isinstance(diagnosis, Diagnosis):
        return fail(
            f"expected a Diagnosis, got {type(diagnosis).__name__}",
            "Diagnosis(service=..., mechanism=..., started_s=..., promql=..., trace_id=... or log_line=...)",
        )
    grade = game.grade(diagnosis)
    for part in grade.parts:
        print(f"  {'✓' if part.ok else '✗'} {part.name}: {part.explanation}")
    if grade.passed:
        return ok(f"diagnosis right in every part ({grade.score}), with evidence that re-runs")
    wrong = [p.name for p in grade.parts if not p.ok]
    return fail(
        f"{grade.score} parts right; not yet: {', '.join(wrong)}",
        "ask the triage questions in order (causes before symptoms), then find a trace or a log line "
        "from the late part of the run that shows what you claim",
    )


def check_mitigation(game: GameDay, fix: object) -> bool:
    """The fix brings the crowd back within the SLO and turns away no innocent customer."""
    if not _is_game(game):
        return fail("the first argument is not the game day", "pass game, the object lab.game_day() returned")
    if not callable(fix):
        return fail(
            f"expected a function of the lab, got {type(fix).__name__}",
            "def my_fix(lab): ... using lab.controls, lab.release or lab.reconfigure(...)",
        )
    report = game.mitigate(fix)
    print(report)
    if not report.recovered:
        return fail(
            "the SLO did not recover with your fix",
            "a fix acts on the cause your diagnosis found: the slow or failing dependency, the client, the release",
        )
    refused = [c for c in report.collateral if "refused" in c]
    if refused:
        return fail(
            f"the SLO recovered, but at a cost: {refused[0]}",
            "block or limit only the culprit; shedding or blocking everyone also 'fixes' an overload",
        )
    return ok("the SLO recovered under the same traffic, and no customer was turned away")
