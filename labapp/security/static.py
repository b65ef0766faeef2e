"""Static scanning with bandit: read the code, not the running shop.

bandit walks Python's syntax tree and flags patterns (B608: SQL built from
strings; B113: an HTTP call without a timeout; ...). Every finding is then
sorted: planted (the ledger's ``bandit`` entries), accepted with a written
reason (data/security/bandit_accepted.yml), or unexplained, which fails CI.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml

from .ledger import LEDGER_PATH, load_ledger

__all__ = ["ACCEPTED_PATH", "StaticFinding", "bandit_scan"]

ACCEPTED_PATH = LEDGER_PATH.parent / "bandit_accepted.yml"
_ROOT = LEDGER_PATH.parents[2]


@dataclass(frozen=True)
class StaticFinding:
    """One bandit result, and why it is there: ``planted``, ``accepted`` or ``unexplained``."""

    test: str
    severity: str
    path: str
    line: int
    text: str
    verdict: str
    reason: str


def bandit_scan(paths: tuple[str, ...] = ("labapp",)) -> list[StaticFinding]:
    """Run bandit over ``paths`` (relative to the repository) and sort every result."""
    command = [sys.executable, "-m", "bandit", "-r", *paths, "-f", "json", "-q"]
    done = subprocess.run(command, cwd=_ROOT, capture_output=True, text=True, timeout=120, check=False)
    if done.returncode not in (0, 1):  # 1 = findings; anything else = bandit itself failed
        raise RuntimeError(f"bandit failed ({done.returncode}): {done.stderr.strip()[:400]}")
    results = json.loads(done.stdout)["results"]
    accepted = yaml.safe_load(ACCEPTED_PATH.read_text())["accepted"]
    planted = {flaw.bandit: flaw for flaw in load_ledger().values() if flaw.bandit}
    planted_files = {flaw.bandit: flaw.where.split(" ")[0] for flaw in planted.values() if flaw.bandit}
    out = []
    for result in results:
        test, path = result["test_id"], str(Path(result["filename"]).as_posix())
        verdict, reason = "unexplained", "no reason recorded: fix it, or accept it in bandit_accepted.yml with one"
        if test in planted and path == planted_files[test]:
            verdict, reason = "planted", f"ledger flaw {planted[test].id}"
        else:
            for entry in accepted:
                if entry["test"] == test and any(p == "*" or path.startswith(p) for p in entry["paths"]):
                    verdict, reason = "accepted", entry["reason"]
                    break
        severity = result["issue_severity"].lower()
        out.append(StaticFinding(test, severity, path, result["line_number"], result["issue_text"], verdict, reason))
    return out
