"""One function per picture. Each returns the matplotlib Figure it drew on.

Times on the x axis are seconds since the load run started; fault windows from
``lab.fault_windows()`` are shaded so cause and effect sit side by side.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import ScalarFormatter

from ..analysis import burn_rate, error_mask, latency_percentiles, windowed_rates
from ..lab import FaultWindow
from ..load import LoadResult
from .base import axes_or_new, shade_faults
from .ratelimit import plot_allowed_by_client, plot_window_strategies
from .resilience import plot_breaker_timeline
from .traces import plot_service_latency, plot_trace_waterfall

__all__ = [
    "plot_alert_timeline",
    "plot_allowed_by_client",
    "plot_breaker_timeline",
    "plot_bucket_comparison",
    "plot_budget_burn",
    "plot_latency_histogram",
    "plot_latency_over_time",
    "plot_query",
    "plot_rates",
    "plot_series",
    "plot_series_counts",
    "plot_service_latency",
    "plot_status_mix",
    "plot_trace_waterfall",
    "plot_uptime",
    "plot_window_strategies",
]


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
    ax.legend()
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
        ax.set_ylim(0, max(ax.get_ylim()[1], 1e-9) * 1.3)  # from zero, headroom for the legend
    ax.set_xlabel("time since start (s)")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    if len(frame):
        ax.legend(loc="upper left", fontsize="small")
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
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.22), ncol=3, fontsize="small")
    return ax.figure  # type: ignore[return-value]


def plot_series(
    lines: dict[str, tuple[Sequence[float], Sequence[float]]],
    *,
    title: str,
    ylabel: str,
    xlabel: str = "time since load started (s)",
    faults: Sequence[FaultWindow] | None = None,
    t0: float | None = None,
    threshold: float | None = None,
    ax: Axes | None = None,
) -> Figure:
    """Several (x, y) lines on one axes, e.g. one quantity computed three ways."""
    ax = axes_or_new(ax)
    if t0 is not None:
        shade_faults(ax, faults, t0)
    for (label, (x, y)), style in zip(lines.items(), ["-", "--", ":", "-."] * 3, strict=False):
        ax.plot(list(x), list(y), style, marker=".", label=label)
    if threshold is not None:
        ax.axhline(threshold, color="black", linewidth=0.8, label=f"threshold {threshold:g}")
    ax.set_ylim(bottom=0, top=ax.get_ylim()[1] * 1.3)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend(loc="upper left", fontsize="small")
    return ax.figure  # type: ignore[return-value]


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
