"""Automated incident response: a runbook acted on from Alertmanager's webhook, within guard rails."""

from __future__ import annotations

from .guards import GuardRails
from .responder import Action, AuditEntry, Responder
from .runbook import Runbook, RunbookError, Step
from .timeline import RecordingAction, TimelineResult, format_timeline_results, run_timeline_file

__all__ = [
    "Action",
    "AuditEntry",
    "GuardRails",
    "RecordingAction",
    "Responder",
    "Runbook",
    "RunbookError",
    "Step",
    "TimelineResult",
    "format_timeline_results",
    "run_timeline_file",
]
