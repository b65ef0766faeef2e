"""A runbook: which action to take for which alert, read from YAML an on-call engineer can review.

    steps:
      - alert: AbusiveClient          # alertname to match
        match: {severity: page}       # further labels that must be equal (optional)
        action: block                 # a name the responder has an action for
        target_label: client          # the alert label that names what to act on
        expires_after_s: 120          # revert unless the alert is still firing by then

A step acts on one *target* (a client address, a service), taken from the
alert's labels (``target_label``), so one alert rule can drive actions on many
targets; or a fixed one (``target: recommender``).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ..alerts.webhook import WebhookAlert

__all__ = ["Runbook", "RunbookError", "SHOP_RUNBOOK", "Step"]

SHOP_RUNBOOK = Path(__file__).resolve().parents[2] / "data" / "runbooks" / "shop.yml"


class RunbookError(ValueError):
    """A runbook file or mapping that cannot be used, with what to fix."""


class Step(BaseModel):
    """One line of a runbook: on this alert, take this action on the target its label names."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    alert: str = Field(min_length=1)
    action: str = Field(min_length=1)
    target_label: str | None = Field(default=None, min_length=1)
    target: str | None = Field(default=None, min_length=1)
    match: dict[str, str] = Field(default_factory=dict)
    expires_after_s: float | None = Field(default=None, gt=0)

    @model_validator(mode="after")
    def _one_target(self) -> Step:
        if (self.target is None) == (self.target_label is None):
            raise ValueError(f"step for {self.alert}: give target_label (an alert label) or target (a fixed name), one")
        return self

    def matches(self, alert: WebhookAlert) -> bool:
        return alert.alertname == self.alert and all(alert.labels.get(k) == v for k, v in self.match.items())

    def target_of(self, alert: WebhookAlert) -> str:
        """What to act on for this alert; "" when its label is missing."""
        return self.target if self.target is not None else alert.labels.get(self.target_label or "", "")


class Runbook(BaseModel):
    """Steps in order; every step whose alert matches runs (one alert may drive several actions)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    steps: list[Step] = Field(min_length=1)

    def steps_for(self, alert: WebhookAlert) -> list[Step]:
        return [step for step in self.steps if step.matches(alert)]

    @property
    def actions(self) -> set[str]:
        return {step.action for step in self.steps}

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], *, source: str = "runbook") -> Runbook:
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'top'}: {e['msg']}" for e in exc.errors()[:5])
            raise RunbookError(
                f"{source}: {problems}. A runbook is 'steps:', each with alert, action and target_label or target"
            ) from None

    @classmethod
    def from_file(cls, path: str | Path) -> Runbook:
        path = Path(path)
        if not path.is_file():
            raise RunbookError(f"{path}: no such runbook file")
        data = yaml.safe_load(path.read_text())
        if not isinstance(data, Mapping):
            raise RunbookError(f"{path}: expected a mapping with 'steps:', got {type(data).__name__}")
        return cls.from_mapping(data, source=str(path))
