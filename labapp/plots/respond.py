"""Picture of an incident handled by the responder: the error ratio, the alerts, and what was done when."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from ..faults import FaultWindow
from ..respond.responder import AuditEntry
from .base import legend_outside, shade_faults, with_lane

__all__ = ["action_spans", "alert_spans", "plot_response_timeline"]

# Not the fault palette's orange or purple, and red only for an alert firing (as in notebook 04).
ACTION_COLOURS = {"block": "tab:blue", "degrade": "tab:olive", "shed": "tab:cyan", "scale": "tab:gray"}
ALERT_COLOUR = "tab:red"


def alert_spans(notifications: pd.DataFrame, end: float) -> list[tuple[str, float, float]]:
    """(alertname, first firing notification, resolved notification or ``end``), from a receiver's frame."""
    spans: list[tuple[str, float, float]] = []
    open_at: dict[str, float] = {}
    for row in notifications.sort_values("time").itertuples():
        name, at = str(row.alertname), float(row.time)
        if row.status == "firing":
            open_at.setdefault(name, at)
        elif name in open_at:
            spans.append((name, open_at.pop(name), at))
    spans += [(name, start, end) for name, start in open_at.items()]
    return sorted(spans, key=lambda s: s[1])


def action_spans(audit: Sequence[AuditEntry], end: float) -> list[tuple[str, float, float]]:
    """("action target", applied, reverted or ``end``) for every action that was in force."""
    spans: list[tuple[str, float, float]] = []
    open_at: dict[str, float] = {}
    for entry in audit:
        key = f"{entry.action} {entry.target}"
        if entry.outcome in ("applied", "would apply"):
            open_at[key] = entry.at
        elif entry.outcome in ("reverted", "would revert") and key in open_at:
            spans.append((key, open_at.pop(key), entry.at))
    spans += [(key, start, end) for key, start in open_at.items()]
    return sorted(spans, key=lambda s: s[1])


def plot_response_timeline(
    ratio: pd.DataFrame,
    audit: Sequence[AuditEntry],
    notifications: pd.DataFrame,
    *,
    t0: float,
    threshold: float,
    faults: Sequence[FaultWindow] | None = None,
    what: str = "5xx share of requests",
    ax: Axes | None = None,
    title: str | None = None,
) -> Figure:
    """Did the action bring the error ratio back under the threshold, and when was it undone?

    Top: the ratio (``what``, in %; a ``query_range`` frame) with the fault windows
    shaded. Lane below, one row each: every alert from its firing to its
    resolved notification, every action from applied to reverted, and a cross
    where the guard rails refused one.
    """
    end = float(ratio["time"].max()) if len(ratio) else t0 + 1
    alerts = alert_spans(notifications, end)
    actions = action_spans(audit, end)
    refused = [e for e in audit if e.outcome == "refused"]
    rows = list(dict.fromkeys([f"alert {a}" for a, _, _ in alerts] + [k for k, _, _ in actions]))
    rows += [f"{e.action} {e.target}" for e in refused if f"{e.action} {e.target}" not in rows]
    lane_in = 0.3 + 0.3 * max(len(rows), 1)  # inches: a readable row per alert and action
    ax, lane = with_lane(ax, (8.5, 3.0 + lane_in), lane_in / (3.0 + lane_in))
    shade_faults(ax, faults, t0, end - t0)
    ax.step(ratio["time"] - t0, 100 * ratio["value"], where="post", color="black", label=f"{what} (%)")
    ax.axhline(100 * threshold, color="tab:red", linewidth=0.8, linestyle="--", label=f"objective {100 * threshold:g}%")
    top = max(float(100 * ratio["value"].max()) if len(ratio) else 0.0, 100 * threshold) * 1.15
    ax.set_ylim(0, top)
    ax.set_ylabel(f"{what} (%)")
    ax.set_title(title or "Did the responder's action end the incident, and when was it undone?")

    y = {row: len(rows) - 1 - i for i, row in enumerate(rows)}
    for name, start, stop in alerts:
        lane.broken_barh([(start - t0, stop - start)], (y[f"alert {name}"] - 0.35, 0.7), color=ALERT_COLOUR)
    for key, start, stop in actions:
        colour = ACTION_COLOURS.get(key.split()[0], "tab:gray")
        lane.broken_barh([(start - t0, stop - start)], (y[key] - 0.35, 0.7), color=colour)
    for entry in refused:
        lane.plot([entry.at - t0], [y[f"{entry.action} {entry.target}"]], marker="x", color="black", markersize=9)
    lane.set_yticks(list(y.values()), list(y))
    lane.set_ylim(-0.7, max(len(rows), 1) - 0.3)
    lane.set_xlabel("time since start (s)")
    lane.set_ylabel("in force")
    handles, _ = ax.get_legend_handles_labels()
    handles += [Patch(color=ALERT_COLOUR, label="alert firing")]
    handles += [
        Patch(color=c, label=f"action in force: {a}")
        for a, c in ACTION_COLOURS.items()
        if any(k.startswith(a) for k in y)
    ]
    if refused:
        handles.append(Line2D([], [], marker="x", color="black", linestyle="none", label="refused by a guard rail"))
    legend_outside(ax, handles=handles, below=False)
    return ax.figure  # type: ignore[return-value]
