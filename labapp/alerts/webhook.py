"""Alertmanager's webhook payload (version "4"): one model for who sends it and who receives it.

The embedded evaluator builds its notifications with :func:`make_payload`, and
the lab's receiver validates every delivery against :class:`WebhookPayload`,
whether it came from a real Alertmanager or from the evaluator.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["GO_ZERO_TIME", "Status", "WebhookAlert", "WebhookPayload", "fingerprint", "make_payload"]

Status = Literal["firing", "resolved"]

# Alertmanager writes Go's zero time for "no end yet" on firing alerts.
GO_ZERO_TIME = datetime(1, 1, 1, tzinfo=UTC)


class WebhookAlert(BaseModel):
    """One alert inside a notification."""

    model_config = ConfigDict(extra="allow")

    status: Status
    labels: dict[str, str]
    annotations: dict[str, str] = Field(default_factory=dict)
    startsAt: datetime
    endsAt: datetime | None = None  # "0001-01-01T00:00:00Z" (Go's zero time) while firing
    generatorURL: str = ""
    fingerprint: str = ""

    @property
    def alertname(self) -> str:
        return self.labels.get("alertname", "")

    @property
    def ends_at(self) -> datetime | None:
        """``endsAt``, or None for Go's zero time (no end known)."""
        if self.endsAt is None or self.endsAt.year == GO_ZERO_TIME.year:
            return None
        return self.endsAt


class WebhookPayload(BaseModel):
    """Alertmanager's webhook body, version "4" (the only version it has sent so far)."""

    model_config = ConfigDict(extra="allow")

    version: Literal["4"] = "4"
    receiver: str
    status: Status
    alerts: list[WebhookAlert] = Field(min_length=1)
    groupLabels: dict[str, str] = Field(default_factory=dict)
    commonLabels: dict[str, str] = Field(default_factory=dict)
    commonAnnotations: dict[str, str] = Field(default_factory=dict)
    externalURL: str = ""
    groupKey: str = ""
    truncatedAlerts: int = 0


def fingerprint(labels: Mapping[str, str]) -> str:
    """A stable id for an alert's label set (across processes, unlike hash()), as Alertmanager keeps one."""
    return hashlib.sha256(repr(sorted(labels.items())).encode()).hexdigest()[:16]


def make_payload(
    status: Status, alerts: Sequence[WebhookAlert], *, receiver: str = "lab", external_url: str = "embedded://labapp"
) -> WebhookPayload:
    """One notification for a group of alerts sharing an alertname, as Alertmanager groups by it."""
    if not alerts:
        raise ValueError("a notification carries at least one alert")
    common = set.intersection(*(set(a.labels.items()) for a in alerts))
    common_annotations = set.intersection(*(set(a.annotations.items()) for a in alerts))
    name = alerts[0].alertname
    return WebhookPayload(
        receiver=receiver,
        status=status,
        alerts=list(alerts),
        groupLabels={"alertname": name},
        commonLabels=dict(common),
        commonAnnotations=dict(common_annotations),
        externalURL=external_url,
        groupKey=f'{{}}:{{alertname="{name}"}}',
    )
