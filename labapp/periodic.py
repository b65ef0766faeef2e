"""Periodic: call a function on a fixed schedule in a daemon thread, until stopped.

The scraper, the health checker and the alert evaluator all tick this way. A
round that overruns its interval starts the next one at once; missed rounds
are skipped, never caught up in a burst.

A tick that raises does not end the loop: the error is kept in
``last_error`` (with a count in ``error_count``), shown in the ``repr``, and
its first traceback is logged once on the ``labapp.periodic`` logger. Nothing
prints under a notebook cell unless logging is configured
(``logging.basicConfig()`` shows it).

Time is a parameter: ``clock`` (monotonic seconds) and ``wait`` (wait up to N
seconds, return True when stopped) let tests run the loop on a fake clock.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

__all__ = ["Periodic", "TicksPeriodically", "describe_error"]

logger = logging.getLogger(__name__)

Clock = Callable[[], float]
Wait = Callable[[float], bool]


def describe_error(exc: BaseException | None) -> str:
    """``ZeroDivisionError('division by zero')``, shortened for one line; "" for None."""
    if exc is None:
        return ""
    text = repr(exc)
    return text if len(text) <= 200 else text[:197] + "..."


class Periodic:
    """Run ``tick()`` every ``interval_s`` seconds in a thread named ``name``.

    ``clock`` returns monotonic seconds; ``wait(seconds)`` waits up to that
    long and returns True when the loop should stop (default: the loop's own
    stop event, which :meth:`stop` sets).
    """

    def __init__(
        self,
        tick: Callable[[], object],
        interval_s: float,
        name: str,
        *,
        clock: Clock = time.monotonic,
        wait: Wait | None = None,
    ) -> None:
        self.tick = tick
        self.interval_s = interval_s
        self.name = name
        self._clock = clock
        self._stop = threading.Event()
        self._wait: Wait = wait if wait is not None else self._stop.wait
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self.ticks = 0  # ticks finished, failed ones included
        self.error_count = 0
        self.last_error: BaseException | None = None  # the latest exception a tick raised, or None

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
        next_at = self._clock()
        while not self._stop.is_set():
            self._tick_once()
            next_at = max(next_at + self.interval_s, self._clock())
            if self._wait(next_at - self._clock()):
                return

    def _tick_once(self) -> None:
        try:
            self.tick()
        except Exception as exc:  # kept, counted and logged: the loop goes on
            with self._lock:
                self.error_count += 1
                self.last_error = exc
                first = self.error_count == 1
            if first:
                logger.exception("%s: a tick failed; the loop keeps running (later errors are counted)", self.name)
            else:
                logger.debug("%s: tick failed again (%d errors): %s", self.name, self.error_count, describe_error(exc))
        finally:
            with self._lock:
                self.ticks += 1

    def stop(self, timeout_s: float = 5.0) -> None:
        """Stop after the tick in progress; wait up to ``timeout_s`` for it."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout_s)
            self._thread = None

    def error_note(self) -> str:
        """For timeout messages: "; lab-scraper last failed with KeyError('x') (3 errors so far)", or "" if none."""
        if self.last_error is None:
            return ""
        return f"; {self.name} last failed with {describe_error(self.last_error)} ({self.error_count} errors so far)"

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        text = f"<Periodic {self.name} every {self.interval_s:g} s, {state}, {self.ticks} ticks"
        if self.error_count:
            noun = "error" if self.error_count == 1 else "errors"
            text += f", {self.error_count} {noun}, last: {describe_error(self.last_error)}"
        return text + ">"


class TicksPeriodically:
    """For a class whose work runs on a :class:`Periodic` kept in ``self._ticker``:
    its ``running`` state and the errors of its rounds, read through one place."""

    _ticker: Periodic

    @property
    def running(self) -> bool:
        return self._ticker.running

    @property
    def last_error(self) -> BaseException | None:
        """What the last failed round raised, or None if none failed."""
        return self._ticker.last_error

    @property
    def error_count(self) -> int:
        """How many rounds raised so far."""
        return self._ticker.error_count
