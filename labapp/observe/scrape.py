"""The embedded scraper: what Prometheus does, in a thread, for when it is not installed.

Every ``interval_s`` it GETs each target's /metrics page, parses it with
prometheus-client's own parser, and stores the samples with ``job`` and
``instance`` labels, as Prometheus would. Queries go through the PromQL subset
in promql.py.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from urllib.parse import urlsplit

import httpx
import pandas as pd
from prometheus_client.parser import text_string_to_metric_families

from ..periodic import Periodic, TicksPeriodically
from .frames import result_frame
from .promql import evaluate, parse
from .store import Labels, SeriesStore

__all__ = ["Scraper"]


class Scraper(TicksPeriodically):
    """Scrape ``targets`` ({job name: base URL}) every ``interval_s`` seconds until stopped."""

    mode = "embedded"

    def __init__(
        self,
        targets: Mapping[str, str],
        *,
        interval_s: float = 1.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not targets:
            raise ValueError("give at least one target, e.g. {'shop': lab.url}")
        if not 0.05 <= interval_s <= 60:
            raise ValueError(f"interval_s must be 0.05..60 seconds, got {interval_s}")
        self.targets = {job: url.rstrip("/") for job, url in targets.items()}
        self.interval_s = interval_s
        self.store = SeriesStore()
        self.scrapes = 0
        self.errors: list[str] = []
        self._clock = clock
        self._ticker = Periodic(self.scrape_once, interval_s, "lab-scraper")
        self._client: httpx.Client | None = None
        self._last_written: dict[str, set[Labels]] = {}

    def scrape_once(self) -> None:
        """Scrape every target now."""
        if self._client is None:
            self._client = httpx.Client(timeout=max(self.interval_s, 1.0))
        for job, url in self.targets.items():
            t = self._clock()
            instance = urlsplit(url).netloc
            try:
                response = self._client.get(url + "/metrics")
                response.raise_for_status()  # a 5xx page is a failed scrape, as in Prometheus
                text = response.text
                samples = [
                    (s.name, s.labels, s.value)
                    for family in text_string_to_metric_families(text)
                    for s in family.samples
                ]
                up = 1.0
            except (httpx.HTTPError, ValueError) as exc:
                self.errors.append(f"{job}: {exc}")
                del self.errors[:-20]
                samples, up = [], 0.0
            # Like Prometheus, every scrape also records whether the target answered,
            # and a series that vanished (or a target that failed) ends with a staleness marker.
            samples.append(("up", {}, up))
            written = self.store.add(t, samples, {"job": job, "instance": instance})
            self.store.mark_stale(t, self._last_written.get(job, set()) - written)
            self._last_written[job] = written
        self.scrapes += 1

    def start(self) -> Scraper:
        self._ticker.start()
        return self

    def stop(self) -> None:
        self._ticker.stop()
        if self._client is not None:
            self._client.close()
            self._client = None

    def wait_for_scrapes(self, n: int = 2, timeout_s: float = 10.0) -> None:
        """Block until ``n`` more scrapes have happened (rate() needs two samples)."""
        target = self.scrapes + n
        deadline = time.monotonic() + timeout_s
        while self.scrapes < target:
            if time.monotonic() > deadline:
                failed = f"; last scrape error: {self.errors[-1]}" if self.errors else ""
                raise TimeoutError(
                    f"only {self.scrapes} scrapes after {timeout_s} s; is the scraper running?"
                    f"{self._ticker.error_note()}{failed}"
                )
            time.sleep(0.02)

    def query(self, promql: str, at: float | None = None) -> pd.DataFrame:
        """Evaluate ``promql`` at one instant (default: now)."""
        at = self._clock() if at is None else at
        value = evaluate(parse(promql), self.store, at)
        rows = [(at, (), value)] if isinstance(value, float) else [(at, k, v) for k, v in value.items()]
        return result_frame(rows, promql)

    def query_range(self, promql: str, start: float, end: float | None = None, step_s: float = 1.0) -> pd.DataFrame:
        """Evaluate ``promql`` every ``step_s`` seconds from ``start`` to ``end`` (Unix seconds)."""
        end = self._clock() if end is None else end
        _check_range(start, end, step_s)
        node = parse(promql)
        rows: list[tuple[float, Labels, float]] = []
        t = start
        while t <= end + 1e-9:
            value = evaluate(node, self.store, t)
            if isinstance(value, float):
                rows.append((t, (), value))
            else:
                rows.extend((t, k, v) for k, v in value.items())
            t += step_s
        return result_frame(rows, promql)

    def __repr__(self) -> str:
        failing = f", {len(self.errors)} failed scrapes, last: {self.errors[-1]}" if self.errors else ""
        return (
            f"<Scraper embedded, {len(self.targets)} targets every {self.interval_s:g} s, {self.scrapes} scrapes"
            f"{failing}{self._ticker.error_note()}>"
        )


def _check_range(start: float, end: float, step_s: float) -> None:
    if step_s <= 0:
        raise ValueError(f"step_s must be positive, got {step_s}")
    if end < start:
        raise ValueError(f"end ({end}) is before start ({start}); both are Unix seconds")
    if (end - start) / step_s > 11_000:
        raise ValueError("that range has more than 11,000 steps; use a larger step_s")
