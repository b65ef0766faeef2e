"""Pictures of health checks: when each endpoint was up."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from ..faults import FaultWindow
from .base import axes_or_new, legend_outside, shade_faults

__all__ = ["plot_uptime"]


def plot_uptime(
    probes: pd.DataFrame,
    *,
    interval_s: float,
    t0: float | None = None,
    faults: Sequence[FaultWindow] | None = None,
    ax: Axes | None = None,
    title: str | None = None,
) -> Figure:
    """When was each endpoint up? One strip per target from ``HealthChecker.to_frame()``.

    Each probe paints ``interval_s`` seconds green (200 in time) or red; the
    availability over the whole strip is in the row label.
    """
    if not {"at", "target", "ok"} <= set(probes.columns):
        raise TypeError("expected HealthChecker.to_frame(): columns at, target, ok")
    origin = t0 if t0 is not None else float(probes["at"].min())
    targets = list(dict.fromkeys(probes["target"]))
    ax = axes_or_new(ax, (8, 0.7 * len(targets) + 1.6))
    shade_faults(ax, faults, origin, float(probes["at"].max() - origin + interval_s))
    labels = []
    for row, target in enumerate(targets):
        part = probes[probes["target"] == target]
        for ok, colour in ((True, "tab:green"), (False, "tab:red")):
            spans = [(at - origin, interval_s) for at in part.loc[part["ok"] == ok, "at"]]
            ax.broken_barh(spans, (row - 0.35, 0.7), color=colour, label=None)
        labels.append(f"{target}\n{100 * part['ok'].mean():.0f}% up")
    ax.set_yticks(range(len(targets)), labels)
    ax.invert_yaxis()
    ax.set_xlabel("time since the checker started (s)")
    ax.set_ylabel("endpoint probed")
    ax.set_title(title or "When was each endpoint up? (green: 200 in time, red: not)")
    if faults:
        legend_outside(ax)
    return ax.figure  # type: ignore[return-value]
