"""Fault windows: when each service had which fault, read back from the switches' history."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from .base import Fault
from .switch import FaultSwitch

__all__ = ["FaultWindow", "fault_windows"]


@dataclass(frozen=True)
class FaultWindow:
    """A stretch of wall-clock time (Unix seconds) during which ``service`` had ``fault``."""

    service: str
    label: str
    start: float
    end: float | None  # None: still on


def fault_windows(switches: Iterable[FaultSwitch], since: float | None = None) -> list[FaultWindow]:
    """Every fault that was on at or after ``since`` (Unix seconds), oldest first, for shading plots.

    A fault that replaces another ends the first window where the second begins.
    """
    windows: list[FaultWindow] = []
    for switch in switches:
        open_: tuple[float, Fault] | None = None
        for event in switch.history:
            if open_ is not None:
                windows.append(FaultWindow(switch.service, open_[1].describe(), open_[0], event.at))
            open_ = (event.at, event.fault) if event.fault else None
        if open_ is not None:
            windows.append(FaultWindow(switch.service, open_[1].describe(), open_[0], None))
    if since is not None:
        windows = [w for w in windows if w.end is None or w.end >= since]
    return sorted(windows, key=lambda w: w.start)
