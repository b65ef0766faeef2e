"""The responder: Alertmanager's webhook in, runbook actions out, within guard rails, all audited.

What it does with each alert in a notification:

    firing, runbook step matches, action not active -> check the rails, then apply (or refuse)
    firing, action already active                   -> keep it, push its expiry back (repeats, duplicates)
    resolved                                         -> revert the actions this alert started
    no firing notification for expires_after_s       -> revert on the next tick (resolved came late or never)

It never acts on a resolved message: a "resolved" that arrives for an alert it
never saw firing does nothing. Every decision, taken or refused, goes to the audit.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, Literal, Protocol

import pandas as pd

from ..alerts.webhook import WebhookAlert, WebhookPayload, fingerprint
from .guards import BLOCK, GuardRails
from .runbook import Runbook, RunbookError, Step

__all__ = ["Action", "AuditEntry", "Outcome", "Responder"]

Outcome = Literal["applied", "reverted", "refused", "failed", "would apply", "would revert"]


class Action(Protocol):
    """Something the responder can do to a target and undo; each returns a line saying what it did."""

    def apply(self, target: str) -> str: ...

    def revert(self, target: str) -> str: ...


@dataclass(frozen=True)
class AuditEntry:
    """One decision of the responder, with its reason."""

    at: float
    outcome: Outcome
    action: str
    target: str
    alertname: str
    reason: str

    def __str__(self) -> str:
        return f"{self.at:9.1f}  {self.outcome:<12} {self.action} {self.target} ({self.alertname}): {self.reason}"


@dataclass
class _Active:
    alertname: str
    owners: set[str]  # fingerprints of the firing alerts that want this action
    expires_at: float
    ttl_s: float
    dry: bool


@dataclass
class Responder:
    """Runs a runbook's actions for the alerts it is sent, within guard rails.

    ``clients_seen`` says how many distinct clients the shop has seen lately, for
    the blocked-share rail. ``clock`` is injectable so timelines run on fake time.
    """

    runbook: Runbook
    actions: Mapping[str, Action]
    guards: GuardRails = field(default_factory=GuardRails)
    dry_run: bool = False
    clients_seen: Callable[[], int] = lambda: 0
    clock: Callable[[], float] = time.time
    audit: list[AuditEntry] = field(default_factory=list, init=False)
    paused: bool = field(default=False, init=False)
    _active: dict[tuple[str, str], _Active] = field(default_factory=dict, init=False, repr=False)
    _ended_at: dict[tuple[str, str], float] = field(default_factory=dict, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def __post_init__(self) -> None:
        missing = sorted(self.runbook.actions - set(self.actions))
        if missing:
            raise RunbookError(
                f"the runbook uses actions {missing} that the responder was not given: {sorted(self.actions)}"
            )

    # -- inputs -------------------------------------------------------------------------

    def handle(self, payload: WebhookPayload | Mapping[str, Any], at: float | None = None) -> list[AuditEntry]:
        """Act on one Alertmanager notification; return the audit entries it produced."""
        if not isinstance(payload, WebhookPayload):
            payload = WebhookPayload.model_validate(payload)
        now = self.clock() if at is None else at
        with self._lock:
            start = len(self.audit)
            for alert in payload.alerts:
                if alert.status == "firing":
                    self._on_firing(alert, now)
                else:
                    self._on_resolved(alert, now)
            return self.audit[start:]

    def tick(self, at: float | None = None) -> list[AuditEntry]:
        """Revert the actions whose alert has not been seen firing for ``expires_after_s``."""
        now = self.clock() if at is None else at
        with self._lock:
            start = len(self.audit)
            for key, active in list(self._active.items()):
                if active.expires_at <= now:
                    reason = f"expired: not seen firing for {active.ttl_s:.0f} s (its resolved came late or never)"
                    self._revert(key, now, reason)
            return self.audit[start:]

    def pause(self) -> None:
        """Take no new action (reverts still happen: undoing is always allowed)."""
        self.paused = True

    def resume(self) -> None:
        self.paused = False

    def revert_all(self, reason: str = "responder stopped") -> list[AuditEntry]:
        """Undo everything still in force, e.g. when the lab stops."""
        now = self.clock()
        with self._lock:
            start = len(self.audit)
            for key in list(self._active):
                self._revert(key, now, reason)
            return self.audit[start:]

    # -- views ----------------------------------------------------------------------------

    @property
    def active(self) -> list[tuple[str, str]]:
        """(action, target) pairs in force now."""
        with self._lock:
            return sorted(self._active)

    def to_frame(self) -> pd.DataFrame:
        columns = [f.name for f in AuditEntry.__dataclass_fields__.values()]
        return pd.DataFrame([asdict(e) for e in self.audit], columns=columns)

    # -- decisions ------------------------------------------------------------------------

    def _on_firing(self, alert: WebhookAlert, now: float) -> None:
        for step in self.runbook.steps_for(alert):
            target = step.target_of(alert)
            if not target:
                self._record(
                    now, "refused", step.action, "-", alert.alertname, f"the alert has no {step.target_label!r} label"
                )
                continue
            key = (step.action, target)
            ttl_s = step.expires_after_s or self.guards.expires_after_s
            if (active := self._active.get(key)) is not None:
                # A repeat or a duplicate delivery: already done; it only keeps the action alive.
                active.owners.add(_owner(alert))
                active.expires_at = max(active.expires_at, now + ttl_s)
                continue
            reason = self._refusal(step, target, now)
            if reason is not None:
                self._record(now, "refused", step.action, target, alert.alertname, reason)
                continue
            self._apply(step, target, alert, now, ttl_s)

    def _refusal(self, step: Step, target: str, now: float) -> str | None:
        if self.paused:
            return "paused: the responder takes no new action"
        key = (step.action, target)
        since_revert = now - self._ended_at.get(key, float("-inf"))
        if since_revert < self.guards.cooldown_s:
            return (
                f"cooldown: last reverted or failed {since_revert:.0f} s ago, "
                f"under the {self.guards.cooldown_s:.0f} s cooldown"
            )
        recent = [
            e for e in self.audit if e.outcome in ("applied", "would apply") and now - e.at < self.guards.window_s
        ]
        if len(recent) >= self.guards.max_actions:
            return f"limit: {len(recent)} actions in the last {self.guards.window_s:.0f} s already"
        if step.action == BLOCK:
            blocked = [t for (a, t) in self._active if a == BLOCK]
            return self.guards.refuse_block(target, blocked, self.clients_seen())
        return None

    def _apply(self, step: Step, target: str, alert: WebhookAlert, now: float, ttl_s: float) -> None:
        key = (step.action, target)
        owner = _owner(alert)
        if self.dry_run:
            self._active[key] = _Active(alert.alertname, {owner}, now + ttl_s, ttl_s, dry=True)
            self._record(now, "would apply", step.action, target, alert.alertname, "dry run: nothing changed")
            return
        try:
            done = self.actions[step.action].apply(target)
        except Exception as exc:  # an action that fails must not stop the others, and must be seen
            self._ended_at[key] = now  # and is not retried on every repeat: it waits out the cooldown
            self._record(now, "failed", step.action, target, alert.alertname, f"{type(exc).__name__}: {exc}")
            return
        self._active[key] = _Active(alert.alertname, {owner}, now + ttl_s, ttl_s, dry=False)
        self._record(now, "applied", step.action, target, alert.alertname, done)

    def _on_resolved(self, alert: WebhookAlert, now: float) -> None:
        owner = _owner(alert)
        for key, active in list(self._active.items()):
            if owner in active.owners:
                active.owners.discard(owner)
                if not active.owners:
                    self._revert(key, now, "resolved")

    def _revert(self, key: tuple[str, str], now: float, reason: str) -> None:
        active = self._active.pop(key)
        self._ended_at[key] = now
        action, target = key
        if active.dry:
            self._record(now, "would revert", action, target, active.alertname, f"dry run: {reason}")
            return
        try:
            done = self.actions[action].revert(target)
        except Exception as exc:  # keep going: the other reverts matter as much
            self._record(now, "failed", action, target, active.alertname, f"revert: {type(exc).__name__}: {exc}")
            return
        self._record(now, "reverted", action, target, active.alertname, f"{reason}: {done}")

    def _record(self, at: float, outcome: Outcome, action: str, target: str, alertname: str, reason: str) -> None:
        self.audit.append(AuditEntry(at, outcome, action, target, alertname, reason))


def _owner(alert: WebhookAlert) -> str:
    """Which alert wants an action: Alertmanager's fingerprint, else the label set it stands for."""
    return alert.fingerprint or fingerprint(alert.labels)
