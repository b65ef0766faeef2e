"""Pictures of traces: one request as a waterfall, many requests per service."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from ..tracing import SpanRecord, trace_tree
from .base import SERVICE_COLOURS, axes_or_new

__all__ = ["plot_service_latency", "plot_trace_waterfall"]


def _span_label(span: SpanRecord) -> str:
    route = span.attributes.get("http.route")
    if span.kind == "SERVER" and route:
        return f"{span.service}: {span.attributes.get('http.request.method', '')} {route}"
    return f"{span.service}: {span.name}"


def _error_text(span: SpanRecord) -> str:
    code = span.attributes.get("http.response.status_code")
    return span.status_message or (f"HTTP {code}" if code else "error")


def plot_trace_waterfall(
    spans: Sequence[SpanRecord], trace_id: str | None = None, *, ax: Axes | None = None, title: str | None = None
) -> Figure:
    """Where did one request spend its time? One bar per span, children under parents.

    ``trace_id`` defaults to the newest trace. Bars are coloured by service;
    spans with error status are hatched and marked ✗.
    """
    tree = trace_tree(spans, trace_id)
    ax = axes_or_new(ax, (9, 0.45 * len(tree) + 1.4))
    t0 = min(span.start for _, span in tree)
    for row, (_, span) in enumerate(tree):
        start_ms = (span.start - t0) * 1000
        colour = SERVICE_COLOURS.get(span.service, "tab:olive")
        ax.barh(
            row,
            max(span.duration_ms, 0.05),
            left=start_ms,
            color=colour,
            alpha=0.85 if span.kind == "SERVER" else 0.45,
            hatch="//" if span.error else None,
            edgecolor="black" if span.error else colour,
        )
        ax.text(
            start_ms + span.duration_ms,
            row,
            f" {span.duration_ms:.1f} ms" + (f"  ✗ {_error_text(span)}" if span.error else ""),
            va="center",
            fontsize=8,
            color="darkred" if span.error else "black",
        )
    labels = ["    " * depth + _span_label(span) for depth, span in tree]
    ax.set_yticks(range(len(tree)), labels, fontsize=8)
    # Left-aligned, so the indentation shows the nesting; the pad (points) makes room.
    ax.tick_params(axis="y", pad=4.6 * max(len(label) for label in labels))
    for tick in ax.get_yticklabels():
        tick.set_horizontalalignment("left")
    ax.invert_yaxis()  # the root at the top, as trace viewers draw it
    total = max(span.end for _, span in tree) - t0
    ax.set_xlim(0, total * 1000 * 1.45)  # room for the duration labels
    ax.set_xlabel("time since the request began (ms)")
    ax.set_ylabel("span (indented under its parent)")
    services = list(dict.fromkeys(span.service for _, span in tree))
    ax.legend(
        handles=[Patch(color=SERVICE_COLOURS.get(s, "tab:olive"), label=s) for s in services],
        loc="upper center",
        bbox_to_anchor=(0.5, -0.5 / len(tree) - 0.12),
        ncol=len(services),
        fontsize=8,
        frameon=False,
    )
    ax.set_title(title or f"Where did this request spend its {total * 1000:.0f} ms?")
    return ax.figure  # type: ignore[return-value]


def plot_service_latency(spans: Sequence[SpanRecord], *, ax: Axes | None = None, title: str | None = None) -> Figure:
    """Which service is slow? Time each service spent answering (its SERVER spans), over many traces."""
    servers = [s for s in spans if s.kind == "SERVER"]
    if not servers:
        raise ValueError("no SERVER spans: start the lab with tracing=True and send some requests first")
    services = [s for s in SERVICE_COLOURS if any(span.service == s for span in servers)]
    services += sorted({span.service for span in servers} - set(services))
    data = [[span.duration_ms for span in servers if span.service == s] for s in services]
    ax = axes_or_new(ax)
    parts = ax.boxplot(data, orientation="horizontal", patch_artist=True, showfliers=True, widths=0.6)
    for box, service in zip(parts["boxes"], services, strict=True):
        box.set_facecolor(SERVICE_COLOURS.get(service, "tab:olive"))
        box.set_alpha(0.6)
    ax.set_yticks(range(1, len(services) + 1), [f"{s}\n({len(d)} spans)" for s, d in zip(services, data, strict=True)])
    ax.set_xscale("log")
    ax.invert_yaxis()
    ax.set_xlabel("time answering a request (ms, log scale)")
    ax.set_ylabel("service")
    medians = {s: float(np.median(d)) for s, d in zip(services, data, strict=True)}
    ax.set_title(title or "Which service is slow? Time each one spent answering")
    ax.grid(axis="x", alpha=0.3)
    for row, service in enumerate(services, start=1):
        ax.text(medians[service], row - 0.38, f"median {medians[service]:.1f} ms", fontsize=8, ha="center")
    return ax.figure  # type: ignore[return-value]
