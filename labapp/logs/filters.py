"""Logging filters: add the trace, hide the secrets, keep the volume bounded."""

from __future__ import annotations

import logging
import random
import re
from collections.abc import Iterable

from opentelemetry import trace

__all__ = ["Redactor", "SuccessSampler", "TraceContext"]


class TraceContext(logging.Filter):
    """Adds ``trace_id`` and ``span_id`` (hex, as trace viewers show them) of the current span.

    What opentelemetry-instrumentation-logging does with a global record
    factory, scoped here to the handlers that ask for it. None outside a span.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        context = trace.get_current_span().get_span_context()
        record.trace_id = format(context.trace_id, "032x") if context.is_valid else None
        record.span_id = format(context.span_id, "016x") if context.is_valid else None
        return True


# What a secret looks like in a log line. Card numbers keep their last 4 digits
# (support needs them); tokens and passwords keep nothing.
_CARD = re.compile(r"\b(\d{8,15})(\d{4})\b")
_BEARER = re.compile(r"(?i)\b((?:bearer|basic)\s+)[A-Za-z0-9._~+/=-]+")
_KEY_VALUE = re.compile(
    r"(?i)\b(password|passwd|token|api_key|apikey|secret)"  # the key
    r"([\"']?\s*[=:]\s*[\"']?)"  # = or : with optional quotes
    r"[^\s\"',&}]+"  # the value, up to a separator
)


class Redactor(logging.Filter):
    """Masks card numbers, bearer tokens and ``password=``/``token=`` values in the
    message and in the named ``fields`` of each record, before any handler writes it."""

    def __init__(self, fields: Iterable[str] = ("path", "card", "authorization", "token")) -> None:
        super().__init__()
        self.fields = tuple(fields)

    @staticmethod
    def redact(text: str) -> str:
        text = _CARD.sub(lambda m: "*" * len(m.group(1)) + m.group(2), text)
        text = _BEARER.sub(r"\1[REDACTED]", text)
        return _KEY_VALUE.sub(r"\1\2[REDACTED]", text)

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = self.redact(record.getMessage())
        record.args = None  # the message is final now: the arguments were formatted into it
        for name in self.fields:
            value = getattr(record, name, None)
            if isinstance(value, str):
                setattr(record, name, self.redact(value))
        return True


class SuccessSampler(logging.Filter):
    """Keeps every warning, error, failed (status >= 500) or slow request, and
    ``ratio`` of the rest: a bounded log volume that still has every incident."""

    def __init__(self, ratio: float, slow_ms: float = 250.0, seed: int = 0) -> None:
        super().__init__()
        if isinstance(ratio, bool) or not isinstance(ratio, (int, float)) or not 0.0 <= ratio <= 1.0:
            raise ValueError(f"ratio is the share of ordinary requests kept, 0.0 to 1.0; got {ratio!r}")
        self.ratio = ratio
        self.slow_ms = slow_ms
        self._random = random.Random(seed)

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno >= logging.WARNING:
            return True
        if getattr(record, "status", 0) >= 500 or getattr(record, "latency_ms", 0.0) >= self.slow_ms:
            return True
        return self._random.random() < self.ratio
