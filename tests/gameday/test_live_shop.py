"""Game-day scenarios played live at double speed: the shop's own faults
(a bad deploy, a cardinality explosion) and a retry storm."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from labapp import Lab

from .scenario_cases import check_scenario


@pytest.fixture(scope="module")
def game_lab(shared_lab: Lab) -> Iterator[Lab]:
    shared_lab.stop()  # one lab at a time; the ``lab`` fixture restarts the shared one later
    with Lab(tracing=True) as lab:
        lab.watch(prefer="embedded")
        yield lab


def test_bad_deploy(game_lab: Lab) -> None:
    check_scenario(game_lab, "bad_deploy", also_without_fix=True)


def test_cardinality_explosion(game_lab: Lab) -> None:
    check_scenario(game_lab, "cardinality_explosion")


def test_retry_storm(game_lab: Lab) -> None:
    check_scenario(game_lab, "retry_storm")
