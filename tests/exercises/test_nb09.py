"""Notebook 09's checkers: each judges what the learner's code causes against a real payments service."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from circuitbreaker import CircuitBreakerError
from starlette.responses import JSONResponse
from tenacity import (
    AsyncRetrying,
    retry_if_exception,
    stop_after_attempt,
    stop_never,
    wait_exponential,
    wait_none,
    wait_random,
    wait_random_exponential,
)
from tenacity.wait import wait_base

from labapp import Lab
from labapp.exercises import check_breaker_tuning, check_honest_fallback, check_retries_in_breaker
from labapp.exercises.nb09 import _calls_the_breaker_could_stop
from labapp.load import LoadResult, Record
from labapp.resilience import LabCircuitBreaker
from labapp.shop.payments import is_payments_failure

Order = dict[str, object]
CallPayments = Callable[[dict[str, Any]], Awaitable[httpx.Response]]


def honest(call_payment_api: Callable[[Order], Order], order: Order) -> JSONResponse:
    try:
        return JSONResponse(call_payment_api(order))
    except CircuitBreakerError:
        return JSONResponse(
            {"status": "not charged", "detail": "try again shortly"}, 503, headers={"Retry-After": "30"}
        )
    except httpx.HTTPStatusError as err:
        if err.response.status_code == 402:
            return JSONResponse({"status": "declined"}, 402)
        return JSONResponse({"status": "not charged", "detail": "payment service failed"}, 502)


def seed(call_payment_api: Callable[[Order], Order], order: Order) -> Order:
    try:
        return call_payment_api(order)
    except Exception:
        return {"status": "queued", "note": "payment delayed"}


def narrow(call_payment_api: Callable[[Order], Order], order: Order) -> Order:
    try:
        return call_payment_api(order)
    except CircuitBreakerError:
        return {"status": "queued", "note": "payment delayed"}


def all_503(call_payment_api: Callable[[Order], Order], order: Order) -> JSONResponse:
    try:
        return JSONResponse(call_payment_api(order))
    except Exception:
        return JSONResponse({"status": "not charged"}, 503, headers={"Retry-After": "30"})


def no_retry_after(call_payment_api: Callable[[Order], Order], order: Order) -> JSONResponse:
    try:
        return JSONResponse(call_payment_api(order))
    except httpx.HTTPStatusError as err:
        status = 402 if err.response.status_code == 402 else 502
        return JSONResponse({"status": "declined" if status == 402 else "not charged"}, status)
    except CircuitBreakerError:
        return JSONResponse({"status": "not charged"}, 503)


@pytest.mark.parametrize(
    ("function", "verdict", "needle"),
    [
        (honest, True, "breaker open: 503 with Retry-After 30"),
        (seed, False, "a declined card got 200"),
        (narrow, False, "raised HTTPStatusError"),
        (all_503, False, "a declined card got 503"),
        (no_retry_after, False, "without a Retry-After"),
        (None, False, "expected a function"),
        (lambda order: order, False, "two arguments"),
        (print, False, "two arguments"),  # a builtin: no signature to read
    ],
)
def test_honest_fallback(
    lab: Lab, capsys: pytest.CaptureFixture[str], function: object, verdict: bool, needle: str
) -> None:
    assert check_honest_fallback(lab, function) is verdict
    assert needle in capsys.readouterr().out
    assert not lab.switches["payments"].fault


def test_calls_on_their_way_when_the_breaker_opens_were_not_its_to_stop() -> None:
    """A stall let 17 checkouts go together; the fifth failure came back 50 ms later and the breaker
    opened: those 17 were all on their way. Only the threshold's own calls and what came after count."""
    bunched = [Record(10.0, 10.0, 0.05, 0.05, 503, "POST", "/checkout", "c") for _ in range(17)]
    result = LoadResult(bunched, mode="open", started=9.5, duration_s=4, target_rate=20.0)
    held_back = [10.01] * 17
    assert _calls_the_breaker_could_stop(held_back, result, 5, 9.5, 11.5) == 5
    assert _calls_the_breaker_could_stop([*held_back, 10.6, 11.1], result, 5, 9.5, 11.5) == 7  # two trials
    assert _calls_the_breaker_could_stop(held_back, result, 40, 9.5, 11.5) == 17  # never opened: all count


@pytest.mark.parametrize(
    ("threshold", "recovery", "verdict", "needle"),
    [
        (5, 0.5, True, "calls reached payments during the outage"),
        (40, 0.5, False, "open soon after failures start"),  # never opens: every call reaches payments
        (5, 4.5, False, "waits recovery_timeout_s before each trial"),  # open long after payments is back
        (0, 1.0, False, "a whole number"),
        (5, "soon", False, "a positive number of seconds"),
    ],
)
def test_breaker_tuning(
    lab: Lab, capsys: pytest.CaptureFixture[str], threshold: object, recovery: object, verdict: bool, needle: str
) -> None:
    assert check_breaker_tuning(lab, threshold, recovery) is verdict
    out = capsys.readouterr().out
    assert needle in out
    if "hint:" in out:  # only a hint must not give a value away; a ✓ line prints what it measured
        assert "0.5" not in out.split("hint:")[-1]
    assert "ex09_shop" not in lab.extras and not lab.switches["payments"].fault


def factory(wait: wait_base | None, *, breaker: bool = True, attempts: int | None = 4) -> Callable[[CallPayments], Any]:
    def make_my_charge(call_payments: CallPayments) -> Callable[[dict[str, Any]], Awaitable[httpx.Response]]:
        async def charge(payload: dict[str, Any]) -> httpx.Response:
            if wait is None:
                return await call_payments(payload)
            stop = stop_after_attempt(attempts) if attempts else stop_never
            retrying = AsyncRetrying(wait=wait, stop=stop, retry=retry_if_exception(is_payments_failure), reraise=True)
            async for attempt in retrying:
                with attempt:
                    return await call_payments(payload)
            raise AssertionError

        if not breaker:
            return charge
        return LabCircuitBreaker(5, 1.0, lambda _t, exc: is_payments_failure(exc), name="test-payments")(charge)  # type: ignore[no-any-return]

    return make_my_charge


def swallowing(call_payments: CallPayments) -> Callable[[dict[str, Any]], Awaitable[object]]:
    inner = factory(wait_random_exponential(0.1, 1))(call_payments)

    async def charge(payload: dict[str, Any]) -> object:
        try:
            return await inner(payload)
        except Exception:
            return {"status": "queued"}

    return charge


FULL_JITTER = wait_random_exponential(multiplier=0.1, max=1)


@pytest.mark.parametrize(
    ("make", "verdict", "needle"),
    [
        (factory(FULL_JITTER), True, "with growing waits; the next 16 made"),
        (factory(wait_none()), False, "same order as the tries that failed"),
        (factory(wait_exponential(multiplier=0.1, max=1)), False, "wait a random time"),
        (factory(wait_random(0, 0.1)), False, "grow with each try"),
        (factory(FULL_JITTER, breaker=False), False, "wrap the retrying call in a circuit breaker"),
        (factory(FULL_JITTER, attempts=6), False, "stop after a number of attempts"),
        (factory(wait_none(), attempts=None), False, "stop after a number of attempts"),
        (factory(None), False, "made only 1 try"),
        (swallowing, False, "let its exception through"),
        (lambda call_payments: "charge", False, "not a function"),
        (lambda call_payments: lambda payload: None, False, "not async"),
        (None, False, "expected a function"),
    ],
)
def test_retries_in_breaker(
    lab: Lab, capsys: pytest.CaptureFixture[str], make: object, verdict: bool, needle: str
) -> None:
    assert check_retries_in_breaker(lab, make) is verdict
    out = capsys.readouterr().out
    assert needle in out
    if "hint:" in out:  # a ✓ line may print any measured number; only a hint must not give a value away
        assert "0.1" not in out.split("hint:")[-1]
    assert not lab.switches["payments"].fault


def test_honest_fallback_names_a_stub(lab: Lab, capsys: pytest.CaptureFixture[str]) -> None:
    def stub(call_payment_api: object, order: object) -> None: ...

    assert check_honest_fallback(lab, stub) is False
    assert "returned nothing" in capsys.readouterr().out
