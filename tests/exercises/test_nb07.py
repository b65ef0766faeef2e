"""Notebook 07's checker: it measures the timeout it is given."""

from __future__ import annotations

import pytest

from labapp import Lab
from labapp.exercises import check_recommender_timeout


@pytest.mark.parametrize(
    ("timeout_s", "verdict", "needle"),
    [
        (0.15, True, "✓ 0.15 s: 0% degraded"),
        (0.02, False, "normal latency"),  # below the healthy 20-60 ms
        (0.5, False, "a shorter timeout"),  # the stall shows through
        ("fast", False, "a positive number"),
    ],
)
def test_the_checker_measures_both_sides(
    lab: Lab, capsys: pytest.CaptureFixture[str], timeout_s: object, verdict: bool, needle: str
) -> None:
    assert check_recommender_timeout(lab, timeout_s) is verdict
    assert needle in capsys.readouterr().out
    assert "ex07_shop" not in lab.extras and not lab.switches["recommender"].fault
