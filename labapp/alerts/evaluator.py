"""The embedded alert evaluator: Prometheus' rule evaluation, for when it is not installed.

Every ``interval_s`` it evaluates recording rules (their results become new
series, as in Prometheus) and alerting rules, with Prometheus' ``for``
semantics:

    expression returns a sample   -> pending (activeAt = now)
    still returned after ``for``  -> firing
    no longer returned            -> resolved (and inactive)

Transitions are kept as events, and firing / resolved alerts are handed to
``notify`` as the same webhook payload Alertmanager would send.
"""

from __future__ import annotations

import hashlib
import re
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from ..observe.promql import evaluate, parse
from ..observe.store import STALE, Labels, SeriesStore
from ..periodic import Periodic

__all__ = ["AlertEvaluator", "AlertEvent", "AlertRule", "RecordingRule", "load_rules", "webhook_payload"]

_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d)")
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}


def parse_duration(text: str | int | float) -> float:
    """'5m' -> 300.0, '1h30m' -> 5400.0, '500ms' -> 0.5 (Prometheus duration syntax)."""
    if isinstance(text, (int, float)):
        return float(text)
    parts = _DURATION.findall(text)
    if not parts or "".join(n + u for n, u in parts) != text.strip():
        raise ValueError(f"not a Prometheus duration: {text!r} (examples: 10s, 5m, 1h)")
    return sum(float(n) * _UNITS[u] for n, u in parts)


@dataclass(frozen=True)
class RecordingRule:
    record: str
    expr: str
    labels: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class AlertRule:
    name: str
    expr: str
    for_s: float = 0.0
    labels: Mapping[str, str] = field(default_factory=dict)
    annotations: Mapping[str, str] = field(default_factory=dict)


def load_rules(*paths: str | Path) -> tuple[list[RecordingRule], list[AlertRule]]:
    """Read Prometheus rule files (groups of record / alert rules)."""
    records: list[RecordingRule] = []
    alerts: list[AlertRule] = []
    for path in paths:
        document = yaml.safe_load(Path(path).read_text())
        for group in (document or {}).get("groups", []):
            for rule in group.get("rules", []):
                expr = str(rule["expr"])
                parse(expr)  # fail at load time, naming the rule, rather than at each evaluation
                if "record" in rule:
                    records.append(RecordingRule(rule["record"], expr, dict(rule.get("labels", {}))))
                else:
                    alerts.append(
                        AlertRule(
                            rule["alert"],
                            expr,
                            parse_duration(rule.get("for", 0)),
                            {k: str(v) for k, v in rule.get("labels", {}).items()},
                            {k: str(v) for k, v in rule.get("annotations", {}).items()},
                        )
                    )
    return records, alerts


@dataclass(frozen=True)
class AlertEvent:
    """A transition of one alert instance at Unix time ``at``: pending, firing or resolved."""

    at: float
    alertname: str
    state: str
    labels: Mapping[str, str]
    value: float


@dataclass
class _Instance:
    labels: dict[str, str]
    annotations: dict[str, str]
    active_at: float
    value: float
    state: str = "pending"
    fired_at: float | None = None
    notified_at: float | None = None


def _iso(t: float | None) -> str:
    if t is None:
        return "0001-01-01T00:00:00Z"
    return datetime.fromtimestamp(t, UTC).isoformat().replace("+00:00", "Z")


def _render(template: str, labels: Mapping[str, str], value: float) -> str:
    """The two template forms lab rules use: {{ $value [| humanizePercentage] }} and {{ $labels.x }}."""

    def value_of(match: re.Match[str]) -> str:
        return f"{value * 100:.4g}%" if match.group(1) else f"{value:.4g}"

    text = re.sub(r"\{\{\s*\$value\s*(\|\s*humanizePercentage\s*)?\}\}", value_of, template)
    return re.sub(r"\{\{\s*\$labels\.(\w+)\s*\}\}", lambda m: labels.get(m.group(1), ""), text)


def webhook_payload(status: str, alerts: list[dict[str, Any]], receiver: str = "lab") -> dict[str, Any]:
    """An Alertmanager webhook body (version 4) for one group of alerts."""
    common = set.intersection(*(set(a["labels"].items()) for a in alerts)) if alerts else set()
    name = alerts[0]["labels"].get("alertname", "") if alerts else ""
    return {
        "version": "4",
        "groupKey": f'{{}}:{{alertname="{name}"}}',
        "truncatedAlerts": 0,
        "status": status,
        "receiver": receiver,
        "groupLabels": {"alertname": name},
        "commonLabels": dict(common),
        "commonAnnotations": {},
        "externalURL": "embedded://labapp",
        "alerts": alerts,
    }


class AlertEvaluator:
    """Evaluate ``rules`` over ``store`` (a Scraper's) every ``interval_s`` seconds.

    ``notify(payload)`` gets a webhook payload when a group of alerts starts
    firing, every ``repeat_interval_s`` while it fires, and when it resolves.
    """

    mode = "embedded"

    def __init__(
        self,
        store: SeriesStore,
        rules: tuple[Iterable[RecordingRule], Iterable[AlertRule]],
        *,
        interval_s: float = 1.0,
        repeat_interval_s: float = 10.0,
        notify: Callable[[dict[str, Any]], None] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if interval_s <= 0 or repeat_interval_s <= 0:
            raise ValueError("interval_s and repeat_interval_s must be positive seconds")
        self.store = store
        self.recording_rules = list(rules[0])
        self.alert_rules = list(rules[1])
        self.interval_s = interval_s
        self.repeat_interval_s = repeat_interval_s
        self.notify = notify
        self.events: list[AlertEvent] = []
        self._clock = clock
        self._active: dict[tuple[str, Labels], _Instance] = {}
        self._alerts_written: set[Labels] = set()
        self._lock = threading.Lock()
        self._ticker = Periodic(self.evaluate, interval_s, "lab-alert-evaluator")

    def evaluate(self, at: float | None = None) -> list[AlertEvent]:
        """One evaluation round at ``at`` (default now); returns its transitions."""
        at = self._clock() if at is None else at
        for recording in self.recording_rules:
            result = evaluate(parse(recording.expr), self.store, at)
            series = {(): result} if isinstance(result, float) else result
            samples = [
                (recording.record, {**{k: x for k, x in key if k != "__name__"}, **recording.labels}, v)
                for key, v in series.items()
            ]
            self.store.add(at, samples, {})
        new: list[AlertEvent] = []
        payloads: list[dict[str, Any]] = []
        with self._lock:
            for rule in self.alert_rules:
                value = evaluate(parse(rule.expr), self.store, at)
                vector = {(): value} if isinstance(value, float) else value
                seen: set[Labels] = set()
                for key, v in vector.items():
                    labels = {**{k: x for k, x in key if k != "__name__"}, **rule.labels, "alertname": rule.name}
                    ident = tuple(sorted(labels.items()))
                    seen.add(ident)
                    inst = self._active.get((rule.name, ident))
                    if inst is None:
                        annotations = {k: _render(t, labels, v) for k, t in rule.annotations.items()}
                        inst = self._active[(rule.name, ident)] = _Instance(labels, annotations, at, v)
                        new.append(AlertEvent(at, rule.name, "pending", labels, v))
                    inst.value = v
                    if inst.state == "pending" and at - inst.active_at >= rule.for_s:
                        inst.state, inst.fired_at = "firing", at
                        new.append(AlertEvent(at, rule.name, "firing", labels, v))
                resolved = []
                for (name, ident), inst in list(self._active.items()):
                    if name == rule.name and ident not in seen:
                        del self._active[(name, ident)]
                        if inst.state == "firing":
                            new.append(AlertEvent(at, name, "resolved", inst.labels, inst.value))
                            resolved.append(self._alert_json(inst, at))
                firing = [i for (n, _), i in self._active.items() if n == rule.name and i.state == "firing"]
                due = [i for i in firing if i.notified_at is None or at - i.notified_at >= self.repeat_interval_s]
                if (due or resolved) and (firing or resolved):
                    for inst in firing:
                        inst.notified_at = at
                    alerts = [self._alert_json(i, None) for i in firing] + resolved
                    payloads.append(webhook_payload("firing" if firing else "resolved", alerts))
            self.events.extend(new)
            self._write_alerts_series(at)
        if self.notify is not None:
            for payload in payloads:
                self.notify(payload)
        return new

    def _write_alerts_series(self, at: float) -> None:
        """ALERTS{alertname, alertstate, ...} = 1 for each active alert, as Prometheus writes it.

        A series that ended (resolved, or pending -> firing) gets a staleness marker.
        """
        current = {tuple(sorted({**i.labels, "alertstate": i.state}.items())): i.labels for i in self._active.values()}
        samples = [("ALERTS", dict(key), 1.0) for key in current]
        samples += [("ALERTS", dict(key), STALE) for key in self._alerts_written - current.keys()]
        self._alerts_written = set(current)
        if samples:
            self.store.add(at, samples, {})

    @staticmethod
    def _alert_json(inst: _Instance, ended: float | None) -> dict[str, Any]:
        return {
            "status": "resolved" if ended is not None else "firing",
            "labels": dict(inst.labels),
            "annotations": dict(inst.annotations),
            "startsAt": _iso(inst.fired_at or inst.active_at),
            "endsAt": _iso(ended),
            "generatorURL": "embedded://labapp",
            # Stable across processes, unlike hash(): Alertmanager's fingerprint is also a label hash.
            "fingerprint": hashlib.sha256(repr(sorted(inst.labels.items())).encode()).hexdigest()[:16],
        }

    def alerts(self) -> list[dict[str, Any]]:
        """Pending and firing alerts now, shaped like Prometheus' /api/v1/alerts."""
        with self._lock:
            return [
                {
                    "labels": dict(i.labels),
                    "annotations": dict(i.annotations),
                    "state": i.state,
                    "activeAt": _iso(i.active_at),
                    "value": str(i.value),
                }
                for i in self._active.values()
            ]

    def start(self) -> AlertEvaluator:
        self._ticker.start()
        return self

    def stop(self) -> None:
        self._ticker.stop()

    def __repr__(self) -> str:
        return (
            f"<AlertEvaluator embedded: {len(self.recording_rules)} recording, {len(self.alert_rules)} alerting rules "
            f"every {self.interval_s:g} s; {len(self._active)} active>"
        )
