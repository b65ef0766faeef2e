"""Notebook 12's checkers: they grade a diagnosis part by part and judge a fix by what it caused.
(The game day itself runs live in tests/gameday; here its answers are stand-ins.)"""

from __future__ import annotations

import pandas as pd
import pytest

from labapp.exercises import check_diagnosis, check_mitigation
from labapp.gameday import Diagnosis, GameDay, Grade, MitigationReport, Part

RIGHT = Diagnosis("recommender", "latency", 16.0, promql="q", trace_id="a" * 32)
STATS = {"requests": 100.0, "p95_ms": 20.0, "error_pct": 0.0, "refused_pct": 0.0}


def _game(grade: Grade | None = None, report: MitigationReport | None = None) -> GameDay:
    game = GameDay.__new__(GameDay)  # a stand-in: no lab, only the answers the checkers read
    game.grade = lambda diagnosis: grade  # type: ignore[method-assign, assignment, return-value, misc]
    game.mitigate = lambda fix, **_: report  # type: ignore[method-assign, assignment, return-value, misc]
    return game


def _report(recovered: bool, collateral: list[str]) -> MitigationReport:
    return MitigationReport("latency", STATS, STATS, STATS, recovered, 0.0, collateral, "why", pd.DataFrame())


def _out(capsys: pytest.CaptureFixture[str]) -> str:
    return capsys.readouterr().out


def test_a_right_diagnosis_passes_and_shows_every_part(capsys: pytest.CaptureFixture[str]) -> None:
    grade = Grade("slow_recommender", (Part("service", True, "right"), Part("start", True, "within 5 s")))
    assert check_diagnosis(_game(grade), RIGHT) is True
    out = _out(capsys)
    assert "✓ service: right" in out and "✓ diagnosis right in every part (2/2)" in out


def test_a_wrong_part_fails_and_names_it(capsys: pytest.CaptureFixture[str]) -> None:
    grade = Grade("x", (Part("service", True, "right"), Part("start", False, "a decoy, not the cause")))
    assert check_diagnosis(_game(grade), RIGHT) is False
    out = _out(capsys)
    assert "✗ start: a decoy" in out and "not yet: start" in out and "causes before symptoms" in out


@pytest.mark.parametrize(
    ("game", "diagnosis", "needle"),
    [
        (None, RIGHT, "not the game day"),
        ("game", None, "expected a Diagnosis, got NoneType"),
    ],
)
def test_wrong_arguments_say_what_to_pass(
    capsys: pytest.CaptureFixture[str], game: object, diagnosis: object, needle: str
) -> None:
    assert check_diagnosis(_game() if game == "game" else game, diagnosis) is False  # type: ignore[arg-type]
    assert needle in _out(capsys)


def test_a_fix_passes_when_the_slo_recovers_with_no_one_turned_away(capsys: pytest.CaptureFixture[str]) -> None:
    degraded = ["130 pages served without recommendations (degraded)"]  # a chosen, visible cost: allowed
    assert check_mitigation(_game(report=_report(True, degraded)), lambda lab: None) is True
    assert "no customer was turned away" in _out(capsys)


@pytest.mark.parametrize(
    ("report", "needle"),
    [
        (_report(False, []), "did not recover"),
        (_report(True, ["40.0 % of the customers' requests refused (403/429/503)"]), "at a cost: 40.0 %"),
    ],
)
def test_a_fix_that_fails_or_turns_customers_away_does_not_pass(
    capsys: pytest.CaptureFixture[str], report: MitigationReport, needle: str
) -> None:
    assert check_mitigation(_game(report=report), lambda lab: None) is False
    assert needle in _out(capsys)


def test_a_fix_must_be_a_function(capsys: pytest.CaptureFixture[str]) -> None:
    assert check_mitigation(_game(), None) is False
    assert "expected a function of the lab, got NoneType" in _out(capsys)
