"""One scan of a running shop: the lab's probes, then schemathesis; the report as records, a score and a metric."""

from __future__ import annotations

import time
from collections.abc import Collection
from dataclasses import dataclass, field

import pandas as pd
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from ..runner import quiet_server_errors
from .findings import SEVERITIES, Finding, Score, findings_frame, score
from .fuzz import FuzzCase, fuzz
from .probes import ScanTarget, run_probes

__all__ = ["FindingsCollector", "ScanReport", "scan"]


@dataclass
class ScanReport:
    """What one scan found in a shop with ``planted`` flaws, and what it sent."""

    findings: list[Finding]
    planted: tuple[str, ...]
    fuzzed: list[FuzzCase] = field(default_factory=list)
    seconds: float = 0.0

    def frame(self) -> pd.DataFrame:
        """One row per finding, worst first."""
        return findings_frame(self.findings)

    def counts(self) -> dict[str, int]:
        """Findings per severity, every severity present (zeros included)."""
        return {severity: sum(f.severity == severity for f in self.findings) for severity in SEVERITIES}

    def score(self) -> Score:
        """Recall and precision against the planted flaws."""
        return score(self.findings, self.planted)

    @property
    def requests_fuzzed(self) -> int:
        return sum(case.sent for case in self.fuzzed)

    def __str__(self) -> str:
        counts = ", ".join(f"{n} {severity}" for severity, n in self.counts().items())
        return (
            f"{len(self.findings)} findings ({counts}) in {self.seconds:.1f} s; "
            f"{self.requests_fuzzed} fuzzing requests over {len(self.fuzzed)} operations"
        )


def scan(
    url: str, app: object, *, planted: Collection[str] = (), fuzz_examples: int = 15, fuzz_skip: Collection[str] = ()
) -> ScanReport:
    """Probe the shop at ``url`` (its ``app`` object gives the outside view), then fuzz it.

    ``planted`` names the flaws the shop was built with, for the score.
    ``fuzz_examples=0`` skips fuzzing.
    """
    if isinstance(fuzz_examples, bool) or not isinstance(fuzz_examples, int) or fuzz_examples < 0:
        raise ValueError(f"fuzz_examples is a number of inputs per operation (0 = no fuzzing), got {fuzz_examples!r}")
    started = time.monotonic()
    target = ScanTarget(url, app)  # type: ignore[arg-type]
    # A shop with error-traces re-raises after answering; uvicorn would print each traceback.
    with quiet_server_errors():
        try:
            findings = run_probes(target)
        finally:
            target.close()
        fuzzed: list[FuzzCase] = []
        if fuzz_examples:
            fuzz_findings, fuzzed = fuzz(url, examples=fuzz_examples, skip=fuzz_skip)
            findings += fuzz_findings
    return ScanReport(findings, tuple(planted), fuzzed, time.monotonic() - started)


class FindingsCollector(Collector):
    """``security_findings{severity}``: the latest scan's findings, for an alert rule to page on."""

    def __init__(self) -> None:
        self.report: ScanReport | None = None

    def collect(self) -> list[GaugeMetricFamily]:
        if self.report is None:
            return []
        family = GaugeMetricFamily("security_findings", "Findings of the latest security scan", labels=["severity"])
        for severity, n in self.report.counts().items():
            family.add_metric([severity], n)
        return [family]
