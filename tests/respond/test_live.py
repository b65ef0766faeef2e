"""End to end on a real shop: a top talker raises an alert, the responder blocks it, and lets it go."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from labapp import Lab
from labapp.alerts import Notification
from labapp.respond import GuardRails, gather_facts, write_summary

RULES = """
groups:
  - name: respond-test
    interval: 1s
    rules:
      - alert: AbusiveClient
        expr: shop_top_client_requests_per_second > 20
        labels: {team: security, severity: page}
"""


@pytest.fixture
def abuser(lab: Lab) -> Iterator[threading.Event]:
    """One client at 127.0.0.9 sending as fast as it can, until the event is set."""
    stop = threading.Event()

    def hammer() -> None:
        with httpx.Client(transport=httpx.HTTPTransport(local_address="127.0.0.9"), timeout=5.0) as client:
            while not stop.wait(0.01):
                client.get(f"{lab.url}/items")

    thread = threading.Thread(target=hammer, daemon=True)
    thread.start()
    yield stop
    stop.set()
    thread.join(5)


def test_an_abusive_client_is_blocked_then_released(
    lab: Lab, abuser: threading.Event, tmp_path: Path, wait_until: Callable[..., None]
) -> None:
    started = time.time()
    rules = tmp_path / "respond.yml"
    rules.write_text(RULES)
    stack = lab.alerting((str(rules),), prefer="embedded", teams=True)
    # Few clients in this test: let the responder block one in two.
    live = lab.respond(guards=GuardRails(max_blocked_share=0.5))
    notification = stack.receiver.wait_for(alertname="AbusiveClient", status="firing", timeout_s=20)
    assert notification.payload.receiver == "security-desk"
    wait_until(lambda: "127.0.0.9" in lab.controls.blocked, timeout_s=5, what="the abuser blocked")
    with httpx.Client(transport=httpx.HTTPTransport(local_address="127.0.0.9")) as client:
        assert client.get(f"{lab.url}/items").status_code == 403
    assert httpx.get(f"{lab.url}/items").status_code == 200  # everyone else is served
    abuser.set()

    def abuser_resolved(note: Notification) -> bool:
        return any(a.status == "resolved" and a.labels.get("client") == "127.0.0.9" for a in note.alerts)

    # Earlier tests may have made other clients top talkers too: wait for this one's alert.
    stack.receiver.wait_for(abuser_resolved, timeout_s=30)
    wait_until(lambda: "127.0.0.9" not in lab.controls.blocked, timeout_s=5, what="the block reverted")
    outcomes = [(e.outcome, e.action) for e in live.responder.audit if e.target == "127.0.0.9"]
    assert outcomes == [("applied", "block"), ("reverted", "block")]
    # The summary is written from what the lab recorded in that time.
    summary = write_summary("abusive client", gather_facts(lab, started))
    assert "clients blocked: 127.0.0.9" in summary.impact
    whats = [line.what for line in summary.timeline]
    assert "alert firing: AbusiveClient" in whats and "responder applied: block 127.0.0.9" in whats


def test_respond_needs_alerts_first(lab: Lab) -> None:
    lab.watch(prefer="embedded")
    with pytest.raises(RuntimeError, match=r"start them first with lab.alerting"):
        lab.respond()


def test_a_stopped_responder_reverts_what_it_did(lab: Lab, tmp_path: Path) -> None:
    rules = tmp_path / "none.yml"
    rules.write_text("groups: []\n")
    stack = lab.alerting((str(rules),), prefer="embedded")
    live = lab.respond(guards=GuardRails(max_blocked_share=1.0))
    live.responder.handle(
        {
            "receiver": "x",
            "status": "firing",
            "alerts": [
                {
                    "status": "firing",
                    "labels": {"alertname": "AbusiveClient", "client": "127.0.0.5"},
                    "startsAt": "2026-01-01T00:00:00Z",
                }
            ],
        }
    )
    assert lab.controls.blocked == {"127.0.0.5"}
    live.stop()
    assert lab.controls.blocked == frozenset()
    assert stack.receiver.running  # stopping the responder leaves the alerts running
