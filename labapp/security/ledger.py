"""The ledger of planted flaws (data/security/ledger.yml): what the scanner is scored against."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict

__all__ = ["LEDGER_PATH", "Flaw", "load_ledger"]

LEDGER_PATH = Path(__file__).resolve().parents[2] / "data" / "security" / "ledger.yml"


class Flaw(BaseModel):
    """One planted flaw, as the ledger describes it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    title: str
    owasp: str
    severity: str
    where: str
    fix: str
    operations: tuple[str, ...] = ()
    bandit: str | None = None


@cache
def load_ledger(path: Path = LEDGER_PATH) -> dict[str, Flaw]:
    """The ledger's flaws by id, in the ledger's order."""
    entries = yaml.safe_load(path.read_text())["flaws"]
    return {entry["id"]: Flaw(**entry) for entry in entries}
