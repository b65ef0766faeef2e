"""Throttling that queues instead of rejecting: a leaky bucket, a bounded queue, a bounded wait."""

from __future__ import annotations

import asyncio

from aiolimiter import AsyncLimiter
from fastapi import HTTPException

__all__ = ["Throttle"]


class Throttle:
    """A FastAPI dependency that delays each request until the rate allows it.

    What the second seed's ``SimpleRateLimiter(rate_limit="500/minute", block=True)``
    from ``fastapi.throttling`` meant by "holding up or queuing excessive requests";
    that module does not exist in FastAPI. Here aiolimiter's leaky bucket paces requests to
    ``rate_per_s``, with two bounds, because an unbounded queue turns overload
    into unbounded latency and memory: at most ``max_queue`` requests wait (the
    next gets 503 at once), and none waits longer than ``max_wait_s`` (then 503).
    """

    def __init__(self, rate_per_s: float, max_queue: int, max_wait_s: float, burst: int = 1) -> None:
        if rate_per_s <= 0 or max_queue < 0 or max_wait_s <= 0 or burst < 1:
            raise ValueError(
                f"need rate_per_s > 0, max_queue >= 0, max_wait_s > 0, burst >= 1; "
                f"got {rate_per_s}, {max_queue}, {max_wait_s}, {burst}"
            )
        self.rate_per_s = rate_per_s
        self.max_queue = max_queue
        self.max_wait_s = max_wait_s
        self.bucket = AsyncLimiter(burst, burst / rate_per_s)
        self.waiting = 0
        self.peak_waiting = 0

    async def __call__(self) -> None:
        if self.bucket.has_capacity():
            await self.bucket.acquire()  # no wait: the bucket has room now
            return
        if self.waiting >= self.max_queue:
            raise HTTPException(503, "too busy: the queue is full; try again shortly", headers={"Retry-After": "1"})
        self.waiting += 1
        self.peak_waiting = max(self.peak_waiting, self.waiting)
        try:
            async with asyncio.timeout(self.max_wait_s):
                await self.bucket.acquire()
        except TimeoutError:
            raise HTTPException(
                503,
                f"too busy: not served within {self.max_wait_s:g} s; try again shortly",
                headers={"Retry-After": "1"},
            ) from None
        finally:
            self.waiting -= 1
