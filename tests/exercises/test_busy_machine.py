"""The checkers that watch a live shop are fair on a busy machine (a shared Binder, a hub with 30 learners).

Another process spins on one core for the whole test, as a neighbour would; each
reference answer must still pass, and the wrong answers the checker's own tests
try must still fail. The checkers judge what an answer caused (degraded pages,
calls that reached payments, the order of waits) and scale the one time budget
they use (notebook 07's page budget) by how slow this machine is right now.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterator

import pytest
from tenacity import wait_none, wait_random
from test_nb09 import FULL_JITTER, factory  # the same reference answers as its own tests

from labapp import Lab
from labapp.exercises import check_breaker_tuning, check_recommender_timeout, check_retries_in_breaker


def _spin() -> None:
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {0})  # one core, as one busy neighbour
    while True:
        pass


@pytest.fixture
def busy_cpu() -> Iterator[None]:
    spinner = multiprocessing.get_context("spawn").Process(target=_spin, daemon=True)
    spinner.start()
    try:
        yield
    finally:
        spinner.kill()
        spinner.join(5)


@pytest.mark.parametrize(("timeout_s", "verdict"), [(0.15, True), (0.5, False)])
def test_recommender_timeout_on_a_busy_machine(
    lab: Lab, busy_cpu: None, capsys: pytest.CaptureFixture[str], timeout_s: float, verdict: bool
) -> None:
    assert check_recommender_timeout(lab, timeout_s) is verdict, capsys.readouterr().out


@pytest.mark.parametrize(("threshold", "recovery", "verdict"), [(5, 0.5, True), (40, 0.5, False)])
def test_breaker_tuning_on_a_busy_machine(
    lab: Lab, busy_cpu: None, capsys: pytest.CaptureFixture[str], threshold: int, recovery: float, verdict: bool
) -> None:
    assert check_breaker_tuning(lab, threshold, recovery) is verdict, capsys.readouterr().out


@pytest.mark.parametrize(
    ("make", "verdict"),
    # A flat random wait once passed for a growing one when a late wake-up stretched the longest wait.
    [(factory(FULL_JITTER), True), (factory(wait_none()), False), (factory(wait_random(0, 0.1)), False)],
)
def test_retries_in_breaker_on_a_busy_machine(
    lab: Lab, busy_cpu: None, capsys: pytest.CaptureFixture[str], make: object, verdict: bool
) -> None:
    assert check_retries_in_breaker(lab, make) is verdict, capsys.readouterr().out
