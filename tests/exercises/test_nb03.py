"""Notebook 03's checkers: each runs the learner's function against the lab with faults injected."""

from __future__ import annotations

import httpx
import pytest

from labapp import Lab
from labapp.exercises import check_health_check, check_probe_timeout, check_readiness


def _passed(capsys: pytest.CaptureFixture[str]) -> str:
    out = capsys.readouterr().out
    assert out.startswith("✓ "), out
    return out


def _failed(capsys: pytest.CaptureFixture[str], *needles: str) -> str:
    out = capsys.readouterr().out
    assert out.startswith("✗ "), out
    assert "\n  hint: " in out, out
    hint = out.split("\n  hint: ", 1)[1]
    for needle in needles:
        assert needle in out, out
    for value in ("0.25", "0.5", "timeout=", "status_code == 200"):
        assert value not in hint, f"the hint gives away {value!r}: {hint}"
    return out


# -- exercise 1: the seed's check, fixed -----------------------------------------------------


def fixed(endpoint: str) -> bool:
    try:
        httpx.get(endpoint).raise_for_status()
        return True
    except httpx.HTTPError:
        return False


def seed_as_corrected(endpoint: str) -> None:
    """The seed after the smallest correction: silent when healthy (raise_for_status() is never None)."""
    try:
        status = httpx.get(endpoint).raise_for_status()
        if status == None:  # noqa: E711  # the seed's test
            print("Health Status: OK")
    except httpx.HTTPError as e:
        print(f"Health Status: Error: {e}")


def any_answer_is_health(endpoint: str) -> bool:
    try:
        httpx.get(endpoint)
        return True
    except httpx.HTTPError:
        return False


def lets_errors_escape(endpoint: str) -> bool:
    httpx.get(endpoint).raise_for_status()
    return True


def test_health_check_right(lab: Lab, capsys: pytest.CaptureFixture[str]) -> None:
    assert check_health_check(fixed, lab) is True
    _passed(capsys)


@pytest.mark.parametrize(
    ("fn", "needles"),
    [
        (seed_as_corrected, ("returned None", "raise_for_status() returns")),
        (any_answer_is_health, ("outage (HTTP 503) was called healthy", "status code")),
        (lets_errors_escape, ("raised HTTPStatusError", "catch httpx's errors")),
        (None, ("expected a function, got NoneType",)),
        ("http://x", ("expected a function, got str",)),
    ],
)
def test_health_check_wrong(lab: Lab, capsys: pytest.CaptureFixture[str], fn: object, needles: tuple[str, ...]) -> None:
    assert check_health_check(fn, lab) is False
    _failed(capsys, *needles)


# -- exercise 2: readiness that needs the catalog only ----------------------------------


def _up(url: str) -> bool:
    try:
        return httpx.get(url, timeout=0.5).status_code == 200
    except httpx.HTTPError:
        return False


def ready(urls: dict[str, str]) -> bool:
    return _up(urls["catalog"] + "/health")


def too_deep(urls: dict[str, str]) -> bool:
    return all(_up(u + "/health") for u in urls.values())


def always_ready(urls: dict[str, str]) -> bool:
    return True


def test_readiness_right(lab: Lab, capsys: pytest.CaptureFixture[str]) -> None:
    assert check_readiness(ready, lab) is True
    _passed(capsys)
    assert lab.faults()["catalog"] == lab.faults()["recommender"]  # healed


@pytest.mark.parametrize(
    ("fn", "needles"),
    [
        (too_deep, ("with the recommender down, your check said not ready", "nice-to-have")),
        (always_ready, ("with the catalog down, your check said ready", "product page")),
        (lambda urls: None, ("returned None, not True or False",)),
        (lambda urls: urls["nope"], ("raised KeyError",)),
    ],
)
def test_readiness_wrong(lab: Lab, capsys: pytest.CaptureFixture[str], fn: object, needles: tuple[str, ...]) -> None:
    assert check_readiness(fn, lab) is False
    _failed(capsys, *needles)


# -- exercise 3: a probe with a deadline -------------------------------------------------


def probe(url: str) -> bool:
    return _up(url)


def no_timeout(url: str) -> bool:
    try:
        return httpx.get(url, timeout=None).status_code == 200
    except httpx.HTTPError:
        return False


def timed_afterwards(url: str) -> bool:
    response = httpx.get(url, timeout=None)
    return response.status_code == 200 and response.elapsed.total_seconds() < 0.5


def too_eager(url: str) -> bool:
    """Calls everything down, as a timeout shorter than a normal answer would."""
    return False


def test_probe_timeout_right(lab: Lab, capsys: pytest.CaptureFixture[str]) -> None:
    assert check_probe_timeout(probe, lab) is True
    _passed(capsys)


@pytest.mark.parametrize(
    ("fn", "needles"),
    [
        (no_timeout, ("0.8 s was called healthy", "deadline")),
        (timed_afterwards, ("waited for the answer before deciding",)),
        (too_eager, ("a healthy catalog was called down", "normal answer")),
        (3, ("expected a function, got int",)),
    ],
)
def test_probe_timeout_wrong(
    lab: Lab, capsys: pytest.CaptureFixture[str], fn: object, needles: tuple[str, ...]
) -> None:
    assert check_probe_timeout(fn, lab) is False
    _failed(capsys, *needles)
