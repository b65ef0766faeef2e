"""The game day at a glance: the shop's golden signals over the whole run, one panel each."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure

from ..faults import FaultWindow
from .base import FAULT_COLOURS, legend_outside

__all__ = ["GAME_DAY_PANELS", "plot_game_day"]

# Panel key: (y label, scale to the unit shown, smallest top of the y axis). Each is a
# query_range frame, summed per instant.
GAME_DAY_PANELS: dict[str, tuple[str, float, float]] = {
    "requests": ("requests/s", 1.0, 10.0),
    "busiest_client": ("busiest client,\nrequests/s", 1.0, 5.0),
    "errors": ("5xx share,\n%", 100.0, 5.0),
    "p95": ("p95 latency,\nms", 1000.0, 50.0),
    "samples": ("samples\nper scrape", 1.0, 100.0),
}
# An absent 5xx series means no 5xx at that instant: zero, not a gap.
ZERO_WHEN_ABSENT = {"errors"}


def plot_game_day(
    signals: Mapping[str, pd.DataFrame],
    *,
    t0: float,
    windows: Sequence[FaultWindow] | None = None,
    title: str = "What changed, and when?",
) -> Figure:
    """One panel per golden signal (``GAME_DAY_PANELS``), x in seconds after ``t0``.

    ``windows`` (after the reveal) shades when the cause and the decoy were on
    (:meth:`labapp.gameday.GameDay.windows`); before it, the plot shows only what a
    dashboard would.
    """
    keys = [k for k in GAME_DAY_PANELS if k in signals]
    if not keys:
        raise ValueError(f"give at least one of {list(GAME_DAY_PANELS)} as a query_range frame")
    fig, axes = plt.subplots(len(keys), 1, figsize=(8.5, 1.45 * len(keys) + 1.0), sharex=True, layout="constrained")
    axes = list(axes) if len(keys) > 1 else [axes]
    times = sorted({float(t) for f in signals.values() if len(f) for t in f["time"]})
    end = times[-1] if times else t0 + 1
    for ax, key in zip(axes, keys, strict=True):
        label, scale, top = GAME_DAY_PANELS[key]
        frame = signals[key]
        series = frame.groupby("time")["value"].sum() if len(frame) else pd.Series(dtype=float)
        if key in ZERO_WHEN_ABSENT:
            series = series.reindex(times, fill_value=0.0)
        for i, w in enumerate(windows or ()):
            colour = FAULT_COLOURS[i % len(FAULT_COLOURS)]
            ax.axvspan(
                max(w.start - t0, 0),
                (w.end if w.end is not None else end) - t0,
                facecolor=colour,
                edgecolor=colour,
                alpha=0.18,
                hatch="//" if w.service == "decoy" else None,
                linewidth=0,
                label=f"{w.service}: {w.label}",
            )
        values = series.to_numpy() * scale
        ax.plot(series.index - t0, values, color="black", linewidth=1.2)
        ax.set_ylabel(label)
        ax.set_ylim(0, max(top, float(values.max()) * 1.1 if len(values) else top))
        ax.grid(alpha=0.3)
    axes[-1].set_xlabel("seconds since the game day began")
    axes[0].set_title(title)
    if windows:
        legend_outside(axes[-1], below=True, ncol=1)
    return fig
