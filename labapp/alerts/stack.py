"""Rules evaluated, alerts routed, notifications received: one object, two modes.

    real:      Prometheus (rules) -> Alertmanager (grouping, repeats) -> WebhookReceiver
    embedded:  Scraper + AlertEvaluator (same rules, same `for`)    -> WebhookReceiver

The real mode needs both the ``prometheus`` and the Alertmanager binaries.
Either way the receiver gets Alertmanager's webhook payload over real HTTP, and
``query_range`` answers the same PromQL, ALERTS{...} included.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import httpx
import pandas as pd

from ..observe import PrometheusServer, Scraper, find_prometheus
from ..observe.alertmanager import AlertmanagerServer, find_alertmanager
from .evaluator import AlertEvaluator, load_rules
from .receiver import WebhookReceiver
from .routing import TeamRouting
from .webhook import WebhookPayload

__all__ = ["AlertingStack"]


class AlertingStack:
    """Watch ``targets`` with ``rule_files`` and deliver alerts to a receiver in the lab."""

    def __init__(
        self,
        targets: Mapping[str, str | Sequence[str]],
        rule_files: Sequence[str | Path],
        *,
        prefer: str = "auto",
        interval_s: float = 1.0,
        group_wait_s: float = 1.0,
        group_interval_s: float = 2.0,
        repeat_interval_s: float = 10.0,
        routing: TeamRouting | None = None,
    ) -> None:
        if prefer not in ("auto", "real", "embedded"):
            raise ValueError(f"prefer must be 'auto', 'real' or 'embedded', got {prefer!r}")
        if not rule_files:
            raise ValueError("give at least one rule file, e.g. labapp.alerts.lab_rule_files()")
        self.targets = dict(targets)
        self.rule_files = [Path(p) for p in rule_files]
        self.prefer = prefer
        self.interval_s = interval_s
        self.group_wait_s = group_wait_s
        self.group_interval_s = group_interval_s
        self.repeat_interval_s = repeat_interval_s
        self.routing = routing
        self.receiver = WebhookReceiver()
        self.receiver.diagnose = self._diagnose
        self.prometheus: PrometheusServer | None = None
        self.alertmanager: AlertmanagerServer | None = None
        self.scraper: Scraper | None = None
        self.evaluator: AlertEvaluator | None = None
        self._post: httpx.Client | None = None
        self._post_lock = threading.Lock()

    @property
    def mode(self) -> str:
        return "real" if self.prometheus is not None else "embedded"

    def start(self, quiet: bool = False) -> AlertingStack:
        self.receiver.start()
        missing = [
            name
            for name, found in (("prometheus", find_prometheus()), ("alertmanager", find_alertmanager()))
            if not found
        ]
        if self.prefer == "real" and missing:
            raise FileNotFoundError(f"prefer='real' but {' and '.join(missing)} not on PATH (see the README)")
        try:
            if self.prefer != "embedded" and not missing:
                self.alertmanager = AlertmanagerServer(
                    self.receiver.url,
                    group_wait_s=self.group_wait_s,
                    group_interval_s=self.group_interval_s,
                    repeat_interval_s=self.repeat_interval_s,
                    routing=self.routing,
                ).start()
                self.prometheus = PrometheusServer(
                    self.targets,
                    interval_s=self.interval_s,
                    rule_files=self.rule_files,
                    alertmanager_url=self.alertmanager.url,
                ).start()
                message = (
                    f"mode: real Prometheus {self.prometheus.url} -> Alertmanager {self.alertmanager.url} "
                    f"-> receiver {self.receiver.url}"
                )
            else:
                self._post = httpx.Client(timeout=5.0)
                self.scraper = Scraper(self.targets, interval_s=self.interval_s).start()
                self.evaluator = AlertEvaluator(
                    self.scraper.store,
                    load_rules(*self.rule_files),
                    interval_s=self.interval_s,
                    repeat_interval_s=self.repeat_interval_s,
                    notify=self._deliver,
                ).start()
                why = "by request" if self.prefer == "embedded" else f"no {' or '.join(missing)} binary"
                message = f"mode: embedded ({why}): scraper + rule evaluator in Python -> receiver {self.receiver.url}"
        except BaseException:
            self.stop()
            raise
        if not quiet:
            print(message)
        return self

    def _deliver(self, payload: dict[str, Any]) -> None:
        # Real HTTP to the same receiver Alertmanager would call; with teams, one
        # notification per team's receiver, as Alertmanager's routes send them.
        if self.routing is None:
            payloads = [payload]
        else:
            split = self.routing.split(WebhookPayload.model_validate(payload))
            payloads = [p.model_dump(mode="json") for p in split]
        with self._post_lock:
            if self._post is not None:
                for each in payloads:
                    self._post.post(self.receiver.url + "/alerts", json=each)

    def stop(self) -> None:
        """Stop everything this stack started. The receiver's notifications stay readable."""
        for part in (self.evaluator, self.scraper, self.prometheus, self.alertmanager):
            if part is not None:
                part.stop()
        with self._post_lock:
            if self._post is not None:
                self._post.close()
                self._post = None
        self.receiver.stop()

    @property
    def watcher(self) -> PrometheusServer | Scraper:
        """What scrapes and answers PromQL: the real Prometheus or the embedded scraper."""
        watcher = self.prometheus or self.scraper
        if watcher is None:
            raise RuntimeError("the alerting stack is not running: call start() first")
        return watcher

    def wait_for_scrapes(self, n: int = 2, timeout_s: float = 20.0) -> None:
        self.watcher.wait_for_scrapes(n, timeout_s)

    def query(self, promql: str, at: float | None = None) -> pd.DataFrame:
        return self.watcher.query(promql, at)

    def query_range(self, promql: str, start: float, end: float | None = None, step_s: float = 1.0) -> pd.DataFrame:
        return self.watcher.query_range(promql, start, end, step_s)

    def alerts(self) -> list[dict[str, Any]]:
        """Pending and firing alerts now, as Prometheus' /api/v1/alerts lists them."""
        if self.prometheus is not None:
            return self.prometheus.alerts()
        if self.evaluator is not None:
            return self.evaluator.alerts()
        raise RuntimeError("the alerting stack is not running: call start() first")

    def _diagnose(self) -> str:
        """Why notifications may not be arriving, for the receiver's timeout message."""
        if self.evaluator is not None and self.evaluator.rule_errors:
            failing = "; ".join(f"{name}: {error}" for name, error in sorted(self.evaluator.rule_errors.items()))
            return f"The embedded rule evaluator cannot evaluate: {failing}."
        error = self.last_error
        return f"The embedded watcher last failed with {error!r}." if error is not None else ""

    @property
    def last_error(self) -> BaseException | None:
        """What the embedded scraper or rule evaluator last failed with (None in real mode, or if none failed)."""
        for part in (self.evaluator, self.scraper):
            if part is not None and part.last_error is not None:
                return part.last_error
        return None

    def __repr__(self) -> str:
        parts = [repr(p) for p in (self.evaluator, self.scraper) if p is not None and p.last_error is not None]
        failing = f"; {'; '.join(parts)}" if parts else ""
        rules = [p.name for p in self.rule_files]
        return f"<AlertingStack {self.mode}: rules {rules}, receiver {self.receiver!r}{failing}>"
