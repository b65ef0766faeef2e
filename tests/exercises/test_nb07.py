"""Notebook 07's checkers: a fallback, a timeout and a stale cache, judged by the pages that come back."""

from __future__ import annotations

import logging
import re
import time
from typing import Any

import httpx
import pytest
from prometheus_client import Counter

from labapp import Lab
from labapp.exercises import check_fallback, check_recommender_timeout, check_stale_cache, healthy_recommender

log = logging.getLogger("test.nb07")


async def good_fallback(client: httpx.AsyncClient, product_id: int, fallbacks: Counter) -> dict[str, Any]:
    try:
        response = await client.get(f"/recommendations/{product_id}")
        response.raise_for_status()
        return {"recommendations": response.json()["items"], "degraded": False}
    except httpx.HTTPError as err:
        log.warning("recommendations unavailable: %s", err)
        fallbacks.inc()
        return {"recommendations": [], "degraded": True}


async def no_try(client: httpx.AsyncClient, product_id: int, fallbacks: Counter) -> dict[str, Any]:
    response = await client.get(f"/recommendations/{product_id}")
    response.raise_for_status()
    return {"recommendations": response.json()["items"], "degraded": False}


async def status_errors_only(client: httpx.AsyncClient, product_id: int, fallbacks: Counter) -> dict[str, Any]:
    try:
        response = await client.get(f"/recommendations/{product_id}")
        response.raise_for_status()
        return {"recommendations": response.json()["items"], "degraded": False}
    except httpx.HTTPStatusError as err:  # a stall is a TimeoutException, not caught here
        log.warning("recommendations unavailable: %s", err)
        fallbacks.inc()
        return {"recommendations": [], "degraded": True}


async def silent(client: httpx.AsyncClient, product_id: int, fallbacks: Counter) -> dict[str, Any]:
    try:
        return await good_fallback(client, product_id, fallbacks) | {"degraded": False}
    except Exception:
        return {"recommendations": [], "degraded": False}


async def uncounted(client: httpx.AsyncClient, product_id: int, fallbacks: Counter) -> dict[str, Any]:
    try:
        response = await client.get(f"/recommendations/{product_id}")
        response.raise_for_status()
        return {"recommendations": response.json()["items"], "degraded": False}
    except httpx.HTTPError as err:
        log.warning("recommendations unavailable: %s", err)
        return {"recommendations": [], "degraded": True}


async def unlogged(client: httpx.AsyncClient, product_id: int, fallbacks: Counter) -> dict[str, Any]:
    try:
        response = await client.get(f"/recommendations/{product_id}")
        response.raise_for_status()
        return {"recommendations": response.json()["items"], "degraded": False}
    except httpx.HTTPError:
        fallbacks.inc()
        return {"recommendations": [], "degraded": True}


def sync_function(client: object, product_id: int, fallbacks: object) -> dict[str, Any]:
    return {}


def _verdict(capsys: pytest.CaptureFixture[str]) -> str:
    return capsys.readouterr().out


def test_a_right_fallback_passes(lab: Lab, capsys: pytest.CaptureFixture[str]) -> None:
    assert check_fallback(lab, good_fallback)
    assert _verdict(capsys).startswith("✓ all 20 pages came back")
    assert "ex07_fallback" not in lab.extras and not lab.switches["recommender"].fault


@pytest.mark.parametrize(
    ("answer", "needle"),
    [
        (no_try, "wrap the call in try/except"),
        (status_errors_only, "a stall surfaces as a timeout"),
        (silent, "silent outage"),
        (uncounted, "fallbacks.inc()"),
        (unlogged, "log a warning"),
        (sync_function, "not an async function"),
        (None, "not an async function"),
    ],
)
def test_wrong_fallbacks_get_a_hint(lab: Lab, capsys: pytest.CaptureFixture[str], answer: object, needle: str) -> None:
    assert not check_fallback(lab, answer)
    out = _verdict(capsys)
    assert out.startswith("✗ ") and needle in out, out
    assert "ex07_fallback" not in lab.extras and not lab.switches["recommender"].fault


def test_the_healthy_latency_is_per_learner() -> None:
    assert healthy_recommender("ada") == healthy_recommender("ada")
    days = [healthy_recommender(name) for name in ("ada", "bob", "cy", "dee", "eve", "fay")]
    assert len(set(days)) > 1
    # solvable for everyone: the slowest healthy answer leaves room under the 250 ms page budget
    assert all(0.02 <= day.latency_s and day.latency_s + day.jitter_s <= 0.11 for day in days)


@pytest.mark.parametrize(
    ("timeout_s", "verdict", "needle"),
    [
        # above any learner's healthy 20-110 ms; a busy machine may push a page or two of 40 past it,
        # which the checker allows (up to 5%), so the test does not ask for 0%
        (0.15, True, "✓ 0.15 s: "),
        (0.02, False, "normal latency"),  # below every learner's healthy latency
        (0.5, False, "the page budget minus"),  # the stall shows through
        ("fast", False, "a positive number"),
        (True, False, "a positive number"),
    ],
)
def test_the_timeout_checker_measures_both_sides(
    lab: Lab, capsys: pytest.CaptureFixture[str], timeout_s: object, verdict: bool, needle: str
) -> None:
    assert check_recommender_timeout(lab, timeout_s) is verdict
    out = _verdict(capsys)
    assert needle in out, out
    assert "0.15" not in out or verdict  # a hint never names a passing value
    if verdict:
        degraded = re.search(r"(\d+)% degraded when healthy", out)
        assert degraded is not None and int(degraded[1]) <= 5, out
    assert "ex07_shop" not in lab.extras and not lab.switches["recommender"].fault


class MaxAgeCache:
    def __init__(self, max_age_s: float, clock: Any = time.monotonic) -> None:
        self.max_age_s, self.clock = max_age_s, clock
        self.entries: dict[object, tuple[object, float]] = {}

    def put(self, key: object, value: object) -> None:
        self.entries[key] = (value, self.clock())

    def get(self, key: object) -> tuple[object, float] | None:
        if key not in self.entries:
            return None
        value, stored = self.entries[key]
        age = self.clock() - stored
        return None if age > self.max_age_s else (value, age)


class NoMaxAge(MaxAgeCache):
    def get(self, key: object) -> tuple[object, float] | None:
        if key not in self.entries:
            return None
        value, stored = self.entries[key]
        return value, self.clock() - stored


class WallClock(MaxAgeCache):
    def put(self, key: object, value: object) -> None:
        self.entries[key] = (value, time.time())


class FirstAnswerForever(MaxAgeCache):
    def put(self, key: object, value: object) -> None:
        self.entries.setdefault(key, (value, self.clock()))


class Raises(MaxAgeCache):
    def get(self, key: object) -> tuple[object, float] | None:
        return self.entries[key]  # KeyError for unknown keys


def test_a_right_cache_passes(lab: Lab, capsys: pytest.CaptureFixture[str]) -> None:
    assert check_stale_cache(lab, MaxAgeCache)
    assert _verdict(capsys).startswith("✓ warm products served from the cache")
    assert "ex07_cache" not in lab.extras and not lab.switches["recommender"].fault


@pytest.mark.parametrize(
    ("answer", "needle"),
    [
        (NoMaxAge, "refuse entries older than max_age_s"),
        (WallClock, "clock(), not time.time()"),
        (FirstAnswerForever, "overwrite"),
        (Raises, "neither should raise"),
        (MaxAgeCache(60), "the class itself"),
        (dict, "raised TypeError"),
    ],
)
def test_wrong_caches_get_a_hint(lab: Lab, capsys: pytest.CaptureFixture[str], answer: object, needle: str) -> None:
    assert not check_stale_cache(lab, answer)
    out = _verdict(capsys)
    assert out.startswith("✗ ") and needle in out, out
