"""Automated incident response: a runbook acted on from Alertmanager's webhook, within guard rails."""

from __future__ import annotations

from .actions import BlockClient, ScaleOut, ShedLoad, SkipDependency, shop_actions
from .guards import GuardRails
from .live import LiveResponder
from .postmortem import IncidentFacts, PostIncidentSummary, gather_facts, write_summary
from .responder import Action, AuditEntry, Responder
from .runbook import SHOP_RUNBOOK, Runbook, RunbookError, Step
from .timeline import RecordingAction, TimelineResult, format_timeline_results, replay, run_timeline_file

__all__ = [
    "Action",
    "AuditEntry",
    "BlockClient",
    "GuardRails",
    "IncidentFacts",
    "LiveResponder",
    "PostIncidentSummary",
    "RecordingAction",
    "Responder",
    "Runbook",
    "RunbookError",
    "SHOP_RUNBOOK",
    "ScaleOut",
    "ShedLoad",
    "SkipDependency",
    "Step",
    "TimelineResult",
    "format_timeline_results",
    "gather_facts",
    "replay",
    "run_timeline_file",
    "shop_actions",
    "write_summary",
]
