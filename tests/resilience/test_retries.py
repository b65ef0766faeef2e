"""Retry policies: how many calls each makes, when, and what is never retried."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest
from circuitbreaker import CircuitBreakerError

from labapp import Lab, LabConfig, outage
from labapp.resilience import LabCircuitBreaker, RetryPolicy, call_with_retries
from labapp.shop import make_shop_app


class Flaky:
    def __init__(self, failures: int, exc: BaseException | None = None) -> None:
        self.failures = failures
        self.exc = exc or ConnectionError("down")
        self.times: list[float] = []

    async def __call__(self) -> str:
        self.times.append(time.monotonic())
        if len(self.times) <= self.failures:
            raise self.exc
        return "ok"


def _run(flaky: Flaky, policy: RetryPolicy) -> object:
    async def go() -> object:
        return await call_with_retries(flaky, policy, retryable=lambda exc: isinstance(exc, ConnectionError))

    return asyncio.run(go())


def test_immediate_retries_call_back_to_back_up_to_the_attempts() -> None:
    flaky = Flaky(failures=10)
    with pytest.raises(ConnectionError):  # the last error itself, not a RetryError
        _run(flaky, RetryPolicy("immediate", attempts=4))
    assert len(flaky.times) == 4
    assert flaky.times[-1] - flaky.times[0] < 0.05


def test_backoff_waits_within_the_full_jitter_window() -> None:
    flaky = Flaky(failures=2)
    assert _run(flaky, RetryPolicy("backoff", attempts=3, base_s=0.05, cap_s=0.2)) == "ok"
    gaps = [b - a for a, b in zip(flaky.times, flaky.times[1:], strict=False)]
    assert len(gaps) == 2
    assert all(0 <= gap <= 0.2 + 0.05 for gap in gaps)  # never above the cap (plus scheduling slack)


def test_none_means_one_try() -> None:
    flaky = Flaky(failures=1)
    with pytest.raises(ConnectionError):
        _run(flaky, RetryPolicy("none"))
    assert len(flaky.times) == 1


def test_errors_that_are_not_retryable_and_open_breakers_are_never_retried() -> None:
    not_retryable = Flaky(failures=5, exc=ValueError("bad request"))
    with pytest.raises(ValueError):
        _run(not_retryable, RetryPolicy("immediate", attempts=5))
    assert len(not_retryable.times) == 1
    breaker_error = Flaky(failures=5, exc=CircuitBreakerError(LabCircuitBreaker(name="x")))

    async def go() -> object:
        return await call_with_retries(breaker_error, RetryPolicy("immediate", attempts=5), retryable=lambda e: True)

    with pytest.raises(CircuitBreakerError):
        asyncio.run(go())
    assert len(breaker_error.times) == 1


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [({"kind": "sometimes"}, "retry kind"), ({"attempts": 0}, "attempts"), ({"base_s": 2, "cap_s": 1}, "base_s")],
)
def test_bad_policies_are_refused(kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        RetryPolicy(**kwargs)  # type: ignore[arg-type]


def test_naive_retries_multiply_the_calls_a_failing_payments_service_gets(lab: Lab) -> None:
    arrivals = lab.switches["payments"].arrivals
    lab.inject("payments", outage())
    counts = {}
    for kind in ("none", "immediate"):
        config = LabConfig(payments_retry=kind, payments_retry_attempts=4)
        url = lab.serve(make_shop_app(lab.service_urls, config=config), "retry_shop")
        before = len(arrivals)
        with httpx.Client() as client:
            for _ in range(5):
                assert client.post(url + "/checkout", json={"product_id": 1}).status_code == 502
        counts[kind] = len(arrivals) - before
        lab.extras.pop("retry_shop").stop()
    assert counts == {"none": 5, "immediate": 20}
