"""Pictures of alerting: when an alert fired against its ratio, and how fast an error budget burns."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from ..analysis import burn_rate
from ..faults import FaultWindow
from ..load import LoadResult
from .base import legend_outside, shade_faults, with_lane

__all__ = ["plot_alert_timeline", "plot_budget_burn"]

STATE_COLOURS = {"pending": "gold", "firing": "tab:red"}
NOTIFY_COLOURS = {"firing": "tab:red", "resolved": "tab:green"}


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

    The ratio is on top, in percent; the alert's states and the notifications
    sit in a lane of their own underneath, sharing the time axis, so that no
    state reads as a value of the ratio.

    ``ratio``: a query_range frame of the ratio; ``alerts``: one of ALERTS{...}
    (an ``alertstate`` column); ``notifications``: (Unix time, "firing"/"resolved").
    """
    ax, lane = with_lane(ax, (8, 4.4), 0.3)
    end = float(ratio["time"].max() - t0) if len(ratio) else None
    shade_faults(ax, faults, t0, end)
    ax.plot(ratio["time"] - t0, 100 * ratio["value"], marker=".", color="tab:blue", label="error ratio")
    ax.axhline(100 * threshold, color="black", linewidth=0.8, linestyle="--", label=f"threshold {100 * threshold:g}%")
    top = max(float(100 * ratio["value"].max()) if len(ratio) else 0.0, 100 * threshold) * 1.1
    ax.set_ylim(0, top)
    ax.set_ylabel("5xx share of requests (%)")
    ax.set_title(title or "When does the alert fire, and when does it stop?")

    # The lane: row 1 the alert's state per evaluation, row 0 the notifications.
    times = alerts["time"].to_numpy() if len(alerts) else np.array([])
    step = float(np.median(np.diff(np.unique(times)))) if len(np.unique(times)) > 1 else 1.0
    states = alerts.get("alertstate", pd.Series("", index=alerts.index))
    for state, colour in STATE_COLOURS.items():
        spans = [(t - t0, step) for t in alerts.loc[states == state, "time"]]
        lane.broken_barh(spans, (0.65, 0.7), color=colour, label=f"alert {state}")
    for at, status in notifications:
        x = at - t0
        colour = NOTIFY_COLOURS.get(status, "black")
        for axes in (ax, lane):
            axes.axvline(x, color=colour, linestyle=":", linewidth=1.2)
        lane.plot([x], [0], marker="v", color=colour, markersize=8, linestyle="none")
        lane.annotate(f"notified: {status}", (x, 0), xytext=(7, 0), textcoords="offset points",
                      fontsize="small", ha="left", va="center", color=colour)  # fmt: skip
    lane.set_ylim(-0.6, 1.6)
    lane.set_yticks([1, 0], ["alert state", "notification"])
    lane.set_xlabel("time since start (s)")
    lane.set_ylabel("alert")
    handles, _ = ax.get_legend_handles_labels()
    handles += [Patch(color=colour, label=f"alert {state}") for state, colour in STATE_COLOURS.items()]
    legend_outside(ax, handles=handles, below=False)
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
    """How fast is the error budget burning, and how much is left? Two panels sharing the time axis.

    Top: the burn rate over a sliding ``window_s``. Bottom: the budget left,
    treating the run itself as the whole SLO period; once it reaches 0 the
    budget is spent and every further error is over the SLO (drawn at 0, and said so).
    """
    table = burn_rate(result, slo, window_s)
    ax, lower = with_lane(ax, (8, 5.2), 0.45)
    for axes in (ax, lower):
        shade_faults(axes, faults, result.started, result.duration_s)
    ax.plot(table["t"], table["burn_rate"], marker=".", color="tab:red", label=f"burn rate ({window_s:g} s window)")
    for level, style in ((14.4, "--"), (6.0, ":"), (1.0, "-")):
        ax.axhline(level, color="grey", linestyle=style, linewidth=0.8, label=f"{level:g}x the sustainable rate")
    ax.set_ylabel("burn rate\n(x the sustainable rate)")
    highest = float(table["burn_rate"].max()) if table["burn_rate"].notna().any() else 0.0
    ax.set_ylim(0, max(highest, 14.4) * 1.1)  # the 14.4x line inside the panel, not on its edge
    ax.set_title(title or f"How fast does an incident spend a {100 * slo:g}% SLO's error budget?")
    legend_outside(ax, below=False)

    left = table["budget_left_pct"]
    lower.plot(table["t"], left.clip(lower=0), color="tab:blue", label="budget left")
    lower.fill_between(table["t"], left.clip(lower=0), color="tab:blue", alpha=0.15)
    lower.set_ylim(0, 105)
    lower.set_ylabel("error budget left (%)")
    lower.set_xlabel(f"time since load started (s); the {result.duration_s:g} s run stands for the whole SLO period")
    spent = table.loc[left <= 0, "t"]
    if len(spent):
        at = float(spent.iloc[0])
        lower.axvline(at, color="black", linewidth=0.8)
        lower.annotate(
            f" budget spent at {at:g} s:\n every further error\n is over the SLO ",
            (at, 50),
            fontsize="small",
            ha="left" if at < 0.6 * float(table["t"].max()) else "right",
            va="center",
        )
    legend_outside(lower, below=False)
    return ax.figure  # type: ignore[return-value]
