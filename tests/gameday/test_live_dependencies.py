"""Game-day scenarios played live at double speed: a slow dependency, a flapping one, an abusive client."""

from __future__ import annotations

from labapp import Lab

from .scenario_cases import check_scenario


def test_slow_recommender(game_lab: Lab) -> None:
    check_scenario(game_lab, "slow_recommender", also_without_fix=True)


def test_flapping_payments(game_lab: Lab) -> None:
    check_scenario(game_lab, "flapping_payments")


def test_abusive_client(game_lab: Lab) -> None:
    check_scenario(game_lab, "abusive_client")
