"""Who gets which alert: Alertmanager's routing tree by labels (team, severity), one level deep.

    # data/alertmanager/teams.yml
    default: web-oncall               # anything no route below matches
    routes:
      - match: {team: payments}       # every label must be equal
        receiver: payments-oncall
      - match: {severity: ticket}
        receiver: ticket-queue

The same table is written into the real Alertmanager's config (child routes,
first match wins) and applied by the embedded stack, so in both modes each
notification's ``receiver`` field names the team that got it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

from .webhook import WebhookAlert, WebhookPayload, make_payload

__all__ = ["Route", "TEAMS_FILE", "TeamRouting"]

TEAMS_FILE = Path(__file__).resolve().parents[2] / "data" / "alertmanager" / "teams.yml"
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*$")


def _receiver_name(value: str) -> str:
    if not _NAME.match(value):
        raise ValueError(f"receiver {value!r}: use letters, digits, '-' and '_', starting with a letter")
    return value


_ReceiverName = Annotated[str, AfterValidator(_receiver_name)]


class Route(BaseModel):
    """One child route: alerts whose labels include all of ``match`` go to ``receiver``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    match: dict[str, str] = Field(min_length=1)
    receiver: _ReceiverName

    def matches(self, labels: Mapping[str, str]) -> bool:
        return all(labels.get(k) == v for k, v in self.match.items())


class TeamRouting(BaseModel):
    """Routes tried in order, first match wins; ``default`` takes the rest."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    default: _ReceiverName
    routes: list[Route] = Field(default_factory=list)

    @classmethod
    def from_file(cls, path: str | Path = TEAMS_FILE) -> TeamRouting:
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"{path}: no such routing file (see data/alertmanager/teams.yml)")
        try:
            return cls.model_validate(yaml.safe_load(path.read_text()))
        except ValidationError as exc:
            raise ValueError(f"{path}: {exc.errors()[0]['loc']}: {exc.errors()[0]['msg']}") from None

    @property
    def receivers(self) -> list[str]:
        """Every receiver name, the default first, each once."""
        return list(dict.fromkeys([self.default, *(r.receiver for r in self.routes)]))

    def receiver_for(self, labels: Mapping[str, str]) -> str:
        return next((r.receiver for r in self.routes if r.matches(labels)), self.default)

    def split(self, payload: WebhookPayload) -> list[WebhookPayload]:
        """One notification per receiver, as Alertmanager sends them (embedded mode)."""
        by_receiver: dict[str, list[WebhookAlert]] = {}
        for alert in payload.alerts:
            by_receiver.setdefault(self.receiver_for(alert.labels), []).append(alert)
        return [
            make_payload("firing" if any(a.status == "firing" for a in alerts) else "resolved", alerts, receiver=name)
            for name, alerts in by_receiver.items()
        ]

    def alertmanager_config(self, webhook_url: str) -> dict[str, Any]:
        """The ``routes`` (under the top route) and ``receivers`` of an alertmanager.yml."""
        routes = [
            {"receiver": r.receiver, "matchers": [f'{k}="{v}"' for k, v in sorted(r.match.items())]}
            for r in self.routes
        ]
        receivers = [
            {"name": name, "webhook_configs": [{"url": webhook_url, "send_resolved": True}]} for name in self.receivers
        ]
        return {"receiver": self.default, "routes": routes, "receivers": receivers}
