"""Distributed tracing for the lab: providers, instrumentation, and spans as records."""

from .setup import EXCLUDED_URLS, Tracing
from .spans import SpanRecord, incomplete_traces, parse_traceparent, spans_frame, to_records, trace_ids, trace_tree

__all__ = [
    "EXCLUDED_URLS",
    "SpanRecord",
    "Tracing",
    "incomplete_traces",
    "parse_traceparent",
    "spans_frame",
    "to_records",
    "trace_ids",
    "trace_tree",
]
