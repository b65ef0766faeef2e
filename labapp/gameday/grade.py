"""A learner's diagnosis, and its grade: each part right or wrong, with the reason."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from .scenarios import MECHANISMS, SERVICES

__all__ = ["Diagnosis", "Grade", "Part"]

START_TOLERANCE_S = 5.0  # a scrape interval plus a rate window: what a dashboard can tell apart


@dataclass(frozen=True)
class Diagnosis:
    """What you found. ``started_s``: seconds after the game day began (``run.started``).

    ``routes`` are route templates (``/products/{product_id}``); ``clients`` are
    addresses (``127.0.0.7``). Evidence: a PromQL expression that shows the fault,
    and a trace id or a log line (a JSON line from the lab's logs) that shows it too.
    """

    service: str
    mechanism: str
    started_s: float
    routes: Sequence[str] = ()
    clients: Sequence[str] = ()
    promql: str = ""
    trace_id: str = ""
    log_line: str | dict[str, Any] = ""

    def __post_init__(self) -> None:
        if self.service not in SERVICES:
            raise ValueError(f"service is one of {list(SERVICES)}, got {self.service!r}")
        if self.mechanism not in MECHANISMS:
            options = "; ".join(f"{name!r}: {what}" for name, what in MECHANISMS.items())
            raise ValueError(f"mechanism {self.mechanism!r} is not one the game day knows. Pick one of: {options}")
        if isinstance(self.routes, str) or isinstance(self.clients, str):
            raise TypeError("routes and clients are lists, e.g. routes=['/items'] or clients=['127.0.0.9']")
        if not isinstance(self.started_s, (int, float)) or self.started_s < 0:
            raise ValueError(f"started_s is seconds after the game day began (>= 0), got {self.started_s!r}")


@dataclass(frozen=True)
class Part:
    """One graded part of a diagnosis."""

    name: str
    ok: bool
    explanation: str


@dataclass(frozen=True)
class Grade:
    """Every part of a diagnosis, graded. ``passed`` when all of them are right."""

    scenario: str
    parts: tuple[Part, ...] = field(default_factory=tuple)

    @property
    def passed(self) -> bool:
        return all(p.ok for p in self.parts)

    @property
    def score(self) -> str:
        return f"{sum(p.ok for p in self.parts)}/{len(self.parts)}"

    def __str__(self) -> str:
        lines = [f"Diagnosis of {self.scenario!r}: {self.score} right"]
        lines += [f"  {'✓' if p.ok else '✗'} {p.name}: {p.explanation}" for p in self.parts]
        return "\n".join(lines)

    def _repr_markdown_(self) -> str:
        rows = "\n".join(f"| {'✓' if p.ok else '✗'} | {p.name} | {p.explanation} |" for p in self.parts)
        return f"**Diagnosis: {self.score} right**\n\n| | part | why |\n|---|---|---|\n{rows}\n"

    def __repr__(self) -> str:
        return str(self)
