"""Retry policies: how many calls each makes, when, and what is never retried."""

from __future__ import annotations

import asyncio
import random

import httpx
import pytest
import tenacity.wait
from circuitbreaker import CircuitBreakerError

from labapp import Lab, LabConfig, outage
from labapp.resilience import LabCircuitBreaker, RetryPolicy, call_with_retries
from labapp.shop import make_shop_app


class Flaky:
    def __init__(self, failures: int, exc: BaseException | None = None) -> None:
        self.failures = failures
        self.exc = exc or ConnectionError("down")
        self.calls = 0

    async def __call__(self) -> str:
        self.calls += 1
        if self.calls <= self.failures:
            raise self.exc
        return "ok"


class RecordingSleep:
    """Stands in for asyncio.sleep: records each wait tenacity asks for, and returns at once."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def _run(flaky: Flaky, policy: RetryPolicy, sleep: RecordingSleep | None = None) -> object:
    async def go() -> object:
        return await call_with_retries(
            flaky, policy, retryable=lambda exc: isinstance(exc, ConnectionError), sleep=sleep
        )

    return asyncio.run(go())


def test_immediate_retries_call_back_to_back_up_to_the_attempts() -> None:
    flaky, sleep = Flaky(failures=10), RecordingSleep()
    with pytest.raises(ConnectionError):  # the last error itself, not a RetryError
        _run(flaky, RetryPolicy("immediate", attempts=4), sleep)
    assert flaky.calls == 4
    assert sleep.waits == [0.0, 0.0, 0.0]  # no wait between tries


class FixedUniform(random.Random):
    """``uniform(a, b)`` always returns the top (or the bottom) of the window: the jitter's bounds, exactly."""

    def __init__(self, top: bool) -> None:
        super().__init__(0)
        self.top = top

    def uniform(self, a: float, b: float) -> float:
        return b if self.top else a


@pytest.mark.parametrize(
    ("top", "expected"),
    [
        (True, [0.05, 0.1, 0.2, 0.25, 0.25]),  # the window doubles from base_s, capped at cap_s
        (False, [0.0, 0.0, 0.0, 0.0, 0.0]),  # full jitter: the window starts at 0
    ],
)
def test_backoff_waits_span_the_full_jitter_window_exactly(
    monkeypatch: pytest.MonkeyPatch, top: bool, expected: list[float]
) -> None:
    monkeypatch.setattr(tenacity.wait, "random", FixedUniform(top))
    flaky, sleep = Flaky(failures=5), RecordingSleep()
    assert _run(flaky, RetryPolicy("backoff", attempts=6, base_s=0.05, cap_s=0.25), sleep) == "ok"
    assert flaky.calls == 6
    assert sleep.waits == expected


def test_backoff_waits_are_random_within_the_window_and_seeded(monkeypatch: pytest.MonkeyPatch) -> None:
    def waits(seed: int) -> list[float]:
        monkeypatch.setattr(tenacity.wait, "random", random.Random(seed))
        sleep = RecordingSleep()
        with pytest.raises(ConnectionError):
            _run(Flaky(failures=10), RetryPolicy("backoff", attempts=5, base_s=0.1, cap_s=0.3), sleep)
        return sleep.waits

    first = waits(3)
    assert first == waits(3)  # the same seed, the same waits
    rng = random.Random(3)
    assert first == [rng.uniform(0, top) for top in (0.1, 0.2, 0.3, 0.3)]
    assert first != waits(4)


def test_the_default_sleep_really_waits() -> None:
    flaky = Flaky(failures=1)
    took = asyncio.run(_timed(flaky))
    assert flaky.calls == 2 and took >= 0.05  # a lower bound only: it waited the window's top, 0.05 s


async def _timed(flaky: Flaky) -> float:
    loop = asyncio.get_running_loop()
    start = loop.time()
    policy = RetryPolicy("backoff", attempts=2, base_s=0.05, cap_s=0.05)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(tenacity.wait, "random", FixedUniform(top=True))
        await call_with_retries(flaky, policy, retryable=lambda exc: True)
    return loop.time() - start


def test_none_means_one_try() -> None:
    flaky = Flaky(failures=1)
    with pytest.raises(ConnectionError):
        _run(flaky, RetryPolicy("none"))
    assert flaky.calls == 1


def test_errors_that_are_not_retryable_and_open_breakers_are_never_retried() -> None:
    not_retryable = Flaky(failures=5, exc=ValueError("bad request"))
    with pytest.raises(ValueError):
        _run(not_retryable, RetryPolicy("immediate", attempts=5))
    assert not_retryable.calls == 1
    breaker_error = Flaky(failures=5, exc=CircuitBreakerError(LabCircuitBreaker(name="x")))

    async def go() -> object:
        return await call_with_retries(breaker_error, RetryPolicy("immediate", attempts=5), retryable=lambda e: True)

    with pytest.raises(CircuitBreakerError):
        asyncio.run(go())
    assert breaker_error.calls == 1


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
