"""Notebook 08's checker: it measures the limit a config makes."""

from __future__ import annotations

import pytest

from labapp import Lab, LabConfig
from labapp.exercises import check_limit_config


@pytest.mark.parametrize(
    ("config", "verdict", "needle"),
    [
        (LabConfig(items_limit="10/second", rate_limit_strategy="moving-window"), True, "of the 30 at the window edge"),
        (LabConfig(items_limit="10/second"), False, "another rate_limit_strategy"),  # fixed window: 2x at the edge
        (LabConfig(items_limit="5/second", rate_limit_strategy="moving-window"), False, "allow 10 per second"),
        (
            LabConfig(items_limit="10/second", rate_limit_strategy="moving-window", rate_limit_key="forwarded-blindly"),
            False,
            "trust the header only from known proxies",
        ),
        ("10/second", False, "expected a LabConfig"),
    ],
)
def test_the_checker_measures_the_config(
    lab: Lab, capsys: pytest.CaptureFixture[str], config: object, verdict: bool, needle: str
) -> None:
    assert check_limit_config(lab, config) is verdict
    assert needle in capsys.readouterr().out
    assert "ex08_shop" not in lab.extras
