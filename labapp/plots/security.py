"""Security findings by OWASP API Top 10 item, one bar per shop configuration."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from ..security.findings import Finding
from .base import axes_or_new, legend_outside

__all__ = ["plot_findings"]

_COLOURS = ("tab:red", "tab:blue", "tab:gray", "tab:orange")


def plot_findings(
    findings: Mapping[str, Sequence[Finding]], items: Sequence[str] = (), ax: Axes | None = None
) -> Figure:
    """Findings per OWASP item (rows) for each named scan (bars), e.g. ``{"vulnerable": ..., "hardened": ...}``.

    ``items`` lists the OWASP items to show even where no scan found anything
    (the ledger's), so an empty bar reads as "looked, found nothing".
    """
    if not findings:
        raise ValueError("plot_findings needs at least one scan: {'vulnerable': report.findings, ...}")
    ax = axes_or_new(ax, (9, 4.2))
    counts = {name: Counter(f.owasp.split(" (")[0] for f in found) for name, found in findings.items()}
    rows = list(dict.fromkeys([*(i.split(" (")[0] for i in items), *(k for c in counts.values() for k in c)]))
    rows.sort()
    y = np.arange(len(rows))
    height = 0.8 / len(findings)
    for i, (name, count) in enumerate(counts.items()):
        values = [count.get(row, 0) for row in rows]
        total = sum(values)
        bars = ax.barh(
            y + i * height, values, height, label=f"{name} ({total} findings)", color=_COLOURS[i % len(_COLOURS)]
        )
        ax.bar_label(bars, padding=2, fontsize=8)  # a "0" says "looked, found nothing"; an empty gap says nothing
    ax.set_yticks(y + height * (len(findings) - 1) / 2, rows)
    ax.invert_yaxis()
    ax.set_xlabel("findings (count)")
    ax.set_ylabel("OWASP risk")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_title("Which OWASP API Top 10 (2023) risks does each shop expose?")
    ax.grid(axis="x", alpha=0.3)
    legend_outside(ax, below=True)
    return ax.figure  # type: ignore[return-value]
