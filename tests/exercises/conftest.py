"""A busy neighbour on demand: ``busy_cpu`` spins one core for one test, and with
LABAPP_TEST_BUSY_CPU=1 in the environment every test here runs beside it
(test_busy_machine.py runs this folder that way)."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterator

import pytest

BUSY_ENV = "LABAPP_TEST_BUSY_CPU"


def _spin() -> None:
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {0})  # one core, as one busy neighbour
    while True:
        pass


def _spinning() -> Iterator[None]:
    spinner = multiprocessing.get_context("spawn").Process(target=_spin, daemon=True)
    spinner.start()
    try:
        yield
    finally:
        spinner.kill()
        spinner.join(5)


@pytest.fixture
def busy_cpu() -> Iterator[None]:
    """Another process spinning on one core while the test runs."""
    yield from _spinning()


@pytest.fixture(scope="session", autouse=True)
def busy_neighbour_for_the_session() -> Iterator[None]:
    if os.environ.get(BUSY_ENV) == "1":
        yield from _spinning()
    else:
        yield
