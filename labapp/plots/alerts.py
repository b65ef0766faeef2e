"""Pictures of alerting: when an alert fired against its ratio, and how fast an error budget burns."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from ..analysis import burn_rate
from ..faults import FaultWindow
from ..load import LoadResult
from .base import axes_or_new, shade_faults

__all__ = ["plot_alert_timeline", "plot_budget_burn"]


def plot_alert_timeline(
    ratio: pd.DataFrame,
    alerts: pd.DataFrame,
    *,
    t0: float,
    threshold: float,
    faults: Sequence[FaultWindow] | None = None,
    notifications: Sequence[tuple[float, str]] = (),
    ax: Axes | None = None,
    title: str | None = None,
) -> Figure:
    """When did the alert go pending, fire, notify and resolve, against the error ratio?

    ``ratio``: a query_range frame of the ratio; ``alerts``: one of ALERTS{...}
    (an ``alertstate`` column); ``notifications``: (Unix time, "firing"/"resolved").
    """
    ax = axes_or_new(ax)
    shade_faults(ax, faults, t0)
    ax.plot(ratio["time"] - t0, 100 * ratio["value"], marker=".", color="tab:blue", label="error ratio (%)")
    ax.axhline(100 * threshold, color="black", linewidth=0.8, label=f"threshold {100 * threshold:g}%")
    top = max(float(100 * ratio["value"].max()) if len(ratio) else 0.0, 100 * threshold) * 1.5
    for state, colour, y in (("pending", "gold", 0.92), ("firing", "tab:red", 0.97)):
        times = alerts.loc[alerts.get("alertstate", pd.Series(dtype=str)) == state, "time"] - t0
        ax.scatter(times, [top * y] * len(times), marker="s", s=18, color=colour, label=f"alert {state}")
    for at, status in notifications:
        ax.axvline(at - t0, color="tab:red" if status == "firing" else "tab:green", linestyle="--", linewidth=1.2)
        ax.annotate(f"notified: {status} ", (at - t0, top * 0.6), rotation=90, fontsize="small", ha="right", va="top")
    ax.set_ylim(0, top)
    ax.set_xlabel("time since start (s)")
    ax.set_ylabel("5xx share of requests (%)")
    ax.set_title(title or "When does the alert fire, and when does it stop?")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.18), fontsize="small", ncol=3)
    return ax.figure  # type: ignore[return-value]


def plot_budget_burn(
    result: LoadResult,
    *,
    slo: float,
    window_s: float = 5.0,
    faults: Sequence[FaultWindow] | None = None,
    ax: Axes | None = None,
    title: str | None = None,
) -> Figure:
    """How fast is the error budget burning, and how much is left? (the run as the SLO period)."""
    table = burn_rate(result, slo, window_s)
    ax = axes_or_new(ax)
    shade_faults(ax, faults, result.started, result.duration_s)
    ax.plot(table["t"], table["burn_rate"], marker=".", color="tab:red", label=f"burn rate ({window_s:g} s window)")
    for level, style in ((14.4, "--"), (6.0, ":"), (1.0, "-")):
        ax.axhline(level, color="grey", linestyle=style, linewidth=0.8, label=f"{level:g}x")
    ax.set_xlabel("time since load started (s)")
    ax.set_ylabel("burn rate (x the sustainable rate)")
    ax.set_ylim(bottom=0)
    right = ax.twinx()
    right.plot(table["t"], table["budget_left_pct"].clip(lower=-100), color="tab:blue", label="budget left (%)")
    right.set_ylabel("error budget left (%)")
    right.set_ylim(-100, 105)
    handles = ax.get_legend_handles_labels()
    extra = right.get_legend_handles_labels()
    ax.legend(
        handles[0] + extra[0],
        handles[1] + extra[1],
        loc="upper center",
        bbox_to_anchor=(0.5, -0.18),
        fontsize="small",
        ncol=3,
    )
    ax.set_title(title or f"How fast does an incident spend a {100 * slo:g}% SLO's error budget?")
    return ax.figure  # type: ignore[return-value]
