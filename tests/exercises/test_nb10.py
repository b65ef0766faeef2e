"""Notebook 10's checkers: judged by the decisions a responder makes, with hints that name the rail."""

from __future__ import annotations

import pytest

from labapp.exercises import check_guard_rails, check_runbook_step
from labapp.respond import GuardRails

RIGHT_STEP = """
steps:
  - alert: DependencySlow
    match: {tier: optional}
    action: degrade
    target_label: service
"""

RIGHT_RAILS = GuardRails(
    protected_clients=frozenset({"127.0.0.1", "127.0.0.250"}),
    max_blocked_share=0.1,
    cooldown_s=30,
    max_actions=4,
    window_s=120,
    expires_after_s=45,
)


def _verdict(capsys: pytest.CaptureFixture[str], passed: bool, needle: str = "") -> str:
    out = capsys.readouterr().out
    assert out.startswith("✓ " if passed else "✗ "), out
    assert needle in out, out
    return out


def test_the_right_step_passes(capsys: pytest.CaptureFixture[str]) -> None:
    assert check_runbook_step(RIGHT_STEP) is True
    _verdict(capsys, True, "the catalog never is")


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        (RIGHT_STEP.replace("    match: {tier: optional}\n", ""), "how essential"),  # skips the catalog too
        (RIGHT_STEP.replace("target_label: service", "target: recommender"), "target_label"),
        (RIGHT_STEP.replace("DependencySlow", "SlowDependency"), "alert name and labels"),
        (RIGHT_STEP.replace("degrade", "throttle"), "the shop's actions are"),
        (RIGHT_STEP.replace("    target_label: service\n", ""), "target"),
        ("steps: [", "does not parse"),
        (None, "YAML string"),
    ],
)
def test_wrong_steps_fail_with_the_idea(capsys: pytest.CaptureFixture[str], text: object, needle: str) -> None:
    assert check_runbook_step(text) is False
    out = _verdict(capsys, False, needle)
    assert "tier: optional" not in out and "optional" not in out.split("hint:")[-1]  # the hint names no value


def test_the_right_rails_pass(capsys: pytest.CaptureFixture[str]) -> None:
    assert check_guard_rails(RIGHT_RAILS) is True
    _verdict(capsys, True, "every rail holds")


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        ({"protected_clients": frozenset({"127.0.0.1"})}, "protected_clients"),
        ({"max_blocked_share": 0.2}, "max_blocked_share"),
        ({"cooldown_s": 0}, "cooldown_s"),
        ({"cooldown_s": 70}, "cooldown_s"),
        ({"max_actions": 5}, "max_actions"),
        ({"window_s": 60}, "window_s"),
        ({"expires_after_s": 15}, "while its alert still repeated"),
        ({"expires_after_s": 200}, "outlived its alert"),
    ],
)
def test_each_wrong_rail_is_named(capsys: pytest.CaptureFixture[str], change: dict[str, object], needle: str) -> None:
    assert check_guard_rails(RIGHT_RAILS.model_copy(update=change)) is False
    out = _verdict(capsys, False, needle)
    for value in ("30", "0.1", "45", "120"):
        assert value not in out.split("hint:")[-1], out


def test_not_rails_is_a_clear_message(capsys: pytest.CaptureFixture[str]) -> None:
    assert check_guard_rails({"cooldown_s": 30}) is False
    _verdict(capsys, False, "expected GuardRails")
