"""The scan as a CI step: ``python -m labapp scan`` scans a shop and bandit-scans labapp.

Exit 1 on what must not ship."""

from __future__ import annotations

from collections.abc import Sequence

from ..config import LabConfig
from ..shop.flaws import FLAWS, VULNERABLE
from .findings import SEVERITIES
from .static import bandit_scan

__all__ = ["parse_flaws", "run_scan"]


def parse_flaws(text: str) -> tuple[str, ...]:
    """``none`` (the hardened shop), ``all`` (every planted flaw) or names separated by commas."""
    if text == "none":
        return ()
    if text == "all":
        return VULNERABLE
    names = tuple(name.strip() for name in text.split(",") if name.strip())
    unknown = sorted(set(names) - set(FLAWS))
    if unknown:
        raise ValueError(f"unknown flaws {unknown}; use none, all, or names from {sorted(FLAWS)}")
    return names


def run_scan(flaws: Sequence[str], *, fail_on: str, static: bool, fuzz_examples: int) -> int:
    """Scan a shop with ``flaws`` planted; 1 if a finding is ``fail_on`` or worse, or bandit finds the unexplained."""
    from ..lab import Lab

    failing = SEVERITIES[: SEVERITIES.index(fail_on) + 1] if fail_on != "never" else ()
    with Lab(LabConfig(flaws=tuple(flaws))) as lab:
        report = lab.scan(fuzz_examples=fuzz_examples)
    print(f"shop with flaws: {', '.join(flaws) if flaws else 'none (hardened)'}")
    for f in report.findings:
        print(f"  [{f.severity:6}] {f.check:20} {f.title}\n           {f.request}  ->  {f.response[:100]}")
    print(f"{report}\n{report.score()}")
    blocking = [f for f in report.findings if f.severity in failing]
    unexplained = []
    if static:
        results = bandit_scan()
        unexplained = [r for r in results if r.verdict == "unexplained"]
        kinds = {verdict: sum(r.verdict == verdict for r in results) for verdict in ("planted", "accepted")}
        print(
            f"bandit: {len(results)} results, {kinds['planted']} planted, {kinds['accepted']} accepted with reasons, "
            f"{len(unexplained)} unexplained"
        )
        for r in unexplained:
            print(f"  {r.test} {r.path}:{r.line} {r.text}")
    if blocking or unexplained:
        print(f"FAIL: {len(blocking)} findings at or above {fail_on}, {len(unexplained)} unexplained bandit results")
        return 1
    print("PASS")
    return 0
