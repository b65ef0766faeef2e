"""The responder's decisions one by one, and what the guard rails prevent when they are off."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from labapp.alerts.webhook import WebhookAlert, fingerprint, make_payload
from labapp.respond import GuardRails, RecordingAction, Responder, Runbook, RunbookError, shop_actions
from labapp.shop import ShopControls

RUNBOOK = Runbook.from_mapping(
    {
        "steps": [
            {"alert": "AbusiveClient", "action": "block", "target_label": "client"},
            {"alert": "ShopSaturated", "action": "shed", "target_label": "job"},
        ]
    }
)


def _payload(status: str, alertname: str, **labels: str) -> dict[str, object]:
    labels = {"alertname": alertname, **labels}
    alert = WebhookAlert(
        status=status,  # type: ignore[arg-type]
        labels=labels,
        startsAt=datetime(2026, 1, 1, tzinfo=UTC),
        fingerprint=fingerprint(labels),
    )
    return make_payload(alert.status, [alert]).model_dump(mode="json")


def _responder(guards: GuardRails | None = None, clients: int = 100) -> tuple[Responder, dict[str, RecordingAction]]:
    actions = {"block": RecordingAction("block"), "shed": RecordingAction("shed")}
    responder = Responder(RUNBOOK, actions, guards or GuardRails(), clients_seen=lambda: clients)
    return responder, actions


def test_a_json_payload_from_the_wire_is_accepted_and_acted_on() -> None:
    responder, actions = _responder()
    entries = responder.handle(_payload("firing", "AbusiveClient", client="10.1.1.1"), at=0)
    assert [(e.outcome, e.target) for e in entries] == [("applied", "10.1.1.1")]
    assert actions["block"].calls == [("apply", "10.1.1.1")]
    assert responder.active == [("block", "10.1.1.1")]


def test_an_action_that_raises_is_audited_and_the_others_still_run() -> None:
    class Broken(RecordingAction):
        def apply(self, target: str) -> str:
            raise RuntimeError("no capacity left")

    responder = Responder(RUNBOOK, {"block": RecordingAction("block"), "shed": Broken("shed")})
    responder.handle(_payload("firing", "ShopSaturated", job="shop"), at=0)
    responder.handle(_payload("firing", "AbusiveClient", client="10.1.1.1"), at=1)
    assert [(e.outcome, e.action) for e in responder.audit] == [("failed", "shed"), ("refused", "block")]
    assert "no capacity left" in responder.audit[0].reason
    assert responder.active == []  # a failed action is not in force, so nothing to revert later
    # Alertmanager repeats the alert: the failed action waits out the cooldown, not retried on every repeat.
    responder.handle(_payload("firing", "ShopSaturated", job="shop"), at=5)
    assert responder.audit[-1].outcome == "refused" and "cooldown" in responder.audit[-1].reason


def test_two_alerts_wanting_one_action_revert_it_only_when_both_resolve() -> None:
    responder, actions = _responder()
    responder.handle(_payload("firing", "AbusiveClient", client="10.1.1.1", rule="burst"), at=0)
    responder.handle(_payload("firing", "AbusiveClient", client="10.1.1.1", rule="steady"), at=1)
    responder.handle(_payload("resolved", "AbusiveClient", client="10.1.1.1", rule="burst"), at=2)
    assert responder.active == [("block", "10.1.1.1")]
    responder.handle(_payload("resolved", "AbusiveClient", client="10.1.1.1", rule="steady"), at=3)
    assert actions["block"].calls == [("apply", "10.1.1.1"), ("revert", "10.1.1.1")]


def test_revert_all_undoes_what_is_in_force() -> None:
    responder, actions = _responder()
    responder.handle(_payload("firing", "ShopSaturated", job="shop"))
    assert [e.outcome for e in responder.revert_all()] == ["reverted"]
    assert actions["shed"].calls == [("apply", "shop"), ("revert", "shop")]
    assert responder.to_frame()["outcome"].tolist() == ["applied", "reverted"]


def test_pause_stops_new_actions_but_not_reverts() -> None:
    responder, actions = _responder()
    responder.handle(_payload("firing", "ShopSaturated", job="shop"), at=0)
    responder.pause()
    responder.handle(_payload("firing", "AbusiveClient", client="10.1.1.1"), at=1)
    responder.handle(_payload("resolved", "ShopSaturated", job="shop"), at=2)
    assert [e.outcome for e in responder.audit] == ["applied", "refused", "reverted"]
    responder.resume()
    responder.handle(_payload("firing", "AbusiveClient", client="10.1.1.1"), at=3)
    assert responder.active == [("block", "10.1.1.1")]


def test_with_the_rails_off_it_blocks_the_admin_and_everyone() -> None:
    """What the rails prevent, shown: without them the admin and every client are blocked."""
    responder, actions = _responder(GuardRails.off(), clients=4)
    for client in ("127.0.0.1", "10.0.0.1", "10.0.0.2", "10.0.0.3"):
        responder.handle(_payload("firing", "AbusiveClient", client=client), at=0)
    assert len(actions["block"].calls) == 4
    guarded, _ = _responder(clients=4)
    for client in ("127.0.0.1", "10.0.0.1", "10.0.0.2", "10.0.0.3"):
        guarded.handle(_payload("firing", "AbusiveClient", client=client), at=0)
    assert [e.outcome for e in guarded.audit] == ["refused"] * 4  # protected, then one of 4 is 25% > 20%


def test_a_runbook_naming_an_action_the_responder_lacks_is_refused_up_front() -> None:
    with pytest.raises(RunbookError, match=r"actions \['shed'\] that the responder was not given"):
        Responder(RUNBOOK, {"block": RecordingAction("block")})


@pytest.mark.parametrize(
    ("data", "needle"),
    [
        ({"steps": []}, "steps"),
        ({"steps": [{"alert": "X", "action": "block"}]}, "target_label"),
        ({"steps": [{"alert": "X", "action": "block", "target_label": "c", "target": "d"}]}, "one"),
        ({"steps": [{"alert": "X", "action": "block", "target_label": "c", "expires_after_s": -1}]}, "expires_after_s"),
    ],
)
def test_bad_runbooks_say_what_to_fix(data: dict[str, object], needle: str) -> None:
    with pytest.raises(RunbookError, match=needle):
        Runbook.from_mapping(data)


def test_the_shop_actions_drive_its_switches() -> None:
    controls = ShopControls()
    actions = shop_actions(controls, shed_share=0.3)
    responder = Responder(
        Runbook.from_mapping(
            {
                "steps": [
                    {"alert": "AbusiveClient", "action": "block", "target_label": "client"},
                    {"alert": "DependencySlow", "action": "degrade", "target_label": "service"},
                    {"alert": "ShopSaturated", "action": "shed", "target_label": "job"},
                ]
            }
        ),
        actions,
        clients_seen=lambda: 10,
    )
    responder.handle(_payload("firing", "AbusiveClient", client="10.1.1.1"), at=0)
    responder.handle(_payload("firing", "DependencySlow", service="recommender"), at=0)
    responder.handle(_payload("firing", "ShopSaturated", job="shop"), at=0)
    assert controls.blocked == {"10.1.1.1"} and controls.skipped == {"recommender"} and controls.shed_share == 0.3
    responder.revert_all()
    assert controls.blocked == frozenset() and controls.skipped == frozenset() and controls.shed_share == 0
    with pytest.raises(ValueError, match=r"share must be in \(0, 1\]"):
        shop_actions(controls, shed_share=0)
