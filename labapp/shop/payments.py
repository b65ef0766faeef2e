"""How checkout calls payments: through retries, inside a circuit breaker, as configured."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from ..config import LabConfig
from ..resilience import LabCircuitBreaker, RetryPolicy, call_with_retries
from .downstream import Downstream, DownstreamError

__all__ = ["Charge", "is_payments_failure", "make_charge"]

Charge = Callable[[dict[str, Any]], Awaitable[httpx.Response]]


def is_payments_failure(exc: BaseException) -> bool:
    """A failure of the payments service, worth retrying and counting against it.

    Not a "rejected" call (a 4xx: our request was wrong, or a card declined,
    which payments answers with 402 and the shop expects): retrying would fail
    the same way, and five declined cards must not open the breaker for everyone.
    """
    return isinstance(exc, DownstreamError) and exc.outcome in ("error", "timeout", "unreachable")


def make_charge(downstream: Downstream, config: LabConfig) -> tuple[Charge, LabCircuitBreaker | None]:
    """The checkout's payments call, and its breaker if the config asks for one."""
    policy = RetryPolicy(config.payments_retry, config.payments_retry_attempts)

    async def charge(payload: dict[str, Any]) -> httpx.Response:
        # One key per checkout, the same on every try: a try that timed out may have charged the
        # card, and payments answers the retry with that charge instead of making a second one.
        key = {"Idempotency-Key": uuid.uuid4().hex}
        return await call_with_retries(
            # Never retried when "invalid": a 200 the shop cannot read may still be a charge made.
            lambda: downstream.call(
                "payments",
                "POST",
                "/charges",
                json=payload,
                headers=key,
                expect=(200, 402),
                fields=("charge_id", "status"),
            ),
            policy,
            retryable=is_payments_failure,
        )

    if config.payments_breaker_threshold == 0:
        return charge, None
    # Retries inside the breaker: one checkout counts once, however many tries
    # it made, and while the breaker is open nothing is tried at all.
    breaker = LabCircuitBreaker(
        failure_threshold=config.payments_breaker_threshold,
        recovery_timeout=config.payments_breaker_recovery_s,
        expected_exception=lambda _type, exc: is_payments_failure(exc),
        name="payments",
    )
    return breaker(charge), breaker
