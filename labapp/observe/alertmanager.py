"""A real Alertmanager, started by the lab on loopback where the binary is installed.

Prometheus evaluates alert rules and sends the alerts that fire to
Alertmanager; Alertmanager groups them, waits, repeats and resolves, and
delivers notifications to receivers. Here the only receiver is the lab's
webhook receiver (:class:`labapp.alerts.receiver.WebhookReceiver`).

Like :class:`~labapp.observe.prometheus.PrometheusServer` it gets its own
config, a temporary data directory and its own port, and it never opens the
gossip (cluster) port, so it cannot touch a system Alertmanager (Debian's
package also installs a service; the lab never uses it).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from ..arguments import number
from .process import ManagedProcess, find_binary

if TYPE_CHECKING:  # labapp.alerts imports this module
    from ..alerts.routing import TeamRouting
from .promql import format_duration

__all__ = ["AlertmanagerServer", "find_alertmanager", "go_duration"]

# Debian and Ubuntu name the binary prometheus-alertmanager; upstream's release
# tarball and most other distributions call it alertmanager.
BINARY_NAMES = ("prometheus-alertmanager", "alertmanager")

INSTALL_HINT = (
    "On Debian/Ubuntu: sudo apt-get install prometheus-alertmanager. "
    "Without it, the lab's embedded alert evaluator posts the same webhook payload to the receiver."
)


def find_alertmanager() -> str | None:
    """Path of the Alertmanager binary on PATH, or None (also when LABAPP_EMBEDDED=1)."""
    return find_binary(*BINARY_NAMES)


def go_duration(seconds: float) -> str:
    """A duration Alertmanager and Prometheus accept: "2s", "500ms", "4m" (never "0.5s").

    Their config durations are whole numbers with units, so sub-second values
    are written in milliseconds (see :func:`labapp.observe.promql.format_duration`).
    """
    if seconds < 0:
        raise ValueError(f"a duration cannot be negative, got {seconds}")
    if round(seconds * 1000) == 0 and seconds > 0:
        raise ValueError(f"{seconds} s is below a millisecond: too short for Alertmanager")
    return format_duration(seconds)


class AlertmanagerServer(ManagedProcess):
    """Run Alertmanager with one route that delivers every alert to ``receiver_url + "/alerts"``.

    Lab-sized timings (production values in brackets):

    - ``group_wait_s`` (30 s): how long a new group waits for more alerts
      before its first notification;
    - ``group_interval_s`` (5 min): how long to wait before notifying about a
      group that changed (new alerts, resolved alerts);
    - ``repeat_interval_s`` (4 h): how often a group that still fires is sent
      again. Alertmanager only sends at ``group_interval`` ticks, so a repeat
      comes at the first tick after ``repeat_interval``.
    """

    mode = "alertmanager"
    name = "alertmanager"

    def __init__(
        self,
        receiver_url: str,
        *,
        group_wait_s: float = 1.0,
        group_interval_s: float = 2.0,
        repeat_interval_s: float = 10.0,
        binary: str | None = None,
        host: str = "127.0.0.1",
        routing: TeamRouting | None = None,
    ) -> None:
        found = binary or find_alertmanager()
        if found is None:
            raise FileNotFoundError(
                f"no Alertmanager binary on PATH (looked for {', '.join(BINARY_NAMES)}). " + INSTALL_HINT
            )
        if not receiver_url.startswith(("http://", "https://")):
            raise ValueError(f"receiver_url must be an http(s) base URL like receiver.url, got {receiver_url!r}")
        # Above zero: Alertmanager rejects 0.
        number("group_interval_s", group_interval_s, above=0, unit="seconds")
        number("repeat_interval_s", repeat_interval_s, above=0, unit="seconds")
        if repeat_interval_s < group_interval_s:
            raise ValueError(
                f"repeat_interval_s ({repeat_interval_s:g}) is shorter than group_interval_s ({group_interval_s:g}): "
                "Alertmanager only sends at group_interval ticks, so it would repeat every group_interval anyway"
            )
        super().__init__(found, host)
        self.receiver_url = receiver_url.rstrip("/")
        self.group_wait = go_duration(group_wait_s)
        self.group_interval = go_duration(group_interval_s)
        self.repeat_interval = go_duration(repeat_interval_s)
        self.routing = routing

    @property
    def webhook_url(self) -> str:
        """Where Alertmanager delivers notifications."""
        return self.receiver_url + "/alerts"

    def config_text(self) -> str:
        """The alertmanager.yml this run uses (printed by notebooks 04 and 10)."""
        head = [
            "# Written by the lab. Intervals are lab-sized; production values in the comments.",
            "route:",
            f"  receiver: {self.routing.default if self.routing else 'lab-webhook'}",
            "  group_by: [alertname]  # one notification per alert rule, however many series fire",
            f"  group_wait: {self.group_wait}  # production: 30s. Wait this long to batch a new group's alerts",
            f"  group_interval: {self.group_interval}  # production: 5m. Wait this long to notify about changes",
            f"  repeat_interval: {self.repeat_interval}  # production: 4h. Re-send a group that still fires",
        ]
        if self.routing is None:
            return "\n".join(
                [
                    *head,
                    "receivers:",
                    "  - name: lab-webhook",
                    "    webhook_configs:",
                    f"      - url: {self.webhook_url}",
                    "        send_resolved: true  # also tell the receiver when the alert is over",
                    "",
                ]
            )
        # Teams: child routes, first match wins; every team's receiver is the lab's
        # webhook, and the notification's "receiver" field says which team it was for.
        tree = self.routing.alertmanager_config(self.webhook_url)
        routes = yaml.safe_dump({"routes": tree["routes"]}, sort_keys=False, width=200)
        return "\n".join(
            [
                *head,
                *("  " + line for line in routes.splitlines()),
                "",
                yaml.safe_dump({"receivers": tree["receivers"]}, sort_keys=False, width=200),
            ]
        )

    def prepare(self, workdir: Path) -> None:
        (workdir / "alertmanager.yml").write_text(self.config_text())

    def command(self, workdir: Path) -> list[str]:
        """The command line start() runs."""
        return [
            self.binary,
            f"--config.file={workdir / 'alertmanager.yml'}",
            f"--storage.path={workdir / 'data'}",
            f"--web.listen-address={self.host}:{self.port}",
            # Links in notifications (externalURL) point here, not at the hostname.
            f"--web.external-url={self.url}",
            # Empty: no high-availability gossip, so no port on 0.0.0.0:9094.
            "--cluster.listen-address=",
            "--log.level=warn",
        ]

    def alerts(self) -> list[dict[str, Any]]:
        """The alerts Alertmanager holds now (GET /api/v2/alerts), each with its ``status.state``."""
        response = self._http().get(self.url + "/api/v2/alerts")
        response.raise_for_status()
        return list(response.json())

    def post_alerts(self, alerts: Sequence[Mapping[str, Any]]) -> None:
        """Send alerts the way Prometheus does (POST /api/v2/alerts).

        Each alert: ``labels`` (with ``alertname``), optional ``annotations``,
        ``startsAt`` and ``endsAt`` (RFC 3339). An ``endsAt`` in the past resolves it.
        """
        response = self._http().post(self.url + "/api/v2/alerts", json=list(alerts))
        if response.status_code != 200:
            raise ValueError(f"alertmanager rejected the alerts ({response.status_code}): {response.text.strip()}")

    def __repr__(self) -> str:
        state = f"running at {self.url}" if self.running else "stopped"
        return (
            f"<AlertmanagerServer {state}, delivering to {self.webhook_url} "
            f"(group_wait {self.group_wait}, group_interval {self.group_interval}, "
            f"repeat_interval {self.repeat_interval})>"
        )
