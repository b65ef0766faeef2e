"""Pictures of resilience patterns: a circuit breaker's state against what reached the dependency."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.transforms import blended_transform_factory

from ..faults import FaultWindow
from ..load import LoadResult
from .base import axes_or_new, shade_faults

__all__ = ["plot_breaker_timeline"]

STATE_COLOURS = {"closed": "tab:green", "open": "tab:red", "half_open": "tab:orange"}


def plot_breaker_timeline(
    segments: Sequence[tuple[float, float, str]],
    arrivals: Sequence[float],
    result: LoadResult,
    *,
    faults: Sequence[FaultWindow] | None = None,
    bin_s: float = 0.25,
    ax: Axes | None = None,
    title: str | None = None,
) -> Figure:
    """Did the breaker keep calls away from the failing service? State strip on top,
    checkouts sent and calls that reached the dependency per ``bin_s`` below.

    ``segments``: ``breaker.timeline()``; ``arrivals``: Unix times of calls that
    reached the dependency; ``result``: the load run that sent the checkouts.
    """
    ax = axes_or_new(ax, (10, 4))
    t0, t_end = result.started, result.started + result.duration_s
    shade_faults(ax, faults, t0, result.duration_s)
    edges = np.arange(0, result.duration_s + bin_s, bin_s)
    sent = [r.scheduled - t0 for r in result.records]
    reached = [t - t0 for t in arrivals if t0 <= t <= t_end + 1]
    ax.hist(reached, bins=list(edges), color="tab:blue", alpha=0.7, label="calls that reached payments")
    counts, _ = np.histogram(sent, bins=edges)
    ax.step(edges[:-1], counts, where="post", color="black", linewidth=1, label="checkouts sent")
    ax.set_ylim(0, max(counts.max(initial=1), 1) * 1.45)  # room for the state strip
    strip = blended_transform_factory(ax.transData, ax.transAxes)
    for start, end, state in segments:
        left, right = max(start - t0, 0), min(end - t0, result.duration_s)
        if right > left:
            ax.broken_barh([(left, right - left)], (0.9, 0.08), transform=strip, color=STATE_COLOURS[state])
    handles, _ = ax.get_legend_handles_labels()
    for state, colour in STATE_COLOURS.items():
        handles.append(Patch(color=colour, label=f"breaker {state.replace('_', '-')}"))
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1), fontsize="small")
    ax.set_xlim(0, result.duration_s)
    ax.set_xlabel("time since load started (s)")
    ax.set_ylabel(f"requests per {bin_s:g} s")
    ax.set_title(title or "Did the breaker keep calls away from the failing service?")
    return ax.figure  # type: ignore[return-value]
