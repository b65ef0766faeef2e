"""Checkers for notebook 10 (automated incident response).

1. ``check_runbook_step``: a runbook step that skips a slow nice-to-have dependency,
   never an essential one, judged by the decisions it causes on synthetic alerts.
2. ``check_guard_rails``: a :class:`GuardRails` that meets a written policy, judged by
   what a responder with it decides on timelines that probe each rail.
"""

from __future__ import annotations

from datetime import UTC, datetime

import yaml

from ..alerts.webhook import GO_ZERO_TIME, Status, WebhookAlert, fingerprint, make_payload
from ..respond import AuditEntry, GuardRails, RecordingAction, Responder, Runbook, RunbookError
from .feedback import fail, ok

__all__ = ["check_guard_rails", "check_runbook_step"]

_ACTIONS = ("block", "degrade", "shed", "scale")


def _payload(status: Status, alertname: str, **labels: str) -> dict[str, object]:
    full = {"alertname": alertname, **labels}
    alert = WebhookAlert(
        status=status,
        labels=full,
        startsAt=datetime(2026, 1, 1, tzinfo=UTC),
        endsAt=GO_ZERO_TIME if status == "firing" else datetime(2026, 1, 1, 0, 5, tzinfo=UTC),
        fingerprint=fingerprint(full),
    )
    return make_payload(status, [alert]).model_dump(mode="json")


def _responder(runbook: Runbook, guards: GuardRails, clients_seen: int = 100) -> Responder:
    actions = {name: RecordingAction(name) for name in _ACTIONS}
    return Responder(runbook, actions, guards, clients_seen=lambda: clients_seen)


def _decisions(audit: list[AuditEntry]) -> list[tuple[str, str, str]]:
    return [(e.outcome, e.action, e.target) for e in audit]


# -- Exercise 1: a runbook step ------------------------------------------------------------------


def check_runbook_step(runbook_yaml: object) -> bool:
    """The exercise: skip a slow dependency only if it is a nice-to-have, whichever it is."""
    if not isinstance(runbook_yaml, str) or not runbook_yaml.strip():
        return fail("expected the runbook as a YAML string", "start from the cell's template: steps: [...]")
    try:
        data = yaml.safe_load(runbook_yaml)
    except yaml.YAMLError as exc:
        return fail(f"the YAML does not parse: {str(exc).splitlines()[0]}", "check the indentation under steps:")
    if not isinstance(data, dict):
        return fail("the YAML is not a mapping with 'steps:'", "the file starts with steps: and a list under it")
    try:
        runbook = Runbook.from_mapping(data, source="your runbook")
        unknown = sorted(runbook.actions - set(_ACTIONS))
        if unknown:
            return fail(f"no action called {unknown}", f"the shop's actions are {list(_ACTIONS)}")
    except RunbookError as exc:
        return fail(str(exc), "each step needs alert, action and where the target comes from")
    cases = [
        ("recommender", "optional", True, "the slow recommender, a nice-to-have, was not skipped"),
        (
            "search",
            "optional",
            True,
            "another nice-to-have (search) was not skipped: the target must come from the alert",
        ),
        (
            "catalog",
            "required",
            False,
            "the catalog, an essential dependency, was skipped: no page can be served without it",
        ),
    ]
    for service, tier, should_act, problem in cases:
        responder = _responder(runbook, GuardRails())
        responder.handle(_payload("firing", "DependencySlow", service=service, tier=tier, job="shop"), at=0)
        acted = ("applied", "degrade", service) in _decisions(responder.audit)
        if acted != should_act:
            hint = (
                "match on the label that says how essential the dependency is"
                if not should_act
                else "take the target from the alert's service label (target_label), not a fixed name"
                if service == "search"
                else "the step's alert name and labels must match what DependencySlow carries: alert, match"
            )
            return fail(problem, hint)
        others = [d for d in _decisions(responder.audit) if d[1] != "degrade"]
        if others:
            return fail(f"DependencySlow also caused {others}", "this step only skips the dependency (action degrade)")
        responder.handle(_payload("resolved", "DependencySlow", service=service, tier=tier, job="shop"), at=10)
        if should_act and ("reverted", "degrade", service) not in _decisions(responder.audit):
            return fail(
                f"{service} was never called again after the alert resolved", "a step needs no revert of its own"
            )
    responder = _responder(runbook, GuardRails())
    responder.handle(_payload("firing", "AbusiveClient", client="10.0.0.9", job="shop"), at=0)
    if any(d[1] == "degrade" for d in _decisions(responder.audit)):
        return fail("an AbusiveClient alert skipped a dependency", "name the alert the step is for: alert: ...")
    return ok("nice-to-haves are skipped while slow and called again after; the catalog never is")


# -- Exercise 2: guard rails from a policy -------------------------------------------------------

_SEEN = 20  # clients seen when the share rail is probed


def check_guard_rails(rails: object) -> bool:
    """The exercise: GuardRails that meet the written policy, probed one rail at a time."""
    if not isinstance(rails, GuardRails):
        return fail(
            f"expected GuardRails(...), got {type(rails).__name__}", "build one: GuardRails(cooldown_s=..., ...)"
        )
    runbook = Runbook.from_mapping(
        {
            "steps": [
                {"alert": "AbusiveClient", "action": "block", "target_label": "client"},
                {"alert": "ShopSaturated", "action": "shed", "target_label": "job"},
                {"alert": "DependencySlow", "action": "degrade", "target_label": "service"},
            ]
        }
    )
    for address in ("127.0.0.1", "127.0.0.250"):
        responder = _responder(runbook, rails, _SEEN)
        responder.handle(_payload("firing", "AbusiveClient", client=address), at=0)
        if ("applied", "block", address) in _decisions(responder.audit):
            return fail(f"{address} was blocked", "some addresses must never be blocked: protected_clients")
    responder = _responder(runbook, rails, _SEEN)
    for i in range(4):
        responder.handle(_payload("firing", "AbusiveClient", client=f"10.0.0.{i + 1}"), at=i)
    blocked = sum(d[0] == "applied" for d in _decisions(responder.audit))
    if blocked != 2:
        return fail(
            f"{blocked} of {_SEEN} clients were blocked when 4 asked to be",
            "1 in 10 of the clients seen is a share: max_blocked_share",
        )
    responder = _responder(runbook, rails)
    responder.handle(_payload("firing", "ShopSaturated", job="shop"), at=0)
    responder.handle(_payload("resolved", "ShopSaturated", job="shop"), at=10)
    responder.handle(_payload("firing", "ShopSaturated", job="shop"), at=30)
    responder.handle(_payload("resolved", "ShopSaturated", job="shop"), at=35)
    responder.handle(_payload("firing", "ShopSaturated", job="shop"), at=75)
    applied = [e.at for e in responder.audit if e.outcome == "applied"]
    if applied != [0, 75]:
        return fail(
            f"shedding started at {applied} s when it flapped at 0, 30 and 75 s (undone at 10 and 35 s)",
            "how long to wait after an action is undone before taking it again: cooldown_s",
        )
    responder = _responder(runbook, rails)
    for i in range(5):
        responder.handle(_payload("firing", "DependencySlow", service=f"dep{i}"), at=i * 20)
    taken = sum(d[0] == "applied" for d in _decisions(responder.audit))
    if taken != 4:
        return fail(
            f"{taken} actions were taken in 80 s when 5 were asked for",
            "at most so many actions in any window of time: max_actions and window_s",
        )
    responder = _responder(runbook, rails)
    for at in (0, 20, 40):  # Alertmanager repeats a firing alert every 20 s, then goes silent
        responder.handle(_payload("firing", "ShopSaturated", job="shop"), at=at)
        responder.tick(at)
    kept = all(responder.tick(at) == [] for at in range(41, 85))
    undone = responder.tick(86)
    if not kept or not undone:
        return fail(
            "the action " + ("was undone while its alert still repeated" if not kept else "outlived its alert by far"),
            "an action must outlive the gap between repeats, and end soon after them: expires_after_s",
        )
    return ok("every rail holds: protected addresses, a 1-in-10 share, the cooldown, the rate of actions, expiry")
