"""Pictures of a load run: how long requests took, how many failed, and when."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from ..analysis import error_mask, latency_percentiles, windowed_rates
from ..faults import FaultWindow
from ..load import LoadResult
from .base import axes_or_new, legend_outside, scale_for_range, shade_faults, step_windows

__all__ = [
    "plot_latency_histogram",
    "plot_latency_over_time",
    "plot_rates",
    "plot_request_latencies",
    "plot_status_mix",
]


def plot_latency_histogram(result: LoadResult, *, ax: Axes | None = None, title: str | None = None) -> Figure:
    """How are latencies spread, and where do p50 / p95 / p99 fall?"""
    frame = result.to_frame()
    ax = axes_or_new(ax)
    ms = frame["latency_s"] * 1000
    low, high = float(ms.min()), float(ms.max())
    if scale_for_range(ax, "x", max(low, 0.1), max(high, 1.0)):
        bins = np.logspace(math.log10(max(low, 0.1)), math.log10(max(high, 1.0)), 40)
        scale = "log scale"
    else:
        bins = np.linspace(low, max(high, low + 1e-3), 40)
        scale = "linear scale"
    ax.hist(ms, bins=list(bins), color="tab:blue", alpha=0.8)
    for p, style in ((50, "-"), (95, "--"), (99, ":")):
        value = float(ms.quantile(p / 100))
        ax.axvline(value, color="black", linestyle=style, label=f"p{p} = {value:.1f} ms")
    ax.set_xlabel(f"latency (ms, {scale})")
    ax.set_ylabel("requests")
    ax.set_title(title or f"How long did {len(frame)} requests take?")
    legend_outside(ax)
    return ax.figure  # type: ignore[return-value]


def plot_latency_over_time(
    result: LoadResult,
    *,
    window_s: float = 1.0,
    faults: Sequence[FaultWindow] | None = None,
    ax: Axes | None = None,
    title: str | None = None,
) -> Figure:
    """Does latency change while a fault is on? p50 / p95 / p99 per window."""
    table = latency_percentiles(result, window_s)
    ax = axes_or_new(ax)
    shade_faults(ax, faults, result.started, result.duration_s)
    colours = {"p50": "tab:blue", "p95": "midnightblue", "p99": "black"}
    for column, style in zip(["p50", "p95", "p99"], ["-", "--", ":"], strict=True):
        step_windows(ax, table["t"], table[column], window_s, linestyle=style, color=colours[column], label=column)
    # With a shared y axis (side-by-side panels, sharey=True) the limits fit every panel's lines.
    siblings = ax.get_shared_y_axes().get_siblings(ax)
    drawn = [np.asarray(line.get_ydata(), dtype=float) for axes in siblings for line in axes.lines]
    values = np.concatenate(drawn) if drawn else np.array([])
    values = values[np.isfinite(values)]
    if values.size and scale_for_range(ax, "y", float(values.min()), float(values.max())):
        ax.set_ylim(values.min() / 1.3, values.max() * 1.3)
    else:
        ax.set_ylim(0, max(float(values.max(initial=0)), 1e-3) * 1.08)
    ax.set_xlim(0, max(result.duration_s, float(table["t"].to_numpy().max(initial=0)) + window_s))
    ax.set_xlabel("time since load started (s)")
    ax.set_ylabel(f"latency per {window_s:g} s window (ms)")
    ax.set_title(title or "Does latency rise while a dependency misbehaves?")
    legend_outside(ax)
    return ax.figure  # type: ignore[return-value]


def plot_rates(
    result: LoadResult,
    *,
    window_s: float = 1.0,
    faults: Sequence[FaultWindow] | None = None,
    ax: Axes | None = None,
    title: str | None = None,
) -> Figure:
    """Requests/s and errors/s over time (errors = 5xx or no answer)."""
    table = windowed_rates(result, window_s)
    ax = axes_or_new(ax)
    shade_faults(ax, faults, result.started, result.duration_s)
    step_windows(ax, table["t"], table["rate"], window_s, color="tab:blue", label="requests/s")
    step_windows(ax, table["t"], table["error_rate"], window_s, color="tab:red", label="errors/s (5xx or no answer)")
    ax.set_ylim(0, max(float(table["rate"].max()), 1) * 1.08)
    ax.set_xlim(0, max(result.duration_s, float(table["t"].to_numpy().max(initial=0)) + window_s))
    ax.set_xlabel("time since load started (s)")
    ax.set_ylabel(f"requests per second ({window_s:g} s windows)")
    ax.set_title(title or "How many requests fail, and when?")
    legend_outside(ax)
    return ax.figure  # type: ignore[return-value]


def plot_status_mix(result: LoadResult, *, ax: Axes | None = None, title: str | None = None) -> Figure:
    """Which status codes did clients get? (0 = no HTTP answer)."""
    frame = result.to_frame()
    counts = frame["status"].value_counts().sort_index()
    ax = axes_or_new(ax, (6, 3.2))
    colours = ["tab:green" if s < 400 and s else "tab:orange" if 400 <= s < 500 else "tab:red" for s in counts.index]
    bars = ax.bar([str(s) for s in counts.index], counts.to_list(), color=colours)
    ax.bar_label(bars, labels=[f"{100 * v / len(frame):.1f}%" for v in counts.values])
    ax.set_xlabel("HTTP status (0 = no answer)")
    ax.set_ylabel("requests")
    errors = error_mask(frame).mean() * 100
    ax.set_title(title or f"What did clients get back? ({errors:.1f}% errors)")
    return ax.figure  # type: ignore[return-value]


def plot_request_latencies(
    runs: Mapping[str, LoadResult],
    *,
    faults: Sequence[FaultWindow] | None = None,
    slow_s: float | None = None,
    title: str | None = None,
) -> Figure:
    """One panel per run, one dot per request: when it was due and how long it took.

    Percentiles hide how *many* requests met a stall; dots show it. ``faults``
    are shaded in each panel where they fall inside its run; ``slow_s`` draws a line.
    """
    if not isinstance(runs, Mapping) or not runs or not all(isinstance(r, LoadResult) for r in runs.values()):
        raise TypeError("runs maps a name to a LoadResult, e.g. {'open loop': lab.load(...)}")
    size = (5.2 * len(runs), 4.0)
    figure, grid = plt.subplots(1, len(runs), figsize=size, sharey=True, squeeze=False, layout="constrained")
    axes = grid[0]
    for ax, (name, run) in zip(axes, runs.items(), strict=True):
        frame = run.to_frame()
        shade_faults(ax, faults, run.started, run.duration_s)
        ax.plot(frame["t"], frame["latency_s"] * 1000, ".", color="tab:blue", alpha=0.7, label="one request")
        if slow_s is not None:
            slow = int((frame["latency_s"] > slow_s).sum())
            ax.axhline(slow_s * 1000, color="black", linestyle=":", label=f"{slow_s:g} s")
            name = f"{name}\n{slow} of {len(frame)} requests above {slow_s:g} s"
        ax.set_yscale("log")
        ax.set_xlim(0, run.duration_s)
        ax.set_xlabel("time the request was due (s since the run started)")
        ax.set_title(name, fontsize="medium")
    axes[0].set_ylabel("latency (ms, log scale)")
    # One legend for every panel, under them, where it hides no dot.
    handles, labels = axes[0].get_legend_handles_labels()
    figure.legend(handles, labels, loc="outside lower center", ncols=len(labels), fontsize="small")
    figure.suptitle(title or "Same stall, two clients: how many requests met it?")
    return figure
