"""Shared types: what several modules agree on without importing each other (as starlette/types.py)."""

from __future__ import annotations

from typing import Protocol

__all__ = ["Stoppable"]


class Stoppable(Protocol):
    """Anything a :class:`~labapp.Lab` owns and stops with itself: a server, a process, a watcher,
    a log capture, a scenario. ``stop()`` is safe to call twice."""

    def stop(self) -> None: ...
