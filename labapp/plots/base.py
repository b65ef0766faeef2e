"""What every plot shares: a new axes when none is given, and shaded fault windows."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
from matplotlib.axes import Axes

from ..faults import FaultWindow

__all__ = ["SERVICE_COLOURS", "axes_or_new", "shade_faults"]

# One colour per service, everywhere: fault shading, waterfalls, per-service plots.
SERVICE_COLOURS = {
    "notebook": "tab:gray",
    "shop": "tab:blue",
    "catalog": "tab:green",  # not red: red reads as "error" in a waterfall
    "recommender": "tab:purple",
    "payments": "tab:orange",
}


def axes_or_new(ax: Axes | None, size: tuple[float, float] = (8, 3.6)) -> Axes:
    if ax is not None:
        return ax
    _, new = plt.subplots(figsize=size, layout="constrained")
    return new


def shade_faults(ax: Axes, faults: Sequence[FaultWindow] | None, t0: float, t_end: float | None = None) -> None:
    """Shade each fault window on ``ax`` (x in seconds since ``t0``) and label it."""
    seen: set[str] = set()
    for w in faults or ():
        start = w.start - t0
        end = (w.end if w.end is not None else (t0 + (t_end or start + 1))) - t0
        if end < 0:
            continue
        label = f"{w.service}: {w.label}"
        ax.axvspan(
            max(start, 0),
            end,
            color=SERVICE_COLOURS.get(w.service, "grey"),
            alpha=0.15,
            label=None if label in seen else f"fault: {label}",
        )
        seen.add(label)
