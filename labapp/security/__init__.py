"""Continuous API security scanning (notebook 11): probes, fuzzing, static analysis, scored against a ledger."""

from __future__ import annotations

from .findings import SEVERITIES, Finding, Score, findings_frame, score
from .fuzz import FuzzCase, fuzz
from .ledger import LEDGER_PATH, Flaw, load_ledger
from .probes import PROBES, ScanTarget, run_probes
from .scan import FindingsCollector, ScanReport, scan
from .static import StaticFinding, bandit_scan

__all__ = [
    "Finding",
    "FindingsCollector",
    "Flaw",
    "FuzzCase",
    "LEDGER_PATH",
    "PROBES",
    "SEVERITIES",
    "ScanReport",
    "ScanTarget",
    "Score",
    "StaticFinding",
    "bandit_scan",
    "findings_frame",
    "fuzz",
    "load_ledger",
    "run_probes",
    "scan",
    "score",
]
