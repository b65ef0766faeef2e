"""The lab's webhook receiver for Alertmanager notifications (no binaries needed)."""

from __future__ import annotations

import copy
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pandas as pd
import pytest

from labapp.alerts.receiver import Notification, WebhookPayload, WebhookReceiver, format_notification


def _alert(name: str = "ShopHighErrorRate", status: str = "firing", **labels: str) -> dict[str, Any]:
    return {
        "status": status,
        "labels": {"alertname": name, "severity": "page", **labels},
        "annotations": {"summary": "error rate 12% over 30s"},
        "startsAt": "2024-05-01T12:00:00.123456789Z",  # Go writes nanoseconds
        "endsAt": "0001-01-01T00:00:00Z" if status == "firing" else "2024-05-01T12:05:00Z",
        "generatorURL": "http://127.0.0.1:9090/graph",
        "fingerprint": "c0ffee" + name,
    }


def payload(name: str = "ShopHighErrorRate", status: str = "firing", n: int = 1) -> dict[str, Any]:
    """What Alertmanager 0.25 POSTs (webhook version 4)."""
    alerts = [_alert(name, status, instance=f"shop-{i}") for i in range(n)]
    return {
        "receiver": "lab-webhook",
        "status": status,
        "alerts": alerts,
        "groupLabels": {"alertname": name},
        "commonLabels": {"alertname": name, "severity": "page"} if n > 1 else alerts[0]["labels"],
        "commonAnnotations": {"summary": "error rate 12% over 30s"},
        "externalURL": "http://127.0.0.1:9093",
        "version": "4",
        "groupKey": '{}:{alertname="' + name + '"}',
        "truncatedAlerts": 0,
    }


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as running:
        yield running


def test_a_valid_notification_is_recorded_and_formatted(receiver: WebhookReceiver, http: httpx.Client) -> None:
    assert receiver.url.startswith("http://127.0.0.1:")
    before = time.time()
    response = http.post(receiver.url + "/alerts", json=payload())
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "alerts": 1}

    [note] = receiver.notifications()
    assert before <= note.received_at <= time.time()
    assert note.status == "firing"
    assert note.alertnames == ["ShopHighErrorRate"]
    assert note.alerts[0].ends_at is None  # Go's zero time means "no end yet"
    line = format_notification(note.payload)
    assert line == "[FIRING:1] ShopHighErrorRate (instance=shop-0 severity=page): error rate 12% over 30s"
    assert str(note).endswith(line)

    listed = http.get(receiver.url + "/alerts").json()
    assert [item["summary"] for item in listed] == [line]
    assert http.get(receiver.url + "/health").json() == {"status": "ok", "notifications": 1}
    assert "1 notifications" in repr(receiver)


def test_to_frame_has_one_row_per_alert_per_notification(receiver: WebhookReceiver, http: httpx.Client) -> None:
    empty = receiver.to_frame()
    assert empty.empty and "alertname" in empty.columns
    http.post(receiver.url + "/alerts", json=payload(n=2))
    http.post(receiver.url + "/alerts", json=payload(status="resolved", n=2))

    frame = receiver.to_frame()
    assert len(frame) == 4
    assert frame["n"].tolist() == [0, 0, 1, 1]
    assert frame["notification"].tolist() == ["firing", "firing", "resolved", "resolved"]
    assert set(frame["alertname"]) == {"ShopHighErrorRate"}
    assert set(frame["severity"]) == {"page"}
    assert frame["time"].is_monotonic_increasing
    assert frame["startsAt"].iloc[0] == pd.Timestamp("2024-05-01T12:00:00.123456Z")
    assert frame["endsAt"].iloc[:2].isna().all()
    assert frame["endsAt"].iloc[2] == pd.Timestamp("2024-05-01T12:05:00Z")
    assert str(frame["endsAt"].dtype) == str(empty["endsAt"].dtype) == "datetime64[us, UTC]"

    receiver.clear()
    assert receiver.notifications() == [] and receiver.to_frame().empty


@pytest.mark.parametrize(
    ("body", "why"),
    [
        (b"not json", "Invalid JSON"),
        (b"[]", "Input should be an object"),
        (b'{"receiver": "x", "status": "firing", "alerts": []}', "alerts: List should have at least 1 item"),
        (b'{"receiver": "x", "status": "burning", "alerts": [{}]}', "status: Input should be 'firing' or 'resolved'"),
        (b'{"status": "firing", "alerts": [{"status": "firing"}]}', "receiver: Field required"),
    ],
)
def test_a_bad_payload_is_422_with_a_clear_message(
    receiver: WebhookReceiver, http: httpx.Client, body: bytes, why: str
) -> None:
    response = http.post(receiver.url + "/alerts", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert detail.startswith("not an Alertmanager webhook payload (version 4): ")
    assert why in detail
    assert receiver.notifications() == []


def test_other_bad_bodies_are_4xx_never_500(receiver: WebhookReceiver, http: httpx.Client) -> None:
    wrong_version = payload() | {"version": "3"}
    assert http.post(receiver.url + "/alerts", json=wrong_version).status_code == 422
    bad_time = copy.deepcopy(payload())
    bad_time["alerts"][0]["startsAt"] = "yesterday"
    assert "alerts.0.startsAt" in http.post(receiver.url + "/alerts", json=bad_time).json()["detail"]
    no_type = http.post(receiver.url + "/alerts", content=b"\xff\xfe", headers={"content-type": "text/plain"})
    assert no_type.status_code == 422
    assert http.post(receiver.url + "/alerts", content=b"x" * 5_000_001).status_code == 413
    assert receiver.notifications() == []


def test_takes_posts_from_any_loopback_address(receiver: WebhookReceiver) -> None:
    # A lab service on loopback: no auth, no allow-list. 127.0.0.7 is loopback too.
    transport = httpx.HTTPTransport(local_address="127.0.0.7")
    with httpx.Client(transport=transport, timeout=5) as client:
        assert client.post(receiver.url + "/alerts", json=payload()).status_code == 200
    assert len(receiver.notifications()) == 1


def test_wait_for_returns_when_a_matching_notification_arrives(receiver: WebhookReceiver) -> None:
    def post_later() -> None:
        time.sleep(0.2)  # stands in for Alertmanager's group_wait
        with httpx.Client(timeout=5) as client:
            client.post(receiver.url + "/alerts", json=payload("Other"))
            client.post(receiver.url + "/alerts", json=payload(status="resolved"))

    thread = threading.Thread(target=post_later)
    start = time.monotonic()
    thread.start()
    note = receiver.wait_for(alertname="ShopHighErrorRate", status="RESOLVED", timeout_s=10)
    elapsed = time.monotonic() - start
    thread.join()
    assert note.status == "resolved" and note.alertnames == ["ShopHighErrorRate"]
    assert elapsed > 0.15  # it waited for the post; a hang would fail on its timeout (pytest-timeout)
    # Already recorded: returns at once.
    assert receiver.wait_for(alertname="Other", timeout_s=0).alertnames == ["Other"]
    assert receiver.wait_for(lambda n: n.status == "firing", timeout_s=0).alertnames == ["Other"]
    assert receiver.wait_for(count=2, timeout_s=0) is receiver.notifications()[1]


def test_wait_for_times_out_with_a_clear_message(receiver: WebhookReceiver, http: httpx.Client) -> None:
    start = time.monotonic()
    with pytest.raises(TimeoutError, match=r"alertname='Nope', status='firing' within 0.3 s \(0 received\)") as info:
        receiver.wait_for(alertname="Nope", status="firing", timeout_s=0.3)
    assert time.monotonic() - start >= 0.3  # waited its whole timeout (no upper bound: pytest-timeout)
    assert receiver.url + "/alerts" in str(info.value)  # the hint names the webhook URL

    http.post(receiver.url + "/alerts", json=payload())
    with pytest.raises(TimeoutError, match=r"1 received; last: \[FIRING:1\] ShopHighErrorRate"):
        receiver.wait_for(status="resolved", timeout_s=0.05)
    with pytest.raises(TimeoutError, match="count=2"):
        receiver.wait_for(alertname="ShopHighErrorRate", count=2, timeout_s=0.05)
    with pytest.raises(TimeoutError):
        receiver.wait_for(alertname="ShopHighErrorRate", since=time.time() + 1, timeout_s=0.05)
    with pytest.raises(ValueError, match="'firing' or 'resolved'"):
        receiver.wait_for(status="pending", timeout_s=0)


def test_format_notification_reads_like_alertmanagers_title() -> None:
    assert format_notification(payload(n=3)) == "[FIRING:3] ShopHighErrorRate (severity=page): error rate 12% over 30s"
    resolved = payload(status="resolved", n=2)
    assert format_notification(resolved) == "[RESOLVED] ShopHighErrorRate (severity=page): error rate 12% over 30s"

    # No common summary: quote a firing alert's, and count the rest.
    mixed = payload(n=2) | {"commonAnnotations": {}}
    mixed["alerts"][0] = _alert(status="resolved") | {"annotations": {"summary": "over"}}
    mixed["alerts"][1]["annotations"] = {"description": "line one\nline two"}
    assert format_notification(mixed) == "[FIRING:1] ShopHighErrorRate (severity=page): line one line two (+1 more)"

    bare = {
        "receiver": "r",
        "status": "firing",
        "alerts": [{"status": "firing", "labels": {}, "startsAt": "2024-05-01T12:00:00Z"}],
    }
    assert format_notification(bare) == "[FIRING:1] (no alertname)"
    model = WebhookPayload.model_validate(payload())
    assert format_notification(Notification(0.0, model)) == format_notification(model)


def test_stop_and_start_again(http: httpx.Client) -> None:
    receiver = WebhookReceiver().start()
    url = receiver.url
    http.post(url + "/alerts", json=payload())
    receiver.stop()
    receiver.stop()  # twice is fine
    assert not receiver.running and "stopped" in repr(receiver)
    with pytest.raises(httpx.ConnectError):
        httpx.post(url + "/alerts", json=payload())
    with pytest.raises(RuntimeError, match="call start"):
        receiver.url  # noqa: B018
    assert len(receiver.notifications()) == 1  # records outlive the server
    receiver.start()
    try:
        assert receiver.url == url  # same port: an Alertmanager already configured still reaches it
        assert http.post(url + "/alerts", json=payload()).status_code == 200
        assert len(receiver.notifications()) == 2
    finally:
        receiver.stop()


def test_subscribers_get_every_notification_and_a_broken_one_loses_nothing(
    receiver: WebhookReceiver, http: httpx.Client, caplog: pytest.LogCaptureFixture
) -> None:
    seen: list[str] = []

    def broken(_: WebhookPayload) -> None:
        raise RuntimeError("subscriber bug")

    unsubscribe = receiver.subscribe(lambda p: seen.append(p.status))
    receiver.subscribe(broken)
    assert http.post(receiver.url + "/alerts", json=payload()).status_code == 200
    assert seen == ["firing"] and len(receiver.notifications()) == 1
    assert [str(e) for e in receiver.subscriber_errors] == ["subscriber bug"]
    assert "a subscriber of the alert receiver failed" in caplog.text
    unsubscribe()
    http.post(receiver.url + "/alerts", json=payload(status="resolved"))
    assert seen == ["firing"]
