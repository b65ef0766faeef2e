"""A real Alertmanager delivering to the lab's webhook receiver (skipped where the binary is missing)."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from labapp.alerts.receiver import WebhookReceiver
from labapp.observe.alertmanager import AlertmanagerServer, find_alertmanager, go_duration
from labapp.observe.prometheus import PrometheusServer, find_prometheus
from labapp.observe.promql import parse_duration

needs_alertmanager = pytest.mark.skipif(
    find_alertmanager() is None,
    reason="no Alertmanager binary on PATH (Debian: apt-get install prometheus-alertmanager)",
)
NOT_RUN = "/nonexistent/alertmanager"  # config-only tests never start the binary


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as running:
        yield running


@pytest.fixture
def alertmanager(receiver: WebhookReceiver) -> Iterator[AlertmanagerServer]:
    server = AlertmanagerServer(receiver.url, group_wait_s=0.5, group_interval_s=1, repeat_interval_s=2)
    with server:
        yield server


def _alert(instance: str, *, ends_in_s: float = 300) -> dict[str, Any]:
    now = datetime.now(UTC)
    return {
        "labels": {"alertname": "ShopDown", "instance": instance, "severity": "page"},
        "annotations": {"summary": f"{instance} does not answer"},
        "startsAt": (now - timedelta(seconds=1)).isoformat(),
        "endsAt": (now + timedelta(seconds=ends_in_s)).isoformat(),
    }


def _listening(pid: int) -> list[str]:
    """Addresses ``pid`` listens on (TCP) or has bound (UDP), read from /proc."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        target = os.readlink(fd)
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    found = []
    for table in ("tcp", "tcp6", "udp", "udp6"):
        for line in Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]:
            fields = line.split()
            listening = fields[3] == "0A" if table.startswith("tcp") else True
            if fields[9] in inodes and listening:
                address, port = fields[1].split(":")
                ip = ".".join(str(int(address[i : i + 2], 16)) for i in (6, 4, 2, 0)) if len(address) == 8 else address
                found.append(f"{table} {ip}:{int(port, 16)}")
    return found


# -- no binary needed -------------------------------------------------------


@pytest.mark.parametrize(
    ("seconds", "text"), [(1, "1s"), (0.5, "500ms"), (2.25, "2s250ms"), (0, "0s"), (240, "4m"), (5400, "1h30m")]
)
def test_go_duration_never_writes_fractions(seconds: float, text: str) -> None:
    assert go_duration(seconds) == text
    assert parse_duration(text) == seconds  # Prometheus' own syntax: it reads back


def test_go_duration_rejects_what_alertmanager_would() -> None:
    with pytest.raises(ValueError, match="negative"):
        go_duration(-1)
    with pytest.raises(ValueError, match="below a millisecond"):
        go_duration(0.0001)


def test_config_routes_everything_to_the_receiver_with_lab_intervals() -> None:
    server = AlertmanagerServer("http://127.0.0.1:8123/", group_wait_s=0.5, binary=NOT_RUN)
    text = server.config_text()
    assert "group_by: [alertname]" in text
    assert "group_wait: 500ms  # production: 30s" in text
    assert "group_interval: 2s  # production: 5m" in text
    assert "repeat_interval: 10s  # production: 4h" in text
    assert "      - url: http://127.0.0.1:8123/alerts\n        send_resolved: true" in text
    assert "stopped" in repr(server)


@pytest.mark.skipif(shutil.which("amtool") is None, reason="no amtool (Debian: in prometheus-alertmanager)")
def test_config_passes_amtool_check_config(tmp_path: Path) -> None:
    config = tmp_path / "alertmanager.yml"
    config.write_text(AlertmanagerServer("http://127.0.0.1:8123", group_wait_s=0.25, binary=NOT_RUN).config_text())
    result = subprocess.run(["amtool", "check-config", str(config)], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stdout + result.stderr


def test_bad_settings_are_clear_errors() -> None:
    with pytest.raises(ValueError, match="repeat_interval_s .* is shorter than group_interval_s"):
        AlertmanagerServer("http://127.0.0.1:1", group_interval_s=5, repeat_interval_s=2, binary=NOT_RUN)
    with pytest.raises(ValueError, match="group_interval_s must be a number of seconds above 0"):
        AlertmanagerServer("http://127.0.0.1:1", group_interval_s=0, binary=NOT_RUN)
    with pytest.raises(ValueError, match="base URL"):
        AlertmanagerServer("127.0.0.1:1", binary=NOT_RUN)


def test_missing_binary_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("labapp.observe.alertmanager.find_alertmanager", lambda: None)
    with pytest.raises(FileNotFoundError, match="apt-get install prometheus-alertmanager.*embedded alert evaluator"):
        AlertmanagerServer("http://127.0.0.1:1")


def test_prometheus_config_points_at_alertmanager_only_when_asked() -> None:
    without = PrometheusServer({"shop": "http://127.0.0.1:1"}, binary=NOT_RUN)
    assert "alerting:" not in without.config_text()
    assert without._alerting_flags() == []
    with_am = PrometheusServer(
        {"shop": "http://127.0.0.1:1"}, interval_s=0.5, binary=NOT_RUN, alertmanager_url="http://127.0.0.1:9093"
    )
    assert (
        "alerting:\n  alertmanagers:\n    - static_configs:\n        - targets: ['127.0.0.1:9093']\n"
        in with_am.config_text()
    )
    assert with_am._alerting_flags() == ["--rules.alert.resend-delay=500ms"]


# -- the real binary --------------------------------------------------------


@needs_alertmanager
def test_starts_on_loopback_only(alertmanager: AlertmanagerServer, http: httpx.Client) -> None:
    assert alertmanager.url.startswith("http://127.0.0.1:")
    assert http.get(alertmanager.url + "/-/ready").status_code == 200
    assert alertmanager.version.startswith("alertmanager, version ")
    assert alertmanager._process is not None
    # Clustering off: no gossip port (9094 on 0.0.0.0 by default), only the web port on loopback.
    assert _listening(alertmanager._process.pid) == [f"tcp 127.0.0.1:{alertmanager.port}"]
    assert alertmanager.alerts() == []
    assert alertmanager.start() is alertmanager  # already running: a no-op


@needs_alertmanager
# Wall-clock bounds kept (marker "timing"): they check Alertmanager's own timers (group_wait
# 0.5 s, group_interval 1 s, repeat_interval), with 5-10x slack, which no count or ordering shows.
@pytest.mark.timing
def test_delivers_firing_then_resolved(alertmanager: AlertmanagerServer, receiver: WebhookReceiver) -> None:
    sent = time.time()
    alertmanager.post_alerts([_alert("shop-1")])
    firing = receiver.wait_for(alertname="ShopDown", status="firing", timeout_s=10)
    assert firing.received_at - sent < 5  # group_wait 500ms
    assert str(firing).endswith("[FIRING:1] ShopDown (instance=shop-1 severity=page): shop-1 does not answer")
    [held] = alertmanager.alerts()
    assert held["status"]["state"] == "active"
    assert firing.payload.externalURL == alertmanager.url

    resolved_at = time.time()
    alertmanager.post_alerts([_alert("shop-1", ends_in_s=-1)])  # endsAt in the past: resolved
    resolved = receiver.wait_for(alertname="ShopDown", status="resolved", timeout_s=10)
    assert resolved.status == "resolved"
    assert resolved.received_at - resolved_at < 5  # next group_interval tick (1 s)
    assert resolved.alerts[0].ends_at is not None
    assert alertmanager.alerts() == []


@needs_alertmanager
# Wall-clock bounds kept (marker "timing"): they check Alertmanager's own timers (group_wait
# 0.5 s, group_interval 1 s, repeat_interval), with 5-10x slack, which no count or ordering shows.
@pytest.mark.timing
def test_groups_by_alertname_and_repeats(alertmanager: AlertmanagerServer, receiver: WebhookReceiver) -> None:
    alertmanager.post_alerts([_alert("shop-1"), _alert("shop-2")])
    first = receiver.wait_for(alertname="ShopDown", timeout_s=10)
    assert len(first.alerts) == 2  # two series, one notification
    assert str(first).endswith("[FIRING:2] ShopDown (severity=page): shop-1 does not answer (+1 more)")
    # Still firing: sent again at the first group_interval tick after repeat_interval.
    again = receiver.wait_for(alertname="ShopDown", status="firing", count=2, timeout_s=10)
    assert 1.5 < again.received_at - first.received_at < 6
    assert {a.fingerprint for a in again.alerts} == {a.fingerprint for a in first.alerts}


@needs_alertmanager
def test_rejected_alerts_are_a_clear_error(alertmanager: AlertmanagerServer) -> None:
    with pytest.raises(ValueError, match="alertmanager rejected the alerts"):
        alertmanager.post_alerts([{"labels": {}}])


@needs_alertmanager
def test_stop_leaves_no_process_and_no_temp_dir(receiver: WebhookReceiver) -> None:
    server = AlertmanagerServer(receiver.url).start()
    process, client = server._process, server._client
    assert process is not None and server._dir is not None and client is not None
    workdir = Path(server._dir.name)
    assert (workdir / "alertmanager.yml").read_text() == server.config_text()
    url = server.url
    server.stop()
    assert process.poll() is not None
    assert not workdir.exists()
    assert client.is_closed
    with pytest.raises(httpx.ConnectError):
        httpx.get(url + "/-/ready")
    with pytest.raises(RuntimeError, match="call start"):
        server.alerts()
    server.stop()  # twice is fine


@needs_alertmanager
def test_a_start_up_failure_shows_alertmanagers_log(receiver: WebhookReceiver, monkeypatch: pytest.MonkeyPatch) -> None:
    server = AlertmanagerServer(receiver.url)
    monkeypatch.setattr(server, "config_text", lambda: "route: [not, a, route]\n")
    with pytest.raises(RuntimeError, match="(?s)alertmanager exited at start-up:.*config"):
        server.start(timeout_s=10)
    assert server._process is None and server._dir is None


# -- Prometheus rule -> Alertmanager -> receiver ----------------------------


@pytest.mark.prometheus
@needs_alertmanager
@pytest.mark.skipif(
    find_prometheus() is None, reason="no 'prometheus' binary on PATH (Debian: apt-get install prometheus)"
)
@pytest.mark.timing  # "took < 15": Prometheus' discovery batches every 5 s; a wall-clock bound by nature
def test_prometheus_rule_reaches_the_receiver_through_alertmanager(
    tmp_path: Path, alertmanager: AlertmanagerServer, receiver: WebhookReceiver
) -> None:
    rules = tmp_path / "rules.yml"
    rules.write_text(
        "groups:\n"
        "  - name: lab\n"
        "    rules:\n"
        "      - alert: AlwaysFiring\n"
        "        expr: vector(1) > 0\n"
        "        for: 0s\n"
        "        labels: {severity: info}\n"
        "        annotations: {summary: 'fires on every evaluation'}\n"
    )
    prometheus = PrometheusServer(
        {"receiver": receiver.url}, interval_s=1, rule_files=[rules], alertmanager_url=alertmanager.url
    )
    started = time.monotonic()
    try:
        prometheus.start()
        # Prometheus finds its Alertmanager ~5 s after start (its discovery
        # batches updates every 5 s); then one evaluation, then group_wait.
        note = receiver.wait_for(alertname="AlwaysFiring", status="firing", timeout_s=20)
    finally:
        prometheus.stop()
    took = time.monotonic() - started
    assert took < 15, f"rule -> Alertmanager -> receiver took {took:.1f} s"
    assert str(note).endswith("[FIRING:1] AlwaysFiring (severity=info): fires on every evaluation")
    assert note.alerts[0].generatorURL  # Prometheus links back to the rule's expression
