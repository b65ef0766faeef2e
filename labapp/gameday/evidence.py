"""Checking evidence: does a query, a trace or a log line really show the fault?

- A PromQL expression is run over the baseline and over the fault window; it
  shows the fault when its typical value during the fault rises well above the
  range it kept before.
- A trace id and a log line must come from this game day's own records, start
  inside the fault window and show the fault's signature: the slow span, the
  failed call, the culprit's request, the broken route.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

import pandas as pd

from ..tracing import SpanRecord
from .play import Window
from .scenarios import Incident, client_address

__all__ = ["Change", "Verdict", "changes", "check_log_line", "check_trace", "compare", "first_change"]

NOT_SHOWN = "the service or client at fault"  # the reason names no answer
RISE = 1.5  # "well outside": half as much again as the baseline's 90th percentile


class Queryable(Protocol):
    def query_range(self, promql: str, start: float, end: float | None = None, step_s: float = 1.0) -> pd.DataFrame: ...


@dataclass(frozen=True)
class Verdict:
    """One checked piece of evidence: did it hold, and why (or why not), in a sentence."""

    ok: bool
    explanation: str


@dataclass(frozen=True)
class Change:
    """What a query did: its median before the fault, its median during it, and whether that is a change."""

    shows: bool
    baseline: float
    during: float
    series: str
    explanation: str
    labels: dict[str, str] = field(default_factory=dict)


def _typical(values: pd.Series) -> tuple[float, float, float]:
    """(10th percentile, median, 90th percentile), with no samples counting as 0 (a rate not yet born)."""
    clean = values.dropna()
    if clean.empty:
        return 0.0, 0.0, 0.0
    return float(clean.quantile(0.1)), float(clean.median()), float(clean.quantile(0.9))


def _is_change(before: tuple[float, float, float], during_median: float) -> bool:
    # Rises only: a decoy that came and went before the fault makes its own signal fall,
    # and a fall can always be asked as a rise (an error ratio instead of a success ratio).
    high = before[2]
    return during_median > max(high * RISE, high + 1e-6)


def changes(source: Queryable, query: str, baseline: Window, during: Window) -> list[Change]:
    """Run ``query`` over both windows: one :class:`Change` per series, the biggest rise first."""
    frame = source.query_range(query, baseline.start, during.end, step_s=1.0)
    if frame.empty:
        return []
    names = [c for c in frame.columns if c not in ("time", "value")]
    groups = frame.groupby(names, dropna=False) if names else [((), frame)]
    out = []
    for key, rows in groups:
        labels = dict(zip(names, key if isinstance(key, tuple) else (key,), strict=True))
        before = _typical(rows.loc[rows["time"].between(baseline.start, baseline.end), "value"])
        during_median = _typical(rows.loc[rows["time"].between(during.start, during.end), "value"])[1]
        name = ", ".join(f"{k}={v}" for k, v in labels.items())
        ratio = during_median / before[1] if before[1] else math.inf if during_median else 1.0
        out.append(
            Change(
                _is_change(before, during_median),
                before[1],
                during_median,
                name,
                f"`{query}`{' {' + name + '}' if name else ''}: median {before[1]:.3g} before the fault, "
                f"{during_median:.3g} during it ({_times(ratio)})",
                labels,
            )
        )
    return sorted(out, key=lambda c: (c.shows, math.log((c.during + 1e-9) / (c.baseline + 1e-9))), reverse=True)


def _times(ratio: float) -> str:
    return "×" + format(ratio, ".2g") if math.isfinite(ratio) else "from nothing"


def compare(source: Queryable, query: str, baseline: Window, during: Window) -> Change:
    """Run ``query`` over both windows; the series that rose most decides."""
    found = changes(source, query, baseline, during)
    if not found:
        return Change(False, math.nan, math.nan, "", f"`{query}` returned no data in either window")
    return found[0]


def first_change(source: Queryable, query: str, baseline: Window, start: float, end: float) -> float | None:
    """Seconds after ``start`` until ``query`` first left its baseline range, or None if it never did."""
    frame = source.query_range(query, baseline.start, end, step_s=1.0)
    if frame.empty:
        return None
    before = _typical(frame.loc[frame["time"].between(baseline.start, baseline.end), "value"])
    after = frame.loc[frame["time"] >= start].groupby("time")["value"].max()
    for t, value in after.items():
        if not math.isnan(value) and _is_change(before, float(value)):
            return float(t) - start
    return None


# -- traces and logs ---------------------------------------------------------------------


def _culprit(incident: Incident) -> str | None:
    if incident.truth.clients:
        return incident.truth.clients[0]
    crawler = incident.fault.get("crawler")
    return client_address(int(crawler["client"])) if crawler else None


def check_trace(spans: Sequence[SpanRecord], trace_id: str, incident: Incident, window: Window) -> Verdict:
    """Whether trace ``trace_id`` shows the fault, among ``spans`` (the lab's records)."""
    trace_id = trace_id.strip().lower()
    mine = [s for s in spans if s.trace_id == trace_id]
    if not mine:
        return Verdict(False, f"no trace {trace_id or '(empty)'} in this game day's spans: copy an id from lab.tracing")
    start = min(s.start for s in mine)
    if not window.start - 5 <= start <= window.end + 1:
        return Verdict(False, f"trace {trace_id[:8]}… began outside the fault window: it shows a quiet moment")
    found = _span_signature(mine, incident)
    if found:
        return Verdict(True, f"trace {trace_id[:8]}… shows it: {found}")
    return Verdict(False, f"trace {trace_id[:8]}… is from the fault window but shows nothing wrong with {NOT_SHOWN}")


def _span_signature(spans: Sequence[SpanRecord], incident: Incident) -> str:
    truth, fault = incident.truth, incident.fault
    for span in spans:
        attrs = span.attributes
        if truth.mechanism == "latency" and span.service == truth.service and span.kind == "SERVER":
            if span.duration_ms >= 800 * float(fault["latency_s"]):
                return f"{span.service} took {span.duration_ms:.0f} ms on {span.name}"
        elif truth.mechanism in ("errors", "flapping") and truth.service in (span.service, attrs.get("peer.service")):
            if span.error or int(attrs.get("http.response.status_code", 0)) >= 500:
                return f"{span.name} in {span.service} failed ({span.status_message or 'HTTP 5xx'})"
        elif truth.mechanism == "bad_deploy" and span.service == "shop" and span.kind == "SERVER":
            if attrs.get("http.route") == truth.routes[0] and int(attrs.get("http.response.status_code", 0)) >= 500:
                return f"the shop answered 500 on {truth.routes[0]}"
        elif span.service == "shop" and span.kind == "SERVER" and attrs.get("client.address") == _culprit(incident):
            return f"a request from {attrs['client.address']} to {attrs.get('url.path')}"
    return ""


def check_log_line(lines: Sequence[str], line: str | dict[str, Any], incident: Incident, window: Window) -> Verdict:
    """Whether ``line`` (a JSON line from the lab's logs, or its dict) shows the fault."""
    text = json.dumps(line) if isinstance(line, dict) else str(line).strip()
    try:
        record = json.loads(text)
    except json.JSONDecodeError:
        return Verdict(False, "the log line is not JSON: copy one whole line from logs.lines()")
    if not any(json.loads(kept) == record for kept in lines if kept.startswith("{")):
        return Verdict(False, "that line is not in this game day's logs: copy it from logs.lines(), do not write it")
    at = datetime.fromisoformat(record.get("timestamp", "1970-01-01T00:00:00+00:00")).timestamp()
    if not window.start - 5 <= at <= window.end + 1:
        return Verdict(False, "the line was logged outside the fault window: it shows a quiet moment")
    found = _log_signature(record, incident)
    if found:
        return Verdict(True, f"the log line shows it: {found}")
    return Verdict(False, f"the line is from the fault window but shows nothing wrong with {NOT_SHOWN}")


def _log_signature(record: dict[str, Any], incident: Incident) -> str:
    truth, fault = incident.truth, incident.fault
    service, status, latency_ms = record.get("service"), int(record.get("status") or 0), record.get("latency_ms")
    if truth.mechanism == "latency" and service == truth.service and latency_ms is not None:
        if float(latency_ms) >= 800 * float(fault["latency_s"]):
            return f"{service} took {latency_ms} ms"
    elif truth.mechanism in ("errors", "flapping") and service == truth.service and status >= 500:
        return f"{service} answered {status}"
    elif truth.mechanism == "bad_deploy" and record.get("route") == truth.routes[0]:
        if record.get("release") or (service == "shop" and status >= 500):
            return f"the shop failed on {truth.routes[0]} ({record.get('error') or status})"
    elif service == "shop" and record.get("client") == _culprit(incident):
        return f"a request from {record['client']} to {record.get('path')}"
    return ""
