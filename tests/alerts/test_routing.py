"""Alerts routed to teams: one table, written into Alertmanager's config and applied by the embedded stack."""

from __future__ import annotations

import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest

from labapp.alerts.routing import TeamRouting
from labapp.alerts.webhook import WebhookAlert, make_payload
from labapp.observe.alertmanager import AlertmanagerServer

ROUTING = TeamRouting.from_file()


def _alert(**labels: str) -> WebhookAlert:
    return WebhookAlert(status="firing", labels={"alertname": "A", **labels}, startsAt=datetime(2026, 1, 1, tzinfo=UTC))


def test_first_matching_route_wins_and_the_rest_go_to_the_default() -> None:
    assert ROUTING.receiver_for({"team": "payments", "severity": "ticket"}) == "payments-oncall"
    assert ROUTING.receiver_for({"severity": "ticket"}) == "ticket-queue"
    assert ROUTING.receiver_for({"severity": "page"}) == "web-oncall"


def test_a_notification_is_split_by_team_as_alertmanager_sends_it() -> None:
    payload = make_payload("firing", [_alert(team="payments", x="1"), _alert(team="security"), _alert(x="2")])
    split = {p.receiver: [a.labels.get("x", a.labels.get("team")) for a in p.alerts] for p in ROUTING.split(payload)}
    assert split == {"payments-oncall": ["1"], "security-desk": ["security"], "web-oncall": ["2"]}


@pytest.mark.skipif(shutil.which("amtool") is None, reason="no amtool (Debian: in prometheus-alertmanager)")
def test_the_team_config_passes_amtool(tmp_path: Path) -> None:
    config = tmp_path / "alertmanager.yml"
    server = AlertmanagerServer("http://127.0.0.1:8123", binary="/bin/true", routing=ROUTING)
    config.write_text(server.config_text())
    result = subprocess.run(["amtool", "check-config", str(config)], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0 and "4 receivers" in result.stdout, result.stdout + result.stderr
    routed = subprocess.run(
        ["amtool", "config", "routes", "test", f"--config.file={config}", "team=payments", "severity=page"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert routed.stdout.strip() == "payments-oncall", routed.stdout + routed.stderr


def test_bad_routing_files_say_what_is_wrong(tmp_path: Path) -> None:
    bad = tmp_path / "teams.yml"
    bad.write_text("default: web oncall\n")
    with pytest.raises(ValueError, match="use letters, digits"):
        TeamRouting.from_file(bad)
    with pytest.raises(FileNotFoundError, match="no such routing file"):
        TeamRouting.from_file(tmp_path / "missing.yml")
