"""Pictures of metrics: server buckets against clients, PromQL results, series counts, lines."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from ..faults import FaultWindow
from ..load import LoadResult
from .base import axes_or_new, legend_outside, shade_faults, step_windows

__all__ = ["plot_bucket_comparison", "plot_query", "plot_series", "plot_series_counts"]


def plot_bucket_comparison(
    result: LoadResult,
    buckets: Sequence[tuple[float, float]],
    *,
    ax: Axes | None = None,
    title: str | None = None,
) -> Figure:
    """Server histogram buckets next to client-measured latency, in the same bins.

    ``buckets`` are cumulative (upper bound in s, count) pairs, as from
    :func:`labapp.analysis.bucket_counts`. The client's latency includes the
    network and its own queueing, so its bars sit a little to the right.
    """
    bounds = [b for b, _ in buckets]
    cumulative = np.array([c for _, c in buckets])
    server = np.diff(np.concatenate([[0.0], cumulative]))
    edges = [0.0] + bounds
    client = np.histogram(result.to_frame()["latency_s"], bins=edges[:-1] + [np.inf])[0]
    names = [f"≤{b * 1000:g}" if not math.isinf(b) else f">{bounds[-2] * 1000:g}" for b in bounds]
    x = np.arange(len(bounds))
    ax = axes_or_new(ax)
    ax.bar(x - 0.2, 100 * server / max(server.sum(), 1), 0.4, label="server histogram (/metrics)")
    ax.bar(x + 0.2, 100 * client / max(client.sum(), 1), 0.4, label="load generator (client side)")
    ax.set_xticks(x, names, rotation=45)
    ax.set_xlabel("latency bucket (ms)")
    ax.set_ylabel("share of requests (%)")
    ax.set_title(title or "Do the server's buckets agree with what clients saw?")
    legend_outside(ax)
    return ax.figure  # type: ignore[return-value]


def plot_query(
    frame: pd.DataFrame,
    *,
    t0: float,
    ylabel: str,
    title: str,
    faults: Sequence[FaultWindow] | None = None,
    label: str | None = None,
    scale: float = 1.0,
    ax: Axes | None = None,
) -> Figure:
    """A PromQL range result over time, one line per series (``label`` names the legend label)."""
    ax = axes_or_new(ax)
    end = float(frame["time"].max() - t0) if len(frame) else None
    shade_faults(ax, faults, t0, end)
    extra = [c for c in frame.columns if c not in ("time", "value")]
    key = label if label in frame.columns else None
    groups = frame.groupby(key) if key else [(None, frame)]
    for name, part in groups:
        tag = (
            name
            if name is not None
            else ", ".join(f"{c}={part[c].iloc[0]}" for c in extra if c not in ("job", "instance"))
        )
        ax.plot(part["time"] - t0, part["value"] * scale, marker=".", label=tag or "query result")
    if len(frame) and (frame["value"].dropna() >= 0).all():
        ax.set_ylim(0, max(ax.get_ylim()[1], 1e-9))  # from zero
    ax.set_xlabel("time since start (s)")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    if len(frame):
        legend_outside(ax)
    return ax.figure  # type: ignore[return-value]


def plot_series_counts(counts: dict[str, int], *, ax: Axes | None = None, title: str | None = None) -> Figure:
    """How many time series does each labelling create? ``{"label choice": series}``, log scale."""
    ax = axes_or_new(ax, (7, 3.2))
    bars = ax.barh(list(counts), list(counts.values()), color=["tab:red", "tab:green", "tab:blue"][: len(counts)])
    ax.bar_label(bars, labels=[f"{v:,}" for v in counts.values()], padding=3)
    ax.set_xscale("log")
    ax.set_xlim(1, max(counts.values()) * 6)  # bars start at 1 series; room for the numbers
    ax.set_xlabel("time series on the /metrics page (log scale)")
    ax.set_ylabel("how requests are labelled")
    ax.set_title(title or "How many series does each way of labelling create?")
    ax.invert_yaxis()
    return ax.figure  # type: ignore[return-value]


def _unit_of(label: str) -> str:
    """The unit in an axis label, for a value drawn on that axis: "errors (%)" -> "%", "p95 (ms, ...)" -> " ms"."""
    if "%" in label:
        return "%"
    found = re.search(r"\(([^\s,()]+)", label)
    return f" {found.group(1)}" if found else ""


def plot_series(
    lines: dict[str, tuple[Sequence[float], Sequence[float]]],
    *,
    title: str,
    ylabel: str,
    xlabel: str = "time since load started (s)",
    faults: Sequence[FaultWindow] | None = None,
    t0: float | None = None,
    threshold: float | None = None,
    threshold_unit: str | None = None,
    window_s: float | None = None,
    ax: Axes | None = None,
) -> Figure:
    """Several (x, y) lines on one axes, e.g. one quantity computed three ways.

    ``threshold`` draws a horizontal line labelled with its unit: ``threshold_unit``
    (e.g. ``"%"``, ``" ms"``), by default the unit in ``ylabel``'s parentheses.
    ``window_s``: each y is a value per window that starts at its x (a rate per
    0.25 s bin); each line is then drawn as steps, flat over its window, so it
    does not seem to change before the window that holds the change.
    """
    ax = axes_or_new(ax)
    if t0 is not None:
        shade_faults(ax, faults, t0)
    for (label, (x, y)), style in zip(lines.items(), ["-", "--", ":", "-."] * 3, strict=False):
        if window_s is not None:
            step_windows(ax, list(x), list(y), window_s, linestyle=style, label=label)
        else:
            ax.plot(list(x), list(y), style, marker=".", label=label)
    if threshold is not None:
        unit = threshold_unit if threshold_unit is not None else _unit_of(ylabel)
        ax.axhline(threshold, color="black", linewidth=0.8, label=f"threshold {threshold:g}{unit}")
    ax.set_ylim(bottom=0, top=ax.get_ylim()[1] * 1.05)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    legend_outside(ax)
    return ax.figure  # type: ignore[return-value]
