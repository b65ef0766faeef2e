"""Finished spans as plain records: what a trace viewer shows, in a form pandas reads."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import StatusCode

__all__ = [
    "SpanRecord",
    "incomplete_traces",
    "parse_traceparent",
    "spans_frame",
    "to_records",
    "trace_ids",
    "trace_tree",
]


@dataclass(frozen=True)
class SpanRecord:
    """One finished span. Ids are lowercase hex, as they appear in ``traceparent`` and in logs."""

    trace_id: str
    span_id: str
    parent_id: str | None  # None: the root of its trace
    service: str
    name: str
    kind: str  # SERVER, CLIENT or INTERNAL
    start: float  # Unix seconds
    end: float
    status: str  # OK, ERROR or UNSET
    status_message: str = ""
    parent_sampled: bool = True  # False: the caller did not record its span (sampling), so it never arrives
    attributes: dict[str, Any] = field(default_factory=dict)
    events: tuple[tuple[str, float, dict[str, Any]], ...] = ()

    @property
    def duration_ms(self) -> float:
        return (self.end - self.start) * 1000.0

    @property
    def error(self) -> bool:
        return self.status == "ERROR"


def to_records(spans: Iterable[ReadableSpan]) -> list[SpanRecord]:
    """Convert SDK spans (from an exporter) into :class:`SpanRecord`, oldest start first."""
    records = []
    for span in spans:
        context = span.context
        if context is None or span.start_time is None or span.end_time is None:
            continue
        records.append(
            SpanRecord(
                trace_id=format(context.trace_id, "032x"),
                span_id=format(context.span_id, "016x"),
                parent_id=format(span.parent.span_id, "016x") if span.parent is not None else None,
                service=str(span.resource.attributes.get("service.name", "?")),
                name=span.name,
                kind=span.kind.name,
                start=span.start_time / 1e9,
                end=span.end_time / 1e9,
                status=span.status.status_code.name if span.status.status_code != StatusCode.UNSET else "UNSET",
                status_message=span.status.description or "",
                parent_sampled=span.parent is None or span.parent.trace_flags.sampled,
                attributes=dict(span.attributes or {}),
                events=tuple((e.name, e.timestamp / 1e9, dict(e.attributes or {})) for e in span.events),
            )
        )
    return sorted(records, key=lambda r: r.start)


def trace_ids(records: Sequence[SpanRecord]) -> list[str]:
    """The trace ids in ``records``, in the order their first span started."""
    return list(dict.fromkeys(r.trace_id for r in records))


def incomplete_traces(records: Sequence[SpanRecord]) -> set[str]:
    """Trace ids whose spans are not all in yet.

    A span reaches the exporter when it ends, and a server ends its span just
    after sending the answer: the caller can read spans before the server's
    is there. A trace is complete when every parent is present and every
    CLIENT span that got an answer has its SERVER child.
    """
    ids = {r.span_id for r in records}
    has_child = {r.parent_id for r in records}
    waiting = set()
    for r in records:
        orphan = r.parent_id is not None and r.parent_sampled and r.parent_id not in ids
        unanswered = r.kind == "CLIENT" and "http.response.status_code" in r.attributes and r.span_id not in has_child
        if orphan or unanswered:
            waiting.add(r.trace_id)
    return waiting


def trace_tree(records: Sequence[SpanRecord], trace_id: str | None = None) -> list[tuple[int, SpanRecord]]:
    """The spans of one trace as (depth, span), parents before children, siblings by start.

    ``trace_id`` defaults to the newest trace. A span whose parent was not
    recorded (an orphan: the parent was never sampled, or is still running)
    is drawn as a root at depth 0.
    """
    if not records:
        raise ValueError("no spans recorded yet: send a request with tracing on first")
    if trace_id is None:
        trace_id = max(records, key=lambda r: r.start).trace_id
    spans = [r for r in records if r.trace_id == trace_id]
    if not spans:
        raise ValueError(f"no spans of trace {trace_id!r}; trace_ids(records) lists the recorded ones")
    ids = {s.span_id for s in spans}
    children: dict[str | None, list[SpanRecord]] = {}
    for s in spans:
        children.setdefault(s.parent_id if s.parent_id in ids else None, []).append(s)
    ordered: list[tuple[int, SpanRecord]] = []

    def visit(parent: str | None, depth: int) -> None:
        for child in sorted(children.get(parent, []), key=lambda s: s.start):
            ordered.append((depth, child))
            visit(child.span_id, depth + 1)

    visit(None, 0)
    return ordered


def spans_frame(records: Sequence[SpanRecord]) -> pd.DataFrame:
    """One row per span: ids, service, name, kind, start (datetime), duration_ms, status, http route/status."""
    rows = [
        {
            "trace_id": r.trace_id,
            "span_id": r.span_id,
            "parent_id": r.parent_id,
            "service": r.service,
            "name": r.name,
            "kind": r.kind,
            "start": pd.Timestamp(r.start, unit="s"),
            "duration_ms": r.duration_ms,
            "status": r.status,
            "route": r.attributes.get("http.route"),
            "http_status": r.attributes.get("http.response.status_code"),
        }
        for r in records
    ]
    columns = ["trace_id", "span_id", "parent_id", "service", "name", "kind", "start", "duration_ms", "status"]
    return pd.DataFrame(rows, columns=[*columns, "route", "http_status"])


def parse_traceparent(header: str) -> dict[str, str]:
    """Split a W3C ``traceparent`` header: version-trace_id-parent_id-flags.

    >>> parse_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")["parent_id"]
    '00f067aa0ba902b7'
    """
    parts = header.strip().split("-")
    lengths = (2, 32, 16, 2)
    if len(parts) != 4 or any(len(p) != n for p, n in zip(parts, lengths, strict=False)):
        raise ValueError(f"not a W3C traceparent (00-<32 hex>-<16 hex>-<2 hex>): {header!r}")
    try:
        for part in parts:
            int(part, 16)
    except ValueError:
        raise ValueError(f"traceparent fields must be hexadecimal: {header!r}") from None
    version, trace_id, parent_id, flags = parts
    sampled = "yes" if int(flags, 16) & 1 else "no"
    return {"version": version, "trace_id": trace_id, "parent_id": parent_id, "flags": flags, "sampled": sampled}
