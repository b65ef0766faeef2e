"""A scheduled health checker: probe endpoints on an interval, in the background.

Each probe has a timeout. A probe that waits forever is not a check: it
reports "healthy" late, or never, and stalls every probe scheduled after it.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass

import httpx
import pandas as pd

from ..periodic import Periodic, TicksPeriodically, describe_error

__all__ = ["HealthChecker", "Probe"]


@dataclass(frozen=True)
class Probe:
    """One check of one endpoint. ``at`` is when it started (Unix seconds)."""

    at: float
    target: str
    ok: bool
    status: int  # 0: no HTTP answer
    latency_s: float
    error: str = ""


class HealthChecker(TicksPeriodically):
    """Probe ``targets`` ({name: URL}) every ``interval_s`` seconds until stopped.

    A probe is ``ok`` when the answer is 200 within ``timeout_s``. Pass
    ``timeout_s=None`` only to see why you should not (notebook 03).
    Targets are probed one after another, as a simple checker does.
    """

    def __init__(
        self,
        targets: Mapping[str, str],
        *,
        interval_s: float = 1.0,
        timeout_s: float | None = 0.5,
        max_probes: int = 100_000,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not targets:
            raise ValueError("give at least one target, e.g. {'shop': lab.url + '/health'}")
        for name, url in targets.items():
            if not url.startswith(("http://", "https://")):
                raise ValueError(f"target {name!r} must be a full URL like 'http://127.0.0.1:8000/health', got {url!r}")
        if not 0.01 <= interval_s <= 3600:
            raise ValueError(f"interval_s must be between 0.01 and 3600 seconds, got {interval_s}")
        if timeout_s is not None and not 0 < timeout_s <= 60:
            raise ValueError(f"timeout_s must be in (0, 60] seconds, or None for no timeout; got {timeout_s}")
        self.targets = dict(targets)
        self.interval_s = interval_s
        self.timeout_s = timeout_s
        self._clock = clock
        self._probes: deque[Probe] = deque(maxlen=max_probes)
        self._lock = threading.Lock()
        self._round_done = threading.Condition(self._lock)
        self._client: httpx.Client | None = None
        self._ticker = Periodic(lambda: None, interval_s, "lab-health-checker")
        self.rounds = 0

    def probe_once(self, client: httpx.Client) -> list[Probe]:
        """Probe every target once, now; record and return the results."""
        results = []
        for name, url in self.targets.items():
            at, start = self._clock(), time.perf_counter()
            try:
                response = client.get(url)
                probe = Probe(at, name, response.status_code == 200, response.status_code, time.perf_counter() - start)
            except httpx.HTTPError as exc:
                reason = "timeout" if isinstance(exc, httpx.TimeoutException) else type(exc).__name__
                probe = Probe(at, name, False, 0, time.perf_counter() - start, reason)
            results.append(probe)
        with self._lock:
            self._probes.extend(results)
            self.rounds += 1
            self._round_done.notify_all()
        return results

    def start(self) -> HealthChecker:
        """Start probing in a daemon thread; returns at once."""
        if not self._ticker.running:
            client = httpx.Client(timeout=self.timeout_s)
            self._client = client
            self._ticker.tick = lambda: self.probe_once(client)
            self._ticker.start()
        return self

    def stop(self, timeout_s: float = 70.0) -> None:
        """Stop after the probe in progress (at most one timeout away)."""
        self._ticker.stop(timeout_s)
        if self._client is not None:
            self._client.close()
            self._client = None

    def wait_for_rounds(self, n: int, timeout_s: float = 30.0) -> None:
        """Block until ``n`` more rounds of probes have finished.

        A timeout says whether the checker is running and what its rounds last failed with.
        """
        with self._round_done:
            target = self.rounds + n
            if not self._round_done.wait_for(lambda: self.rounds >= target, timeout_s):
                state = "running" if self.running else "not running (call start())"
                raise TimeoutError(
                    f"{self.rounds - target + n} of {n} probe rounds after {timeout_s} s; "
                    f"the checker is {state}{self._ticker.error_note()}"
                )

    def probes(self) -> list[Probe]:
        with self._lock:
            return list(self._probes)

    def to_frame(self, since: float | None = None) -> pd.DataFrame:
        """One row per probe; ``t`` is seconds since ``since`` (default: the first probe)."""
        probes = self.probes()
        frame = pd.DataFrame([asdict(p) for p in probes], columns=list(Probe.__dataclass_fields__))
        origin = since if since is not None else (frame["at"].min() if len(frame) else 0.0)
        frame["t"] = frame["at"] - origin
        return frame

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        timeout = f"{self.timeout_s:g} s" if self.timeout_s is not None else "none (!)"
        errors = ""
        if self.error_count:
            errors = f", {self.error_count} failed rounds, last: {describe_error(self.last_error)}"
        return (
            f"<HealthChecker {state}: {list(self.targets)} every {self.interval_s:g} s, "
            f"timeout {timeout}, {len(self._probes)} probes{errors}>"
        )
