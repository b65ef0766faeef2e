"""Scripted clients: timed bursts, and a client that retries after 429 (politely or not)."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import httpx
import pandas as pd

from ..aio import run_sync

__all__ = ["Attempt", "retrying_client", "send_bursts"]


@dataclass(frozen=True)
class Attempt:
    """One request: when it was sent (s since the start), its status, how long the answer took (s),
    and its Retry-After (s) if any."""

    t: float
    status: int
    latency_s: float
    retry_after_s: float | None = None


def send_bursts(
    url: str,
    bursts: Sequence[tuple[float, int]],
    *,
    source: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """At each (offset s, count): send ``count`` concurrent GETs to ``url``; one row per request (t, status).

    ``source`` is a loopback address to send from (one client identity).
    Offsets are kept on a monotonic clock from the start; the burst itself is
    concurrent, so it lands within a few milliseconds.
    """
    if not bursts or any(count < 1 or count > 200 or offset < 0 for offset, count in bursts):
        raise ValueError("bursts are (offset_s >= 0, count 1-200) pairs, e.g. [(0, 1), (0.9, 15)]")
    if max(offset for offset, _ in bursts) > 30:
        raise ValueError("keep a burst schedule under 30 s")

    async def run() -> list[Attempt]:
        transport = httpx.AsyncHTTPTransport(local_address=source) if source else None
        attempts: list[Attempt] = []
        async with httpx.AsyncClient(transport=transport, headers=dict(headers or {}), timeout=10) as client:
            await client.get(httpx.URL(url).join("/health"))  # connect before the clock starts
            start = time.monotonic()

            async def one() -> None:
                sent = time.monotonic() - start
                answer = await client.get(url)
                took = time.monotonic() - start - sent
                attempts.append(Attempt(sent, answer.status_code, took, _retry_after(answer)))

            for offset, count in sorted(bursts):
                # A schedule to keep, not a wait for a condition: sleep until the offset.
                await asyncio.sleep(max(0.0, offset - (time.monotonic() - start)))
                await asyncio.gather(*(one() for _ in range(count)))
        return attempts

    # On a loop of its own: Jupyter's kernel already runs an event loop, where asyncio.run fails.
    # A failure (a refused connection, a bad URL) is raised here, as itself.
    return _frame(run_sync(run, name="lab-bursts"))


def retrying_client(
    url: str,
    duration_s: float,
    *,
    honour_retry_after: bool,
    source: str | None = None,
    stop: threading.Event | None = None,
) -> pd.DataFrame:
    """GET ``url`` again and again for ``duration_s``. After a 429, a polite client waits
    the Retry-After it was given; an impolite one asks again at once. One row per request."""
    if not 0 < duration_s <= 60:
        raise ValueError(f"duration_s must be between 0 and 60 s, got {duration_s}")
    stop = stop or threading.Event()
    attempts: list[Attempt] = []
    transport = httpx.HTTPTransport(local_address=source) if source else None
    with httpx.Client(transport=transport, timeout=10) as client:
        start = time.monotonic()
        while (elapsed := time.monotonic() - start) < duration_s and not stop.is_set():
            answer = client.get(url)
            retry_after = _retry_after(answer)
            attempts.append(Attempt(elapsed, answer.status_code, time.monotonic() - start - elapsed, retry_after))
            if answer.status_code == 429 and honour_retry_after and retry_after:
                stop.wait(min(retry_after, duration_s - elapsed))  # the server said when; ends early on stop
    return _frame(attempts)


def _retry_after(answer: httpx.Response) -> float | None:
    value = answer.headers.get("retry-after")
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None  # an HTTP date: not used by this lab's servers


def _frame(attempts: list[Attempt]) -> pd.DataFrame:
    frame = pd.DataFrame([vars(a) for a in attempts], columns=["t", "status", "latency_s", "retry_after_s"])
    return frame.sort_values("t", ignore_index=True)
