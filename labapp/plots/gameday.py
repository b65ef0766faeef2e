"""The game day at a glance: the shop's golden signals over the whole run, one panel each."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure

from ..faults import FaultWindow
from .base import legend_outside, shade_faults

__all__ = ["GAME_DAY_PANELS", "plot_game_day"]

# Panel key: (y label, scale to the unit shown). Each is a query_range frame summed per instant.
GAME_DAY_PANELS: dict[str, tuple[str, float]] = {
    "requests": ("requests/s", 1.0),
    "busiest_client": ("busiest client, requests/s", 1.0),
    "errors": ("5xx share of requests, %", 100.0),
    "p95": ("p95 latency, ms", 1000.0),
    "samples": ("samples per scrape", 1.0),
}


def plot_game_day(
    signals: Mapping[str, pd.DataFrame],
    *,
    t0: float,
    windows: Sequence[FaultWindow] | None = None,
    title: str = "What changed, and when?",
) -> Figure:
    """One panel per golden signal (``GAME_DAY_PANELS``), x in seconds after ``t0``.

    ``windows`` (after the reveal) shades when the fault and the decoy were on;
    before it, the plot shows only what a dashboard would.
    """
    keys = [k for k in GAME_DAY_PANELS if k in signals]
    if not keys:
        raise ValueError(f"give at least one of {list(GAME_DAY_PANELS)} as a query_range frame")
    fig, axes = plt.subplots(len(keys), 1, figsize=(8.5, 1.7 * len(keys) + 0.8), sharex=True, layout="constrained")
    axes = list(axes) if len(keys) > 1 else [axes]
    end = max((float(f["time"].max()) for f in signals.values() if len(f)), default=t0 + 1)
    for ax, key in zip(axes, keys, strict=True):
        label, scale = GAME_DAY_PANELS[key]
        frame = signals[key]
        series = frame.groupby("time")["value"].sum() if len(frame) else pd.Series(dtype=float)
        shade_faults(ax, windows, t0, end - t0)
        ax.plot(series.index - t0, series.to_numpy() * scale, color="black", linewidth=1.2)
        ax.set_ylabel(label, rotation=0, ha="right", va="center")
        ax.set_ylim(bottom=0)
        ax.grid(alpha=0.3)
    axes[-1].set_xlabel("seconds since the game day began")
    axes[0].set_title(title)
    if windows:
        legend_outside(axes[0], below=False)
    return fig
