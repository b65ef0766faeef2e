"""Runbook tests on synthetic alert timelines, as ``promtool test rules`` is for rules.

A test file gives a runbook, guard rails, and timelines: webhook notifications at
given seconds (firing, repeated, duplicated, flapping, resolved early, never
resolved) and the decisions expected, in order::

    runbook: ../shop.yml              # relative to this file
    guards: {cooldown_s: 60}          # overrides of GuardRails' defaults
    clients_seen: 20                  # for the blocked-share rail
    tick_every_s: 5                   # the responder's expiry check
    timelines:
      - name: an abusive client, blocked then released
        until: 200
        notifications:
          - at: 0
            status: firing
            alerts: [{alertname: AbusiveClient, client: 10.0.0.7}]
        expect:
          - [0, applied, block, 10.0.0.7]
          - [120, reverted, block, 10.0.0.7, expired]   # optional 5th: a piece of the reason

Each timeline runs on fake time against recording actions, so a file of them
runs in milliseconds. ``python -m labapp test-runbooks FILE...`` runs files.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ..alerts.webhook import GO_ZERO_TIME, Status, WebhookAlert, WebhookPayload, fingerprint, make_payload
from .guards import GuardRails
from .responder import AuditEntry, Responder
from .runbook import Runbook, RunbookError

__all__ = [
    "RecordingAction",
    "TimelineResult",
    "format_timeline_results",
    "notification",
    "replay",
    "run_timeline_file",
]


class _Notification(BaseModel):
    model_config = ConfigDict(extra="forbid")

    at: float = Field(ge=0)
    status: Status
    alerts: list[dict[str, str]] = Field(min_length=1)
    copies: int = Field(default=1, ge=1)  # duplicate deliveries of the same notification


class _Expected(BaseModel):
    at: float
    outcome: str
    action: str
    target: str
    reason: str = ""

    @classmethod
    def from_row(cls, row: list[Any]) -> _Expected:
        if not 4 <= len(row) <= 5:
            raise ValueError(f"{row}: an expected line is [at, outcome, action, target] or with a 5th, the reason")
        fields = ("at", "outcome", "action", "target", "reason")[: len(row)]
        return cls(**dict(zip(fields, map(_text_or_number, row), strict=True)))


class _Timeline(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    until: float = Field(gt=0)
    dry_run: bool = False
    paused: bool = False
    notifications: list[_Notification] = Field(default_factory=list)
    expect: list[_Expected] = Field(default_factory=list)

    @field_validator("expect", mode="before")
    @classmethod
    def _rows(cls, value: Any) -> Any:
        return [_Expected.from_row(row) if isinstance(row, list) else row for row in value or []]


class _TestFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    runbook: str
    guards: dict[str, Any] = Field(default_factory=dict)
    clients_seen: int = Field(default=0, ge=0)
    tick_every_s: float = Field(default=5.0, gt=0)
    timelines: list[_Timeline] = Field(min_length=1)


def _text_or_number(value: Any) -> Any:
    return value if isinstance(value, (int, float)) else str(value)


@dataclass
class RecordingAction:
    """An action that only records what it was asked: timelines test decisions, not effects."""

    name: str
    calls: list[tuple[str, str]] = field(default_factory=list)

    def apply(self, target: str) -> str:
        self.calls.append(("apply", target))
        return f"{self.name} {target}"

    def revert(self, target: str) -> str:
        self.calls.append(("revert", target))
        return f"undo {self.name} {target}"


@dataclass(frozen=True)
class TimelineResult:
    """One timeline: what happened against what was expected."""

    file: Path
    name: str
    got: list[AuditEntry]
    expected: list[_Expected]

    @property
    def passed(self) -> bool:
        if len(self.got) != len(self.expected):
            return False
        return all(
            (g.at, g.outcome, g.action, g.target) == (e.at, e.outcome, e.action, e.target) and e.reason in g.reason
            for g, e in zip(self.got, self.expected, strict=True)
        )


def notification(status: Status, alertname: str, at: float = 0.0, **labels: str) -> WebhookPayload:
    """One Alertmanager notification with one alert, as a timeline (or a what-if) needs it."""
    return make_payload(status, [_alert({"alertname": alertname, **labels}, status, at)])


def _alert(labels: dict[str, str], status: Status, since: float) -> WebhookAlert:
    if "alertname" not in labels:
        raise RunbookError(f"{labels}: a timeline alert needs an alertname")
    return WebhookAlert(
        status=status,
        labels=labels,
        startsAt=datetime.fromtimestamp(since, UTC),
        endsAt=GO_ZERO_TIME if status == "firing" else datetime.fromtimestamp(since, UTC),
        fingerprint=fingerprint(labels),
    )


def _run(spec: _TestFile, timeline: _Timeline, runbook: Runbook, path: Path) -> TimelineResult:
    try:
        guards = GuardRails(**spec.guards)
    except ValidationError as exc:
        raise RunbookError(f"{path}: guards: {exc.errors()[0]['msg']}") from None
    actions = {name: RecordingAction(name) for name in runbook.actions}
    responder = Responder(runbook, actions, guards, dry_run=timeline.dry_run, clients_seen=lambda: spec.clients_seen)
    if timeline.paused:
        responder.pause()
    ticks = [i * spec.tick_every_s for i in range(int(timeline.until // spec.tick_every_s) + 1)]
    # At equal times a notification is handled before the tick, as a fresh repeat should keep an action alive.
    events = sorted([(n.at, 0, n) for n in timeline.notifications] + [(t, 1, None) for t in ticks], key=lambda e: e[:2])
    for at, _, notification in events:
        if notification is None:
            responder.tick(at)
            continue
        payload = make_payload(notification.status, [_alert(a, notification.status, at) for a in notification.alerts])
        for _ in range(notification.copies):
            responder.handle(payload, at)
    return TimelineResult(path, timeline.name, list(responder.audit), timeline.expect)


def replay(
    notifications: Sequence[tuple[float, WebhookPayload]],
    runbook: Runbook,
    guards: GuardRails,
    *,
    clients_seen: int = 0,
    tick_s: float = 1.0,
    horizon_s: float = 3600.0,
) -> list[AuditEntry]:
    """What a responder with ``guards`` would have decided on recorded notifications (time, payload):
    the same alerts, another policy, nothing touched (the actions only record). After the last
    notification it ticks on until nothing is in force, for at most ``horizon_s`` seconds."""
    if not notifications:
        return []
    actions = {name: RecordingAction(name) for name in runbook.actions}
    responder = Responder(runbook, actions, guards, clients_seen=lambda: clients_seen)
    ordered = sorted(notifications, key=lambda n: n[0])
    t = ordered[0][0]
    for at, payload in ordered:
        while t < at:
            responder.tick(t)
            t += tick_s
        responder.handle(payload, at)
    end = ordered[-1][0] + horizon_s
    while responder.active and t <= end:
        responder.tick(t)
        t += tick_s
    return list(responder.audit)


def run_timeline_file(path: str | Path) -> list[TimelineResult]:
    """Run every timeline of one test file."""
    path = Path(path)
    if not path.is_file():
        raise RunbookError(f"{path}: no such runbook test file")
    try:
        spec = _TestFile.model_validate(yaml.safe_load(path.read_text()))
    except (ValidationError, ValueError) as exc:
        raise RunbookError(f"{path}: {exc}") from None
    runbook = Runbook.from_file(path.parent / spec.runbook)
    return [_run(spec, timeline, runbook, path) for timeline in spec.timelines]


def format_timeline_results(results: Iterable[TimelineResult]) -> str:
    """promtool-like: SUCCESS, or each failing timeline with expected and got lines."""
    lines: list[str] = []
    results = list(results)
    for result in results:
        if result.passed:
            continue
        lines.append(f"  FAILED {result.file.name}: {result.name}")
        lines.append("    exp:")
        lines += [f"      {e.at:6.0f} {e.outcome} {e.action} {e.target} {e.reason}".rstrip() for e in result.expected]
        lines.append("    got:")
        lines += [f"      {g.at:6.0f} {g.outcome} {g.action} {g.target} {g.reason}" for g in result.got]
    failed = sum(not r.passed for r in results)
    lines.append(f"{'SUCCESS' if not failed else 'FAILED'}: {len(results) - failed} of {len(results)} timelines passed")
    return "\n".join(lines)
