"""Pictures of rate limits: who got through, who was turned away, and when."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from ..faults import FaultWindow
from ..load import LoadResult
from .base import axes_or_new, legend_outside, shade_faults

__all__ = ["busiest_window", "plot_allowed_by_client", "plot_window_strategies"]


def busiest_window(times: Sequence[float], window_s: float) -> int:
    """The most events in any ``window_s``-long stretch (a sliding window over sorted times)."""
    ordered = np.sort(np.asarray(times, dtype=float))
    ends = np.searchsorted(ordered, ordered + window_s - 1e-9, side="right")
    return int((ends - np.arange(len(ordered))).max(initial=0))


def plot_window_strategies(
    attempts: Mapping[str, pd.DataFrame],
    *,
    limit: int,
    window_s: float = 1.0,
    ax: Axes | None = None,
    title: str | None = None,
) -> Figure:
    """How many requests get through around a window boundary? One row per strategy:
    allowed (dot) and rejected (cross) requests over time, and the busiest ``window_s`` of allowed ones.

    ``attempts``: strategy name → the frame :func:`labapp.load.send_bursts` returns.
    """
    ax = axes_or_new(ax, (9, 1.1 * len(attempts) + 1.4))
    for row, frame in enumerate(attempts.values()):
        allowed = frame[frame["status"] == 200]["t"]
        # Each burst lands within milliseconds: stack its requests, allowed
        # above the row and rejected below it, so they can be counted.
        burst = (frame["t"] / 0.05).round()
        for status, marker, colour, sign, label in (
            (200, "o", "tab:green", -1, "allowed"),
            (429, "x", "tab:red", 1, "rejected (429)"),
        ):
            chosen = frame[frame["status"] == status]
            stack = chosen.groupby(burst[chosen.index]).cumcount()
            ax.scatter(chosen["t"], row + sign * (0.06 + 0.022 * stack), marker=marker, s=12, color=colour,
                       label=label if row == 0 else None)  # fmt: skip
        peak = busiest_window(list(allowed), window_s)
        verdict = "over the limit" if peak > limit else "within the limit"
        ax.annotate(f"busiest {window_s:g} s: {peak} allowed ({verdict} of {limit})", (1.01, row),
                    xycoords=("axes fraction", "data"), va="center", fontsize=8,
                    color="darkred" if peak > limit else "black")  # fmt: skip
    ax.set_yticks(range(len(attempts)), list(attempts))
    ax.set_ylim(-0.5, len(attempts) - 0.5)
    ax.invert_yaxis()
    ax.set_xlabel("time since the first request (s)")
    ax.set_ylabel("strategy")
    legend_outside(ax, below=True)
    ax.set_title(title or f"How many requests pass a {limit} per {window_s:g} s limit at a window boundary?")
    return ax.figure  # type: ignore[return-value]


def plot_allowed_by_client(
    result: LoadResult,
    *,
    limit_per_s: float | None = None,
    faults: Sequence[FaultWindow] | None = None,
    ax: Axes | None = None,
    title: str | None = None,
) -> Figure:
    """Does each client get its share? One lane per client: a green tick per allowed request,
    a red one per rejected (429) one, over time, and each client's allowed rate on the right."""
    frame = result.to_frame()
    clients = sorted(frame["client"].unique())
    ax = axes_or_new(ax, (9, 0.7 * len(clients) + 1.6))
    shade_faults(ax, faults, result.started, result.duration_s)
    for lane, client in enumerate(clients):
        mine = frame[frame["client"] == client]
        for status_ok, colour, offset, label in (
            (True, "tab:green", -0.12, "allowed"),
            (False, "tab:red", 0.12, "rejected (429)"),
        ):
            chosen = mine[(mine["status"] == 200) == status_ok]
            ax.scatter(chosen["t"], np.full(len(chosen), lane + offset), marker="|", s=60, color=colour,
                       label=label if lane == 0 else None)  # fmt: skip
        allowed = int((mine["status"] == 200).sum())
        rate = allowed / result.duration_s
        ax.annotate(f"{allowed} of {len(mine)} allowed: {rate:.1f}/s", (1.01, lane), xycoords=("axes fraction", "data"),
                    va="center", fontsize=8)  # fmt: skip
    ax.set_yticks(range(len(clients)), clients)
    ax.set_ylim(-0.6, len(clients) - 0.4)
    ax.invert_yaxis()
    ax.set_xlim(0, result.duration_s)
    ax.set_xlabel("time since load started (s)")
    ax.set_ylabel("client (one source address each)")
    limit = f" (limit {limit_per_s:g}/s each)" if limit_per_s is not None else ""
    ax.set_title(title or f"Does each client get its share{limit}, and who is turned away?")
    legend_outside(ax, below=True, frameon=False)
    return ax.figure  # type: ignore[return-value]
