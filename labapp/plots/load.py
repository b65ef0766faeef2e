"""Pictures of a load run: how long requests took, how many failed, and when."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import ScalarFormatter

from ..analysis import error_mask, latency_percentiles, windowed_rates
from ..faults import FaultWindow
from ..load import LoadResult
from .base import axes_or_new, shade_faults

__all__ = ["plot_latency_histogram", "plot_latency_over_time", "plot_rates", "plot_status_mix"]


def plot_latency_histogram(result: LoadResult, *, ax: Axes | None = None, title: str | None = None) -> Figure:
    """How are latencies spread, and where do p50 / p95 / p99 fall?"""
    frame = result.to_frame()
    ax = axes_or_new(ax)
    ms = frame["latency_s"] * 1000
    bins = np.logspace(math.log10(max(ms.min(), 0.1)), math.log10(max(ms.max(), 1.0)), 40)
    ax.hist(ms, bins=list(bins), color="tab:blue", alpha=0.8)
    ax.set_xscale("log")
    ax.xaxis.set_major_formatter(ScalarFormatter())
    for p, style in ((50, "-"), (95, "--"), (99, ":")):
        value = float(ms.quantile(p / 100))
        ax.axvline(value, color="black", linestyle=style, label=f"p{p} = {value:.1f} ms")
    ax.set_xlabel("latency (ms, log scale)")
    ax.set_ylabel("requests")
    ax.set_title(title or f"How long did {len(frame)} requests take?")
    ax.legend()
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
    for column, style in zip(["p50", "p95", "p99"], ["-", "--", ":"], strict=True):
        ax.plot(table["t"] + window_s / 2, table[column], style, marker=".", label=column)
    ax.set_yscale("log")
    ax.yaxis.set_major_formatter(ScalarFormatter())
    ax.set_ylim(top=ax.get_ylim()[1] * 3)  # headroom for the legend
    ax.set_xlabel("time since load started (s)")
    ax.set_ylabel(f"latency per {window_s:g} s window (ms)")
    ax.set_title(title or "Does latency rise while a dependency misbehaves?")
    ax.legend(loc="upper left", fontsize="small")
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
    x = table["t"] + window_s / 2
    ax.plot(x, table["rate"], marker=".", label="requests/s")
    ax.plot(x, table["error_rate"], marker=".", color="tab:red", label="errors/s (5xx or no answer)")
    ax.set_ylim(0, max(table["rate"].max(), 1) * 1.4)  # headroom for the legend
    ax.set_xlabel("time since load started (s)")
    ax.set_ylabel(f"requests per second ({window_s:g} s windows)")
    ax.set_title(title or "How many requests fail, and when?")
    ax.legend(loc="upper left", fontsize="small")
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
