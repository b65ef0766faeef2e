"""Every exercise checker is fair on a busy machine (a shared Binder, a hub with 30 learners).

Another process spins on one core, as a neighbour would; each reference answer must
still pass, and the wrong answers the checker's own tests try must still fail.
The checkers judge what an answer caused (degraded pages, calls that reached
payments, the order of waits, requests refused) and scale the one time budget
they use (notebook 07's page budget) by how slow this machine is right now.

Notebooks 07-09 (the slow checkers, each running a shop under traffic) are tried
here in-process, the right answer and the wrong ones nearest to it. The other
checkers that time something or judge live traffic (notebooks 00, 01, 03, 05)
have their own tests run again, all of them, in a fresh process beside a spinner.
The rest judge text, synthetic series or stand-ins (a PromQL query, a rule file,
a runbook, a grade): a busy core cannot change their verdict, only slow it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from tenacity import wait_none, wait_random

from labapp import Lab, LabConfig
from labapp.exercises import (
    check_breaker_tuning,
    check_fallback,
    check_limit_config,
    check_polite_client,
    check_recommender_timeout,
    check_retries_in_breaker,
    check_stale_cache,
    check_tier_keys,
)

# The same answers as the checkers' own tests.
from .test_nb07 import MaxAgeCache, NoMaxAge, good_fallback, status_errors_only
from .test_nb08 import api_key, free_for_all, polite, tier_limit, tight_loop
from .test_nb09 import FULL_JITTER, factory

# Checkers that send requests to a live lab and time them or read what they caused.
LIVE_AND_TIMED = ("test_nb00.py", "test_nb01.py", "test_nb03.py", "test_nb05.py")

HERE = Path(__file__).resolve().parent
BUSY_ENV = "LABAPP_TEST_BUSY_CPU"  # read by this folder's conftest.py


@pytest.mark.parametrize(("answer", "verdict"), [(good_fallback, True), (status_errors_only, False)])
def test_fallback_on_a_busy_machine(
    lab: Lab, busy_cpu: None, capsys: pytest.CaptureFixture[str], answer: object, verdict: bool
) -> None:
    assert check_fallback(lab, answer) is verdict, capsys.readouterr().out


@pytest.mark.parametrize(("answer", "verdict"), [(MaxAgeCache, True), (NoMaxAge, False)])
def test_stale_cache_on_a_busy_machine(
    lab: Lab, busy_cpu: None, capsys: pytest.CaptureFixture[str], answer: object, verdict: bool
) -> None:
    assert check_stale_cache(lab, answer) is verdict, capsys.readouterr().out


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


@pytest.mark.parametrize(("answer", "verdict"), [(polite, True), (tight_loop, False)])
def test_polite_client_on_a_busy_machine(
    lab: Lab, busy_cpu: None, capsys: pytest.CaptureFixture[str], answer: object, verdict: bool
) -> None:
    assert check_polite_client(lab, answer) is verdict, capsys.readouterr().out


@pytest.mark.parametrize(("limit_for", "verdict"), [(tier_limit, True), (free_for_all, False)])
def test_tier_keys_on_a_busy_machine(
    lab: Lab, busy_cpu: None, capsys: pytest.CaptureFixture[str], limit_for: object, verdict: bool
) -> None:
    assert check_tier_keys(lab, api_key, limit_for) is verdict, capsys.readouterr().out


@pytest.mark.parametrize(
    ("config", "verdict"),
    # A fixed window lets twice the limit through at a window's edge: the checker must still see it.
    [
        (LabConfig(items_limit="10/second", rate_limit_strategy="moving-window"), True),
        (LabConfig(items_limit="10/second"), False),
    ],
)
def test_limit_config_on_a_busy_machine(
    lab: Lab, busy_cpu: None, capsys: pytest.CaptureFixture[str], config: LabConfig, verdict: bool
) -> None:
    assert check_limit_config(lab, config) is verdict, capsys.readouterr().out


@pytest.mark.timeout(600)  # about 30 s alone; a busy CI worker may take twice that
def test_every_other_live_checker_is_fair_beside_a_busy_neighbour() -> None:
    """The tests of every other live checker (its right answers, and the wrong ones it rejects) once more,
    in a fresh process with a core spinning all along."""
    env = {**os.environ, BUSY_ENV: "1"}
    command = [sys.executable, "-m", "pytest", "-n", "0", "-p", "no:cacheprovider", "-q", "--no-header"]
    command += LIVE_AND_TIMED
    done = subprocess.run(command, cwd=HERE, env=env, capture_output=True, text=True, timeout=540, check=False)
    summary = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else done.stderr[-2000:]
    assert done.returncode == 0, done.stdout[-6000:]
    assert " passed" in summary and "failed" not in summary, summary
