"""Retry policies on tenacity: none, immediate (the naive one), exponential backoff with full jitter."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from circuitbreaker import CircuitBreakerError
from tenacity import AsyncRetrying, retry_if_exception, stop_after_attempt, wait_none, wait_random_exponential

__all__ = ["RETRY_KINDS", "RetryPolicy", "call_with_retries"]

RETRY_KINDS = ("none", "immediate", "backoff")
_default_sleep = AsyncRetrying().sleep  # tenacity's own: asyncio.sleep (or trio's under trio)
T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    """How a call is retried.

    ``immediate``: up to ``attempts`` tries back to back: the naive retry that
    multiplies load on a service that is already failing. ``backoff``: waits a
    random time in [0, min(cap_s, base_s × 2^n)] before try n+1 ("full
    jitter"), so callers that failed together do not retry together.
    """

    kind: str = "none"
    attempts: int = 3
    base_s: float = 0.1
    cap_s: float = 1.0

    def __post_init__(self) -> None:
        if self.kind not in RETRY_KINDS:
            raise ValueError(f"retry kind must be one of {RETRY_KINDS}, got {self.kind!r}")
        if not isinstance(self.attempts, int) or not 1 <= self.attempts <= 10:
            raise ValueError(f"attempts counts the first try too: 1 to 10, got {self.attempts!r}")
        if self.base_s <= 0 or self.cap_s < self.base_s:
            raise ValueError(f"need 0 < base_s <= cap_s, got base_s={self.base_s}, cap_s={self.cap_s}")


async def call_with_retries(
    call: Callable[[], Awaitable[T]],
    policy: RetryPolicy,
    retryable: Callable[[BaseException], bool],
    *,
    sleep: Callable[[float], Awaitable[None]] | None = None,
) -> T:
    """Run ``call`` under ``policy``, retrying only exceptions ``retryable`` accepts.

    tenacity's defaults retry forever, with no wait, on any exception: every
    one of those is set here. An open breaker's CircuitBreakerError is never
    retried (it means "stop calling"), and the last exception is re-raised as
    itself, not wrapped in a RetryError.

    ``sleep(seconds)`` waits between tries (default: tenacity's, ``asyncio.sleep``);
    tests pass one that records the waits instead of waiting.
    """
    if policy.kind == "none":
        return await call()
    retrying = AsyncRetrying(
        sleep=sleep or _default_sleep,
        stop=stop_after_attempt(policy.attempts),
        wait=wait_none() if policy.kind == "immediate" else wait_random_exponential(policy.base_s, policy.cap_s),
        retry=retry_if_exception(lambda exc: retryable(exc) and not isinstance(exc, CircuitBreakerError)),
        reraise=True,
    )
    async for attempt in retrying:
        with attempt:
            return await call()
    raise AssertionError("tenacity ends with a return or a raise")  # pragma: no cover
