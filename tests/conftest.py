"""Shared fixtures: one running Lab for the session, a fresh registry, a deadline wait.

Tests that build their own ``Lab`` stop the shared one (a new Lab stops every
other Lab in the process); the ``lab`` fixture starts it again when needed.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import matplotlib

matplotlib.use("Agg")  # no display in CI; set before pyplot is imported anywhere

import httpx  # noqa: E402
import pytest  # noqa: E402
from prometheus_client import CollectorRegistry  # noqa: E402

from labapp import Lab, LabConfig  # noqa: E402

# Payments times out quickly in the shared lab so the 504 test takes ~0.5 s.
SHARED_CONFIG = LabConfig(payments_timeout_s=0.5)

WaitUntil = Callable[..., None]


def _wait_until(
    predicate: Callable[[], object], timeout_s: float = 5.0, *, interval_s: float = 0.01, what: str = ""
) -> None:
    """Poll ``predicate`` until it is truthy; fail the test after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while True:
        if predicate():
            return
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout_s} s waiting for {what or predicate}")
        time.sleep(interval_s)


@pytest.fixture
def wait_until() -> WaitUntil:
    """``wait_until(predicate, timeout_s)``: poll a condition with a deadline, never a bare sleep."""
    return _wait_until


@pytest.fixture
def registry() -> CollectorRegistry:
    """A fresh CollectorRegistry: never the global one."""
    return CollectorRegistry()


@pytest.fixture(scope="session")
def shared_lab() -> Iterator[Lab]:
    lab = Lab(SHARED_CONFIG)
    yield lab
    lab.stop()


@pytest.fixture
def no_shared_lab(shared_lab: Lab) -> Iterator[None]:
    """For tests that start their own Lab or count threads: stop the shared one first.

    (Starting a Lab stops every other Lab anyway; doing it here keeps the shared
    lab's shutdown out of the test.) The ``lab`` fixture restarts it later.
    """
    shared_lab.stop()
    yield


@pytest.fixture
def lab(shared_lab: Lab) -> Iterator[Lab]:
    """The shared lab, running and healthy; healed again after the test."""
    shared_lab.start()  # no-op when running; restarts it if another test's Lab stopped it
    shared_lab.heal()
    yield shared_lab
    shared_lab.heal()
    shared_lab.controls.reset()


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    """A plain HTTP client for loopback requests."""
    with httpx.Client(timeout=10.0) as client:
        yield client
