"""A post-incident summary written from the lab's own records, every line with its evidence.

The shape follows the SRE book's postmortem and PagerDuty's template: overview,
impact, a timeline, contributing factors, and action items (left for people
to write: a machine can list what happened, not decide what to change).

Each timeline line cites where it comes from: a PromQL expression and the value
it gave, an alert notification, a responder's audit entry, a log line, a trace
id. A reader can re-run the query or open the trace, and argue with the line.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pandas as pd

from ..faults import FaultWindow
from ..tracing.spans import SpanRecord
from .responder import AuditEntry

if TYPE_CHECKING:
    from ..lab import Lab

__all__ = [
    "ERROR_RATIO",
    "Evidence",
    "IncidentFacts",
    "PostIncidentSummary",
    "TimelineLine",
    "gather_facts",
    "write_summary",
]


@dataclass(frozen=True)
class Evidence:
    """Where a line comes from: ``kind`` (promql, alert, audit, fault, log, trace) and what to look up."""

    kind: str
    ref: str
    value: str = ""

    def __str__(self) -> str:
        value = f" = {self.value}" if self.value else ""
        return f"{self.kind}: `{self.ref}`{value}"


@dataclass(frozen=True)
class TimelineLine:
    at: float
    what: str
    evidence: Evidence


@dataclass
class IncidentFacts:
    """What the lab recorded about one stretch of time; every field is optional but the window.

    ``error_ratio`` is a ``query_range`` frame (``time``, ``value``) whose
    ``attrs["query"]`` is the PromQL that made it; ``requests`` and ``failed``
    are (query, value) pairs over the whole window.
    """

    start: float
    end: float
    slo_error_ratio: float = 0.05
    error_ratio: pd.DataFrame | None = None
    ratio_name: str = "error ratio"  # what the ratio measures: 5xx, or slow pages, ...
    requests: tuple[str, float] | None = None
    failed: tuple[str, float] | None = None
    faults: Sequence[FaultWindow] = ()
    notifications: pd.DataFrame | None = None
    audit: Sequence[AuditEntry] = ()
    logs: pd.DataFrame | None = None
    spans: Sequence[SpanRecord] = ()
    refused: tuple[str, float] | None = None


@dataclass
class PostIncidentSummary:
    title: str
    overview: str
    impact: list[str]
    timeline: list[TimelineLine]
    factors: list[str]
    action_items: list[str] = field(default_factory=list)

    def to_markdown(self) -> str:
        def when(t: float) -> str:
            return datetime.fromtimestamp(t, UTC).strftime("%H:%M:%S")

        lines = [f"## Post-incident summary: {self.title}", "", "### Overview", "", self.overview, "", "### Impact", ""]
        lines += [f"- {item}" for item in self.impact]
        lines += ["", "### Timeline (UTC)", "", "| time | what happened | evidence |", "|---|---|---|"]
        lines += [f"| {when(e.at)} | {e.what} | {_cell(str(e.evidence))} |" for e in self.timeline]
        lines += ["", "### Contributing factors", ""] + [f"- {f}" for f in self.factors]
        lines += ["", "### Action items", ""]
        lines += [f"- [ ] {a}" for a in self.action_items] or [
            "- [ ] *(yours to write: owner, deadline, how we will know)*"
        ]
        return "\n".join(lines) + "\n"

    def _repr_markdown_(self) -> str:  # a notebook shows it rendered
        return self.to_markdown()


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _over_threshold(frame: pd.DataFrame, threshold: float) -> list[tuple[float, float, float]]:
    """(start, end, worst) of each run of steps where the ratio was over ``threshold``."""
    runs: list[tuple[float, float, float]] = []
    series = frame.dropna(subset=["value"]).sort_values("time")
    start = worst = None
    last = 0.0
    for t, v in zip(series["time"], series["value"], strict=True):
        if v > threshold:
            start = t if start is None else start
            worst = v if worst is None else max(worst, v)
        elif start is not None and worst is not None:
            runs.append((start, t, worst))
            start = worst = None
        last = t
    if start is not None and worst is not None:
        runs.append((start, last, worst))
    return runs


def _timeline(facts: IncidentFacts) -> list[TimelineLine]:
    lines: list[TimelineLine] = []
    for window in facts.faults:
        ref = f"lab.inject({window.service!r}, {window.label})"
        lines.append(TimelineLine(window.start, f"fault on: {window.service} {window.label}", Evidence("fault", ref)))
        if window.end is not None and window.end <= facts.end:
            lines.append(TimelineLine(window.end, f"fault off: {window.service}", Evidence("fault", "lab.heal()")))
    if facts.error_ratio is not None and not facts.error_ratio.empty:
        query = facts.error_ratio.attrs.get("query", "error ratio")
        for start, end, worst in _over_threshold(facts.error_ratio, facts.slo_error_ratio):
            lines.append(
                TimelineLine(
                    start,
                    f"{facts.ratio_name} over {facts.slo_error_ratio:.0%}",
                    Evidence("promql", query, f"{worst:.1%} at worst"),
                )
            )
            lines.append(
                TimelineLine(
                    end, f"{facts.ratio_name} back under {facts.slo_error_ratio:.0%}", Evidence("promql", query)
                )
            )
    if facts.notifications is not None:
        for row in facts.notifications.itertuples():
            ref = f"{row.alertname} {row.status} -> {row.receiver}"
            lines.append(
                TimelineLine(
                    float(row.time), f"alert {row.status}: {row.alertname}", Evidence("alert", ref, str(row.summary))
                )
            )
    for entry in facts.audit:
        lines.append(
            TimelineLine(
                entry.at, f"responder {entry.outcome}: {entry.action} {entry.target}", Evidence("audit", entry.reason)
            )
        )
    if facts.logs is not None and not facts.logs.empty:
        warnings = facts.logs[facts.logs["level"].isin(["warning", "error", "critical"])]
        if not warnings.empty:
            first = warnings.sort_values("t").iloc[0]
            lines.append(
                TimelineLine(float(first["t"]), "first warning in the logs", Evidence("log", str(first["message"])))
            )
    slow = max(
        (s for s in facts.spans if s.kind == "SERVER" and s.parent_id is None and facts.start <= s.start <= facts.end),
        key=lambda s: s.end - s.start,
        default=None,
    )
    if slow is not None:
        took = f"{(slow.end - slow.start) * 1000:.0f} ms"
        lines.append(
            TimelineLine(slow.start, f"slowest request traced ({slow.name})", Evidence("trace", slow.trace_id, took))
        )
    return sorted(lines, key=lambda line: line.at)


def _impact(facts: IncidentFacts) -> list[str]:
    items: list[str] = []
    if facts.error_ratio is not None:  # empty: no 5xx series in the window, never over
        runs = _over_threshold(facts.error_ratio, facts.slo_error_ratio) if not facts.error_ratio.empty else []
        over = sum(end - start for start, end, _ in runs)
        items.append(f"{over:.0f} s with the {facts.ratio_name} over the {facts.slo_error_ratio:.0%} objective")
    if facts.failed is not None and facts.requests is not None:
        (fq, failed), (rq, total) = facts.failed, facts.requests
        share = failed / total if total else math.nan
        items.append(f"{failed:.0f} of {total:.0f} requests failed ({share:.1%}): `{fq}` over `{rq}`")
    blocked = sorted({e.target for e in facts.audit if e.action == "block" and e.outcome == "applied"})
    if blocked:
        items.append(f"clients blocked: {', '.join(blocked)}")
    if facts.refused is not None:
        query, refused = facts.refused
        items.append(f"{refused:.0f} requests refused by the incident switches: `{query}`")
    return items or ["nothing measured: give the summary an error ratio, request counts or an audit"]


def _factors(facts: IncidentFacts) -> list[str]:
    factors = [f"{w.service}: {w.label} (injected)" for w in facts.faults]
    refused = [e for e in facts.audit if e.outcome == "refused"]
    if refused:
        factors.append(
            f"the responder refused {len(refused)} action(s): " + "; ".join(sorted({e.reason for e in refused}))
        )
    return factors or ["none recorded: what made this worse is for the people in the review to say"]


def write_summary(title: str, facts: IncidentFacts, action_items: Iterable[str] = ()) -> PostIncidentSummary:
    """Write the summary from ``facts``. Action items stay empty unless given: they are for people to decide."""
    if facts.end <= facts.start:
        raise ValueError(f"the incident must end after it starts (start {facts.start}, end {facts.end})")
    minutes = (facts.end - facts.start) / 60
    alerts = sorted(set(facts.notifications["alertname"])) if facts.notifications is not None else []
    start, end = (datetime.fromtimestamp(t, UTC) for t in (facts.start, facts.end))
    overview = (
        f"From {start:%H:%M:%S} to {end:%H:%M:%S} UTC ({minutes:.1f} min). "
        f"Alerts: {', '.join(alerts) or 'none'}. Responder decisions: {len(facts.audit)}. "
        "Written by the lab from its own records; every line cites its source."
    )
    return PostIncidentSummary(title, overview, _impact(facts), _timeline(facts), _factors(facts), list(action_items))


ERROR_RATIO = 'sum(rate(shop_http_requests_total{status=~"5.."}[10s])) / sum(rate(shop_http_requests_total[10s]))'


def gather_facts(
    lab: Lab,
    since: float,
    until: float | None = None,
    *,
    slo_error_ratio: float = 0.05,
    ratio: tuple[str, str] = ("error ratio", ERROR_RATIO),
) -> IncidentFacts:
    """Collect what ``lab`` recorded between ``since`` and ``until`` (default now): its watcher's
    PromQL, the alerts its receiver got, its responder's audit, its captured logs and traces.

    ``ratio`` is the (name, PromQL) of the share of bad requests the objective is about:
    5xx answers by default, or, say, ("slow pages", <a query over the latency histogram>)."""
    from ..alerts.stack import AlertingStack
    from ..logs import LogCapture
    from .live import LiveResponder

    until = time.time() if until is None else until
    if until <= since:
        raise ValueError(f"until ({until}) must be after since ({since}); both are Unix seconds (time.time())")
    owned = lab.owned
    watcher = next((t for t in owned if hasattr(t, "query_range")), None)
    name, query = ratio
    facts = IncidentFacts(since, until, slo_error_ratio, ratio_name=name, faults=lab.fault_windows(since))
    if watcher is not None:
        facts.error_ratio = watcher.query_range(query, since, until, step_s=1.0)
        span = f"{max(1, round(until - since))}s"
        facts.requests = _instant(watcher, f"sum(increase(shop_http_requests_total[{span}]))", until)
        facts.failed = _instant(watcher, f'sum(increase(shop_http_requests_total{{status=~"5.."}}[{span}]))', until)
        facts.refused = _instant(watcher, f"sum(increase(shop_requests_refused_total[{span}]))", until)
    stack = next((t for t in owned if isinstance(t, AlertingStack)), None)
    if stack is not None:
        notes = stack.receiver.to_frame()
        facts.notifications = notes[(notes["time"] >= since) & (notes["time"] <= until)]
    live = next((t for t in owned if isinstance(t, LiveResponder)), None)
    if live is not None:
        facts.audit = [e for e in live.responder.audit if since <= e.at <= until]
    logs = next((t for t in owned if isinstance(t, LogCapture)), None)
    if logs is not None:
        frame = logs.frame()
        facts.logs = frame[(frame["t"] >= since) & (frame["t"] <= until)] if not frame.empty else frame
    if lab.tracing is not None:
        facts.spans = [s for s in lab.tracing.records() if since <= s.start <= until]
    return facts


def _instant(watcher: Any, query: str, at: float) -> tuple[str, float]:
    """A sum over the window; no series at all (no 5xx ever answered) is a sum of zero."""
    frame = watcher.query(query, at)
    return (query, float(frame["value"].sum()) if not frame.empty else 0.0)
