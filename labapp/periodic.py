"""Periodic: call a function on a fixed schedule in a daemon thread, until stopped.

The scraper, the health checker and the alert evaluator all tick this way. A
round that overruns its interval starts the next one at once; missed rounds
are skipped, never caught up in a burst.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

__all__ = ["Periodic"]


class Periodic:
    """Run ``tick()`` every ``interval_s`` seconds in a thread named ``name``."""

    def __init__(self, tick: Callable[[], object], interval_s: float, name: str) -> None:
        self.tick = tick
        self.interval_s = interval_s
        self.name = name
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        """Start ticking (the first tick is immediate). No-op while running."""
        if self.running:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        next_at = time.monotonic()
        while not self._stop.is_set():
            self.tick()
            next_at = max(next_at + self.interval_s, time.monotonic())
            self._stop.wait(next_at - time.monotonic())

    def stop(self, timeout_s: float = 5.0) -> None:
        """Stop after the tick in progress; wait up to ``timeout_s`` for it."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout_s)
            self._thread = None
