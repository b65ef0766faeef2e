"""Notebook 09's checker: it measures the breaker it is given through a real outage."""

from __future__ import annotations

import pytest

from labapp import Lab
from labapp.exercises import check_breaker_tuning


@pytest.mark.parametrize(
    ("threshold", "recovery", "verdict", "needle"),
    [
        (5, 0.5, True, "calls reached payments during the outage"),
        (40, 0.5, False, "a lower failure_threshold"),  # never opens: every call reaches payments
        (5, 4.5, False, "a shorter recovery_timeout_s"),  # open long after payments is back
        (0, 1.0, False, "a whole number"),
        (5, "soon", False, "seconds the breaker stays open"),
    ],
)
def test_the_checker_measures_the_breaker(
    lab: Lab, capsys: pytest.CaptureFixture[str], threshold: object, recovery: object, verdict: bool, needle: str
) -> None:
    assert check_breaker_tuning(lab, threshold, recovery) is verdict
    assert needle in capsys.readouterr().out
    assert "ex09_shop" not in lab.extras and not lab.switches["payments"].fault
