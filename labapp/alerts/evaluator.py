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

import math
import re
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml

from ..arguments import number
from ..observe.promql import Expr, PromQLError, Value, evaluate, parse, parse_duration
from ..observe.store import Labels, SeriesStore
from ..periodic import Periodic, TicksPeriodically
from .webhook import GO_ZERO_TIME, WebhookAlert, WebhookPayload, fingerprint, make_payload

__all__ = [
    "AlertEvaluator",
    "AlertEvent",
    "AlertRule",
    "RecordingRule",
    "RuleEvaluationError",
    "go_value",
    "humanize",
    "humanize_duration",
    "load_rules",
    "parse_duration",
    "render_template",
    "webhook_payload",
]


class RuleEvaluationError(RuntimeError):
    """One or more rules failed to evaluate this round (the others were evaluated)."""


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


def _time(t: float | None) -> datetime:
    return GO_ZERO_TIME if t is None else datetime.fromtimestamp(t, UTC)


def go_value(value: float) -> str:
    """A float as Prometheus prints ``{{ $value }}``: Go's shortest %g, with an exponent from 1e6 or below 1e-4.

    Checked against promtool: 1e6 prints as 1e+06, 123456.5 as 123456.5, 1e-05 as 1e-05.
    """
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if value == 0:
        return "0"
    _, digit_tuple, exp = Decimal(repr(abs(value))).normalize().as_tuple()
    assert isinstance(exp, int)
    digits = "".join(map(str, digit_tuple))
    exponent = len(digits) + exp - 1  # of the first digit
    sign = "-" if value < 0 else ""
    if exponent < -4 or exponent >= 6:
        fraction = f".{digits[1:]}" if len(digits) > 1 else ""
        return f"{sign}{digits[0]}{fraction}e{'-' if exponent < 0 else '+'}{abs(exponent):02d}"
    if exponent < 0:
        return f"{sign}0.{'0' * (-exponent - 1)}{digits}"
    whole, fraction = digits[: exponent + 1].ljust(exponent + 1, "0"), digits[exponent + 1 :]
    return f"{sign}{whole}.{fraction}" if fraction else f"{sign}{whole}"


_TEMPLATE = re.compile(r"\{\{-?\s*(.*?)\s*-?\}\}")


def humanize(value: float) -> str:
    """Prometheus' ``humanize``: 4 significant digits and an SI prefix (1.5k, 250m)."""
    if value == 0 or not math.isfinite(value):
        return f"{value:.4g}"
    prefix = ""
    if abs(value) >= 1:
        for p in ("k", "M", "G", "T", "P", "E", "Z", "Y"):
            if abs(value) < 1000:
                break
            prefix, value = p, value / 1000
    else:
        for p in ("m", "u", "n", "p", "f", "a", "z", "y"):
            if abs(value) >= 1:
                break
            prefix, value = p, value * 1000
    return f"{value:.4g}{prefix}"


def humanize_duration(value: float) -> str:
    """Prometheus' ``humanizeDuration``: 487.5ms, 12.5s, 2m 5s, 1d 0h 0m 3s."""
    if not math.isfinite(value):
        return f"{value:.4g}"
    if value == 0:
        return f"{value:.4g}s"
    if abs(value) >= 1:
        sign, value = ("-", -value) if value < 0 else ("", value)
        whole = int(value)
        days, hours, minutes, seconds = whole // 86400, whole // 3600 % 24, whole // 60 % 60, whole % 60
        if days:
            return f"{sign}{days}d {hours}h {minutes}m {seconds}s"
        if hours:
            return f"{sign}{hours}h {minutes}m {seconds}s"
        if minutes:
            return f"{sign}{minutes}m {seconds}s"
        return f"{sign}{value:.4g}s"
    prefix = ""
    for p in ("m", "u", "n", "p", "f", "a", "z", "y"):
        if abs(value) >= 1:
            break
        prefix, value = p, value * 1000
    return f"{value:.4g}{prefix}s"


def render_template(template: str, labels: Mapping[str, str], value: float) -> str:
    """The template forms lab rules use: ``{{ $value }}``, ``{{ $labels.x }}``, and ``$value`` through
    ``humanize``, ``humanizeDuration`` or ``humanizePercentage``. Anything else is left as written
    (a real Prometheus knows all of Go's templates)."""

    def expand(match: re.Match[str]) -> str:
        words = [w.strip() for w in match.group(1).split("|")]
        if words == ["$value"]:
            return go_value(value)
        if words == ["$value", "humanizePercentage"]:
            return f"{value * 100:.4g}%"  # Go: fmt.Sprintf("%.4g%%", v*100)
        if words == ["$value", "humanize"]:
            return humanize(value)
        if words == ["$value", "humanizeDuration"]:
            return humanize_duration(value)
        if len(words) == 1 and words[0].startswith("$labels."):
            return labels.get(words[0].removeprefix("$labels."), "")
        return match.group(0)

    return _TEMPLATE.sub(expand, template)


def webhook_payload(status: str, alerts: list[dict[str, Any]], receiver: str = "lab") -> dict[str, Any]:
    """An Alertmanager webhook body (version 4) for one group of alerts, as JSON-ready data."""
    models = [WebhookAlert.model_validate(a) for a in alerts]
    return make_payload("firing" if status == "firing" else "resolved", models, receiver=receiver).model_dump(
        mode="json"
    )


class AlertEvaluator(TicksPeriodically):
    """Evaluate ``rules`` over ``store`` (a Scraper's) every ``interval_s`` seconds.

    ``notify(payload)`` gets a webhook payload when a group of alerts starts
    firing, every ``repeat_interval_s`` while it fires, and when it resolves.
    A rule that fails to evaluate does not stop the others: the round finishes,
    then raises :class:`RuleEvaluationError` naming it (``rule_errors`` keeps
    the latest error of each rule), as Prometheus shows a rule's last error.
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
        number("interval_s", interval_s, above=0, unit="seconds")
        number("repeat_interval_s", repeat_interval_s, above=0, unit="seconds")
        self.store = store
        self.recording_rules = list(rules[0])
        self.alert_rules = list(rules[1])
        self.interval_s = interval_s
        self.repeat_interval_s = repeat_interval_s
        self.notify = notify
        self.events: list[AlertEvent] = []
        self.rule_errors: dict[str, str] = {}
        self._clock = clock
        self._parsed: dict[str, Expr] = {}
        for expr in [r.expr for r in self.recording_rules] + [r.expr for r in self.alert_rules]:
            self._parsed[expr] = parse(expr)  # a bad rule fails here, not at each round
        self._active: dict[tuple[str, Labels], _Instance] = {}
        self._alerts_written: set[Labels] = set()
        self._recorded: dict[str, set[Labels]] = {}
        self._lock = threading.Lock()
        self._ticker = Periodic(self.evaluate, interval_s, "lab-alert-evaluator")

    def _value(self, name: str, expr: str, at: float) -> Value | None:
        try:
            value = evaluate(self._parsed[expr], self.store, at)
        except PromQLError as exc:
            self.rule_errors[name] = str(exc)
            return None
        self.rule_errors.pop(name, None)
        return value

    def _record(self, rule: RecordingRule, at: float) -> None:
        """A recording rule's result becomes series; a series it no longer returns is marked stale."""
        result = self._value(rule.record, rule.expr, at)
        if result is None:
            return
        vector = {(): result} if isinstance(result, float) else result
        samples = [
            (rule.record, {**{k: x for k, x in key if k != "__name__"}, **rule.labels}, v) for key, v in vector.items()
        ]
        written = self.store.add(at, samples, {})
        self.store.mark_stale(at, self._recorded.get(rule.record, set()) - written)
        self._recorded[rule.record] = written

    def evaluate(self, at: float | None = None) -> list[AlertEvent]:
        """One evaluation round at ``at`` (default now); returns its transitions."""
        at = self._clock() if at is None else at
        for recording in self.recording_rules:
            self._record(recording, at)
        new: list[AlertEvent] = []
        payloads: list[WebhookPayload] = []
        with self._lock:
            for rule in self.alert_rules:
                value = self._value(rule.name, rule.expr, at)
                if value is None:
                    continue  # as in Prometheus, a failed round leaves the rule's alerts as they were
                payload = self._alerting_round(rule, value, at, new)
                if payload is not None:
                    payloads.append(payload)
            self.events.extend(new)
            self._write_alerts_series(at)
        if self.notify is not None:
            for payload in payloads:
                self.notify(payload.model_dump(mode="json"))
        failed = {name: error for name, error in self.rule_errors.items()}
        if failed:
            raise RuleEvaluationError(
                "; ".join(f"rule {name} failed at {at:.3f}: {error}" for name, error in sorted(failed.items()))
            )
        return new

    def _alerting_round(self, rule: AlertRule, value: Value, at: float, new: list[AlertEvent]) -> WebhookPayload | None:
        """Update ``rule``'s alert instances from its result; return a notification if one is due."""
        vector = {(): value} if isinstance(value, float) else value
        seen: set[Labels] = set()
        for key, v in vector.items():
            labels = {**{k: x for k, x in key if k != "__name__"}, **rule.labels, "alertname": rule.name}
            ident = tuple(sorted(labels.items()))
            seen.add(ident)
            # Annotations are expanded at every round, with this round's value, as in Prometheus.
            annotations = {k: render_template(t, labels, v) for k, t in rule.annotations.items()}
            inst = self._active.get((rule.name, ident))
            if inst is None:
                inst = self._active[(rule.name, ident)] = _Instance(labels, annotations, at, v)
                new.append(AlertEvent(at, rule.name, "pending", labels, v))
            inst.value, inst.annotations = v, annotations
            if inst.state == "pending" and at - inst.active_at >= rule.for_s:
                inst.state, inst.fired_at = "firing", at
                new.append(AlertEvent(at, rule.name, "firing", labels, v))
        resolved: list[WebhookAlert] = []
        for (name, ident), inst in list(self._active.items()):
            if name == rule.name and ident not in seen:
                del self._active[(name, ident)]
                if inst.state == "firing":
                    new.append(AlertEvent(at, name, "resolved", inst.labels, inst.value))
                    resolved.append(self._webhook_alert(inst, at))
        firing = [i for (n, _), i in self._active.items() if n == rule.name and i.state == "firing"]
        due = [i for i in firing if i.notified_at is None or at - i.notified_at >= self.repeat_interval_s]
        if not (due or resolved):
            return None
        for inst in firing:
            inst.notified_at = at
        alerts = [self._webhook_alert(i, None) for i in firing] + resolved
        return make_payload("firing" if firing else "resolved", alerts)

    def firing(self, alertname: str | None = None) -> list[dict[str, Any]]:
        """Labels and annotations of the alerts firing now (of ``alertname``, if given)."""
        with self._lock:
            return [
                {"labels": dict(i.labels), "annotations": dict(i.annotations)}
                for (name, _), i in self._active.items()
                if i.state == "firing" and alertname in (None, name)
            ]

    def _write_alerts_series(self, at: float) -> None:
        """ALERTS{alertname, alertstate, ...} = 1 for each active alert, as Prometheus writes it.

        A series that ended (resolved, or pending -> firing) gets a staleness marker.
        """
        current = {tuple(sorted({**i.labels, "alertstate": i.state}.items())): i.labels for i in self._active.values()}
        samples = [("ALERTS", dict(key), 1.0) for key in current]
        self._alerts_written, ended = set(current), self._alerts_written - current.keys()
        if samples:
            self.store.add(at, samples, {})
        self.store.mark_stale(at, (SeriesStore.key("ALERTS", dict(key)) for key in ended))

    @staticmethod
    def _webhook_alert(inst: _Instance, ended: float | None) -> WebhookAlert:
        return WebhookAlert(
            status="resolved" if ended is not None else "firing",
            labels=dict(inst.labels),
            annotations=dict(inst.annotations),
            startsAt=_time(inst.fired_at or inst.active_at),
            endsAt=_time(ended),
            generatorURL="embedded://labapp",
            fingerprint=fingerprint(inst.labels),
        )

    def alerts(self) -> list[dict[str, Any]]:
        """Pending and firing alerts now, shaped like Prometheus' /api/v1/alerts."""
        with self._lock:
            return [
                {
                    "labels": dict(i.labels),
                    "annotations": dict(i.annotations),
                    "state": i.state,
                    "activeAt": _time(i.active_at).isoformat().replace("+00:00", "Z"),
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
        failing = f"; failing now: {', '.join(sorted(self.rule_errors))}" if self.rule_errors else ""
        return (
            f"<AlertEvaluator embedded: {len(self.recording_rules)} recording, {len(self.alert_rules)} alerting rules "
            f"every {self.interval_s:g} s; {len(self._active)} active{failing}{self._ticker.error_note()}>"
        )
