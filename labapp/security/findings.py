"""Findings as records, and the scanner's score against the ledger of planted flaws."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import asdict, dataclass

import pandas as pd

__all__ = ["SEVERITIES", "Finding", "Score", "findings_frame", "score"]

SEVERITIES = ("high", "medium", "low")


@dataclass(frozen=True)
class Finding:
    """What a probe saw: the check, how bad, the OWASP item, the evidence and the fix.

    ``flaw`` is the ledger id the finding points at (None when the check has no
    planted counterpart: in the hardened shop every finding is news).
    """

    check: str
    severity: str
    owasp: str
    title: str
    request: str
    response: str
    fix: str
    flaw: str | None = None

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            raise ValueError(f"severity must be one of {SEVERITIES}, got {self.severity!r}")


def findings_frame(findings: Iterable[Finding]) -> pd.DataFrame:
    """One row per finding, worst first."""
    columns = [field for field in Finding.__dataclass_fields__]
    frame = pd.DataFrame([asdict(f) for f in findings], columns=columns)
    order = {severity: i for i, severity in enumerate(SEVERITIES)}
    return frame.sort_values("severity", key=lambda s: s.map(order), kind="stable").reset_index(drop=True)


@dataclass(frozen=True)
class Score:
    """Recall: planted flaws found / planted. Precision: findings that point at a planted flaw / findings."""

    planted: tuple[str, ...]
    found: tuple[str, ...]
    missed: tuple[str, ...]
    unexpected: tuple[Finding, ...]
    findings: int

    @property
    def recall(self) -> float:
        return len(self.found) / len(self.planted) if self.planted else 1.0

    @property
    def precision(self) -> float:
        """1.0 with no findings at all: nothing reported, nothing wrong."""
        return (self.findings - len(self.unexpected)) / self.findings if self.findings else 1.0

    def __str__(self) -> str:
        if not self.planted:
            return f"no flaws planted; {self.findings} findings (each one is news)"
        text = (
            f"recall {self.recall:.0%} ({len(self.found)} of {len(self.planted)} planted flaws found), "
            f"precision {self.precision:.0%} ({self.findings - len(self.unexpected)} of {self.findings} findings "
            "point at a planted flaw)"
        )
        if self.missed:
            text += f"; missed: {', '.join(self.missed)}"
        return text


def score(findings: Collection[Finding], planted: Collection[str]) -> Score:
    """Score ``findings`` against the flaws that were ``planted`` (ledger ids)."""
    planted_set = set(planted)
    hit = {f.flaw for f in findings if f.flaw in planted_set}
    ordered = tuple(flaw for flaw in planted if flaw in planted_set)
    return Score(
        planted=ordered,
        found=tuple(flaw for flaw in ordered if flaw in hit),
        missed=tuple(flaw for flaw in ordered if flaw not in hit),
        unexpected=tuple(f for f in findings if f.flaw not in planted_set),
        findings=len(findings),
    )
