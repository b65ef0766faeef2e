"""Game-day scenarios played live at double speed: the shop's own faults
(a bad deploy, a cardinality explosion) and a retry storm."""

from __future__ import annotations

from labapp import Lab

from .scenario_cases import check_scenario


def test_bad_deploy(game_lab: Lab) -> None:
    check_scenario(game_lab, "bad_deploy")


def test_cardinality_explosion(game_lab: Lab) -> None:
    check_scenario(game_lab, "cardinality_explosion")


def test_retry_storm(game_lab: Lab) -> None:
    check_scenario(game_lab, "retry_storm")
