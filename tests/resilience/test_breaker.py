"""The circuit breaker: opens after the threshold, sends nothing while open, one probe, closes on success."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterator

import httpx
import pytest
from circuitbreaker import STATE_CLOSED, STATE_HALF_OPEN, STATE_OPEN, CircuitBreakerError

from labapp import Lab, LabConfig, outage
from labapp.resilience import LabCircuitBreaker
from labapp.services.payments import DECLINED_CARD
from labapp.shop import make_shop_app


class Dependency:
    """A fake dependency that counts calls and fails while ``failing``."""

    def __init__(self) -> None:
        self.calls = 0
        self.failing = True

    async def __call__(self) -> str:
        self.calls += 1
        await asyncio.sleep(0.01)
        if self.failing:
            raise ConnectionError("down")
        return "ok"


def _breaker(recovery_s: float = 0.2) -> tuple[LabCircuitBreaker, Dependency, object]:
    dependency = Dependency()
    breaker = LabCircuitBreaker(failure_threshold=3, recovery_timeout=recovery_s, name="test")
    return breaker, dependency, breaker(dependency.__call__)


async def _fail(call: object, times: int) -> None:
    for _ in range(times):
        with pytest.raises(ConnectionError):
            await call()  # type: ignore[operator]


async def _half_open(breaker: LabCircuitBreaker, timeout_s: float = 5.0) -> None:
    async with asyncio.timeout(timeout_s):
        while breaker.state != STATE_HALF_OPEN:
            await asyncio.sleep(0.02)


def test_opens_after_the_threshold_and_sends_nothing_while_open() -> None:
    breaker, dependency, call = _breaker(recovery_s=30)

    async def scenario() -> None:
        await _fail(call, 3)
        assert breaker.state == STATE_OPEN
        for _ in range(10):
            with pytest.raises(CircuitBreakerError):
                await call()  # type: ignore[operator]

    asyncio.run(scenario())
    assert dependency.calls == 3


def test_after_recovery_one_probe_goes_through_and_success_closes_it() -> None:
    breaker, dependency, call = _breaker(recovery_s=0.2)

    async def scenario() -> None:
        await _fail(call, 3)
        await _half_open(breaker)  # the recovery timeout, by the breaker's own clock
        dependency.failing = False
        assert await call() == "ok"  # type: ignore[operator]

    asyncio.run(scenario())
    assert dependency.calls == 4
    assert breaker.state == STATE_CLOSED
    assert [state for _, state in breaker.history] == [STATE_CLOSED, STATE_OPEN, STATE_HALF_OPEN, STATE_CLOSED]


def test_a_failed_probe_opens_it_again() -> None:
    breaker, dependency, call = _breaker(recovery_s=0.1)

    async def scenario() -> None:
        await _fail(call, 3)
        await _half_open(breaker)
        await _fail(call, 1)
        assert breaker.state == STATE_OPEN

    asyncio.run(scenario())
    assert dependency.calls == 4
    # Up to just after the last change: later, the clock would add another half-open stretch.
    segments = breaker.timeline(until=breaker.history[-1][0] + 0.01)
    assert [s for _, _, s in segments] == [STATE_CLOSED, STATE_OPEN, STATE_HALF_OPEN, STATE_OPEN]
    assert all(start <= end for start, end, _ in segments)


def test_half_open_lets_one_of_many_concurrent_callers_through() -> None:
    breaker, dependency, call = _breaker(recovery_s=0.1)

    async def scenario() -> list[object]:
        await _fail(call, 3)
        await _half_open(breaker)
        dependency.failing = False
        return await asyncio.gather(*(call() for _ in range(20)), return_exceptions=True)  # type: ignore[operator]

    outcomes = asyncio.run(scenario())
    assert outcomes.count("ok") == 1
    assert sum(isinstance(o, CircuitBreakerError) for o in outcomes) == 19
    assert dependency.calls == 4  # three failures, one probe: not twenty
    assert breaker.state == STATE_CLOSED


def test_transitions_are_logged(caplog: pytest.LogCaptureFixture) -> None:
    breaker, _dependency, call = _breaker(recovery_s=30)
    with caplog.at_level(logging.INFO, logger="labapp.breaker"):
        asyncio.run(_fail(call, 3))
    assert "circuit test opened after 3 failures in a row" in caplog.text


@pytest.mark.parametrize(("threshold", "recovery"), [(0, 1.0), (5, 0), ("5", 1.0)])
def test_bad_settings_say_what_they_mean(threshold: object, recovery: object) -> None:
    with pytest.raises(ValueError, match="failure_threshold|recovery_timeout"):
        LabCircuitBreaker(failure_threshold=threshold, recovery_timeout=recovery)  # type: ignore[arg-type]


# -- in the shop, over real HTTP ------------------------------------------------------


@pytest.fixture
def breaker_shop(lab: Lab) -> Iterator[tuple[str, LabCircuitBreaker]]:
    # 2 s open: long enough that the 13 checkouts below all meet it open, even on a busy machine.
    config = LabConfig(payments_breaker_threshold=5, payments_breaker_recovery_s=2.0)
    app = make_shop_app(lab.service_urls, config=config)
    url = lab.serve(app, "breaker_shop")
    yield url, app.state.payments_breaker
    lab.extras.pop("breaker_shop").stop()


def test_the_shops_breaker_fails_fast_and_honestly(
    lab: Lab, breaker_shop: tuple[str, LabCircuitBreaker], wait_until: Callable[..., None]
) -> None:
    url, breaker = breaker_shop
    arrivals = lab.switches["payments"].arrivals
    lab.inject("payments", outage())
    before = len(arrivals)
    with httpx.Client() as client:
        statuses = [client.post(url + "/checkout", json={"product_id": 1}).status_code for _ in range(12)]
        paused = client.post(url + "/checkout", json={"product_id": 1})
        metrics = client.get(url + "/metrics").text
    assert statuses == [502] * 5 + [503] * 7
    assert len(arrivals) - before == 5  # nothing reached payments once it opened
    assert paused.json()["detail"] == "payments paused after repeated failures; you were not charged"
    assert paused.headers["retry-after"] in ("1", "2")
    assert 'shop_circuit_breaker_state{dependency="payments",state="open"} 1.0' in metrics
    lab.heal()
    wait_until(lambda: breaker.state == STATE_HALF_OPEN, 5)
    assert httpx.post(url + "/checkout", json={"product_id": 1}).status_code == 200
    assert breaker.state == STATE_CLOSED


def test_declined_cards_do_not_open_the_shops_breaker(lab: Lab, breaker_shop: tuple[str, LabCircuitBreaker]) -> None:
    url, breaker = breaker_shop
    with httpx.Client() as client:
        declined = [client.post(url + "/checkout", json={"product_id": 1, "card": DECLINED_CARD}) for _ in range(8)]
        assert client.post(url + "/checkout", json={"product_id": 1}).status_code == 200
    assert {r.status_code for r in declined} == {402}
    assert breaker.state == STATE_CLOSED
