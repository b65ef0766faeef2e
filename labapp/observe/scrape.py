"""The embedded scraper: what Prometheus does, in a thread, for when it is not installed.

Every ``interval_s`` it GETs each target's /metrics page, parses it with
prometheus-client's own parser, and stores the samples with ``job`` and
``instance`` labels, as Prometheus would. Queries go through the PromQL subset
in promql.py.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from urllib.parse import urlsplit

import httpx
import pandas as pd
from prometheus_client.parser import text_string_to_metric_families

from ..arguments import number
from ..periodic import Periodic, TicksPeriodically
from .frames import result_frame
from .promql import evaluate, parse
from .store import Labels, SeriesStore

__all__ = ["Scraper", "instances_of"]


class Scraper(TicksPeriodically):
    """Scrape ``targets`` ({job name: base URL, or a list of them}) every ``interval_s`` seconds until stopped.

    Each URL of a job is an ``instance``, as in Prometheus. :meth:`set_targets`
    changes a job's instances while it runs (service discovery, in the small):
    the series of an instance that left end with a staleness marker.
    """

    mode = "embedded"

    def __init__(
        self,
        targets: Mapping[str, str | Sequence[str]],
        *,
        interval_s: float = 1.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not targets:
            raise ValueError("give at least one target, e.g. {'shop': lab.url}")
        interval_s = number("interval_s", interval_s, minimum=0.05, maximum=60, unit="seconds")
        self._targets = {job: instances_of(job, urls) for job, urls in targets.items()}
        self.interval_s = interval_s
        self.store = SeriesStore()
        self.scrapes = 0
        self.errors: list[str] = []
        self._clock = clock
        self._ticker = Periodic(self.scrape_once, interval_s, "lab-scraper")
        self._client: httpx.Client | None = None
        self._last_written: dict[tuple[str, str], set[Labels]] = {}

    @property
    def targets(self) -> dict[str, tuple[str, ...]]:
        """Each job's instances (base URLs) now."""
        return dict(self._targets)

    def set_targets(self, job: str, urls: str | Sequence[str]) -> None:
        """Scrape these instances for ``job`` from the next round on (an empty list stops the job)."""
        targets = dict(self._targets)
        targets[job] = instances_of(job, urls, allow_empty=True)
        self._targets = targets  # one assignment: a scrape in progress keeps the old set

    def scrape_once(self) -> None:
        """Scrape every target now."""
        if self._client is None:
            self._client = httpx.Client(timeout=max(self.interval_s, 1.0))
        current = {(job, urlsplit(url).netloc): url for job, urls in self._targets.items() for url in urls}
        for (job, instance), written in list(self._last_written.items()):
            if (job, instance) not in current:  # an instance that left: its series end now
                self.store.mark_stale(self._clock(), written)
                del self._last_written[(job, instance)]
        for (job, instance), url in current.items():
            t = self._clock()
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
            # Like Prometheus, every scrape also records whether the target answered and how many samples it gave,
            # and a series that vanished (or a target that failed) ends with a staleness marker.
            # scrape_samples_scraped counts the page's samples: the first sign of a cardinality explosion.
            samples.append(("scrape_samples_scraped", {}, float(len(samples))))
            samples.append(("up", {}, up))
            written = self.store.add(t, samples, {"job": job, "instance": instance})
            self.store.mark_stale(t, self._last_written.get((job, instance), set()) - written)
            self._last_written[(job, instance)] = written
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


def instances_of(job: str, urls: str | Sequence[str], *, allow_empty: bool = False) -> tuple[str, ...]:
    """A job's scrape targets as a tuple of base URLs, checked."""
    listed = (urls,) if isinstance(urls, str) else tuple(urls)
    if not listed and not allow_empty:
        raise ValueError(f"job {job!r} has no URL to scrape; give one like lab.url, or a list of them")
    bad = [u for u in listed if not isinstance(u, str) or not u.startswith(("http://", "https://"))]
    if bad:
        raise ValueError(f"job {job!r}: scrape targets are base URLs like 'http://127.0.0.1:8000', got {bad}")
    return tuple(u.rstrip("/") for u in listed)
