"""LogCapture: the lab's log stream as JSON lines, in a bounded buffer (and a rotating file)."""

from __future__ import annotations

import collections
import json
import logging
import logging.handlers
from pathlib import Path
from typing import Any

import pandas as pd
from pythonjsonlogger.json import JsonFormatter

from ..arguments import number, whole_number
from .analysis import logs_frame
from .filters import Redactor, SuccessSampler, TraceContext

__all__ = ["LogCapture", "json_formatter"]

_ROOT = "labapp"


def json_formatter() -> JsonFormatter:
    """One JSON object per line: timestamp, level, logger, message, then every ``extra`` field."""
    return JsonFormatter(
        "{levelname}{name}{message}",
        style="{",
        rename_fields={"levelname": "level", "name": "logger"},
        timestamp=True,  # ISO 8601, UTC: sortable, and no time-zone guessing when lines are merged
    )


class _CaptureHandler(logging.Handler):
    """Keeps the newest ``max_lines`` formatted lines (older ones fall off), and
    hands each kept record to ``file`` too: one filtering decision for both."""

    def __init__(self, max_lines: int, file: logging.Handler | None) -> None:
        super().__init__()
        self.lines: collections.deque[str] = collections.deque(maxlen=max_lines)
        self.file = file
        self.emitted = 0
        self.bytes = 0

    def emit(self, record: logging.LogRecord) -> None:
        line = self.format(record)
        self.lines.append(line)
        self.emitted += 1
        self.bytes += len(line) + 1
        if self.file is not None:
            self.file.emit(record)

    def close(self) -> None:
        if self.file is not None:
            self.file.close()
        super().close()


class LogCapture:
    """Collect every ``labapp`` log record as a JSON line while it runs.

    >>> logs = LogCapture().start()
    >>> lab.load(rate=20, duration_s=2)
    >>> logs.frame()          # one row per event, with trace_id and span_id

    ``sample_ratio`` below 1 keeps that share of ordinary requests and every
    warning, failure and slow request (``slow_ms``); ``path`` also writes a
    rotating file of at most ``max_bytes`` × (``backups`` + 1). Starting a new
    capture stops the previous one, so re-running a cell does not double lines.
    """

    def __init__(
        self,
        *,
        max_lines: int = 100_000,
        sample_ratio: float = 1.0,
        slow_ms: float = 250.0,
        redact: bool = True,
        path: str | Path | None = None,
        max_bytes: int = 1_000_000,
        backups: int = 2,
    ) -> None:
        whole_number("max_lines", max_lines, minimum=1)
        # One line is ~400 bytes.
        whole_number("max_bytes", max_bytes, minimum=1_000)
        whole_number("backups", backups, minimum=0)
        number("sample_ratio", sample_ratio, minimum=0, maximum=1)  # the share of ordinary requests kept
        number("slow_ms", slow_ms, minimum=0, unit="milliseconds")
        self.max_lines = max_lines
        self.path = Path(path) if path is not None else None
        self.filters: list[logging.Filter] = [TraceContext()]
        if redact:
            self.filters.append(Redactor())
        if sample_ratio < 1.0:
            self.filters.append(SuccessSampler(sample_ratio, slow_ms))
        self.max_bytes = max_bytes
        self.backups = backups
        self._handler: _CaptureHandler | None = None
        self.seen = 0  # records that reached the capture, kept or not

    def start(self) -> LogCapture:
        """Attach to the ``labapp`` logger at INFO; stop any capture started before."""
        logger = logging.getLogger(_ROOT)
        for old in list(logger.handlers):
            if getattr(old, "_lab_capture", False):
                logger.removeHandler(old)
                old.close()
        file = None
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            file = logging.handlers.RotatingFileHandler(
                self.path, maxBytes=self.max_bytes, backupCount=self.backups, encoding="utf-8"
            )
            file.setFormatter(json_formatter())
        self._handler = _CaptureHandler(self.max_lines, file)
        self._handler._lab_capture = True  # type: ignore[attr-defined]
        self._handler.setFormatter(json_formatter())
        for f in [_Counter(self), *self.filters]:  # counted first, then enriched, redacted, sampled
            self._handler.addFilter(f)
        logger.addHandler(self._handler)
        logger.setLevel(logging.INFO)
        return self

    def stop(self) -> None:
        """Detach; the lines stay readable. Safe to call twice."""
        logger = logging.getLogger(_ROOT)
        if self._handler is not None:
            logger.removeHandler(self._handler)
            self._handler.close()
        if not any(getattr(h, "_lab_capture", False) for h in logger.handlers):
            logger.setLevel(logging.NOTSET)  # back to quiet: access logs off, no per-request cost

    def lines(self) -> list[str]:
        """The captured JSON lines, oldest first."""
        return list(self._handler.lines) if self._handler else []

    def records(self) -> list[dict[str, Any]]:
        """The captured lines parsed back into dicts: what a log pipeline does first."""
        return [json.loads(line) for line in self.lines()]

    def frame(self) -> pd.DataFrame:
        """One row per event; see :func:`labapp.logs.logs_frame`."""
        return logs_frame(self.records())

    def clear(self) -> None:
        if self._handler is not None:
            self._handler.lines.clear()

    @property
    def bytes_written(self) -> int:
        """Bytes of JSON lines kept so far (including those that fell off the buffer)."""
        return self._handler.bytes if self._handler else 0

    @property
    def kept(self) -> int:
        """Lines kept so far (including those that fell off the buffer)."""
        return self._handler.emitted if self._handler else 0

    def __enter__(self) -> LogCapture:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"<LogCapture {self.kept} of {self.seen} records kept, {self.bytes_written} bytes>"


class _Counter(logging.Filter):
    """Counts every record that reaches the capture, before sampling drops any."""

    def __init__(self, capture: LogCapture) -> None:
        super().__init__()
        self.capture = capture

    def filter(self, record: logging.LogRecord) -> bool:
        self.capture.seen += 1
        return True
