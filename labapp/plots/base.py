"""What every plot shares: a new axes when none is given, shaded fault windows, legends off the data."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import matplotlib.pyplot as plt
from matplotlib.axes import Axes
from matplotlib.legend import Legend
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter
from matplotlib.transforms import ScaledTranslation

from ..faults import FaultWindow

__all__ = [
    "FAULT_COLOURS",
    "FAULT_HATCHES",
    "SERVICE_COLOURS",
    "axes_or_new",
    "legend_outside",
    "scale_for_range",
    "shade_faults",
    "step_windows",
    "with_lane",
]

# One colour per service, everywhere: waterfalls and per-service plots.
SERVICE_COLOURS = {
    "notebook": "tab:gray",
    "shop": "tab:blue",
    "catalog": "tab:green",  # not red: red reads as "error" in a waterfall
    "recommender": "tab:purple",
    "payments": "tab:orange",
}

# Fault shading: one colour per (service, fault) in the order they appear in a
# plot. No green (reads as "good"), and no blue or red, the colours of the data
# lines drawn over the shading (requests, errors).
FAULT_COLOURS = ("tab:orange", "tab:purple", "tab:brown", "tab:pink", "tab:gray", "tab:cyan", "gold", "black")
# ... and a hatch per kind of fault, so two faults still differ in grey print.
FAULT_HATCHES = {"outage": "xx", "latency": "..", "errors": "//"}


def axes_or_new(ax: Axes | None, size: tuple[float, float] = (8, 3.6)) -> Axes:
    if ax is not None:
        return ax
    _, new = plt.subplots(figsize=size, layout="constrained")
    return new


def _hatch(label: str) -> str | None:
    for word, hatch in FAULT_HATCHES.items():
        if word in label:
            return hatch
    return None


def shade_faults(ax: Axes, faults: Sequence[FaultWindow] | None, t0: float, t_end: float | None = None) -> None:
    """Shade each fault window on ``ax`` (x in seconds since ``t0``) and label it.

    Each distinct service and fault gets its own colour (never green) and a
    hatch for its kind (outage, latency, errors); the legend names each once.
    """
    colours: dict[str, str] = {}
    for w in faults or ():
        start = w.start - t0
        end = (w.end if w.end is not None else (t0 + (t_end or start + 1))) - t0
        if end < 0:
            continue
        label = f"{w.service}: {w.label}"
        first = label not in colours
        if first:
            colours[label] = FAULT_COLOURS[len(colours) % len(FAULT_COLOURS)]
        ax.axvspan(
            max(start, 0),
            end,
            facecolor=colours[label],
            edgecolor=colours[label],
            hatch=_hatch(w.label),
            linewidth=0,
            alpha=0.18,
            label=f"fault: {label}" if first else None,
        )


def legend_outside(ax: Axes, *, below: bool | None = None, **kwargs: Any) -> Legend:
    """A legend outside the plotting area, where it hides no data.

    To the right of the axes; below it when ``below`` is true or, by default,
    when the axes shares its row with others (side-by-side panels), so the
    panels keep their width. Constrained
    layout (``axes_or_new``) or Jupyter's tight bounding box makes room for it;
    ``kwargs`` go to :meth:`Axes.legend`.
    """
    if below is None:
        spec = ax.get_subplotspec()
        below = spec is not None and spec.get_gridspec().ncols > 1
    options: dict[str, Any] = {"fontsize": "small", "borderaxespad": 0}
    if below:
        # below the tick labels and the x label: a fixed distance, whatever the axes' height
        offset = ax.transAxes + ScaledTranslation(0, -0.5, ax.figure.dpi_scale_trans)
        options |= {"loc": "upper center", "bbox_to_anchor": (0.5, 0), "bbox_transform": offset, "ncol": 3}
    else:
        options |= {"loc": "upper left", "bbox_to_anchor": (1.01, 1)}
    options.update(kwargs)
    return ax.legend(**options)


def scale_for_range(ax: Axes, axis: str, low: float, high: float, *, ratio: float = 10.0) -> bool:
    """A log scale on ``axis`` ("x" or "y") only when ``high / low`` spans ``ratio`` or more; True if log.

    Over a narrow range (5 to 12 ms) a log axis has one labelled decade at
    best, and matplotlib labels the minor ticks in another notation (6×10⁰
    beside 10): a linear axis reads better there. Log-axis ticks read as plain
    numbers (10, 20, 50, 100), minor ticks unlabelled.
    """
    target = ax.xaxis if axis == "x" else ax.yaxis
    if low <= 0 or high / low < ratio:
        return False
    (ax.set_xscale if axis == "x" else ax.set_yscale)("log")
    # 1, 2, 5 per decade over a few decades, so a log axis has more than two labels
    target.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0) if high / low < 1000 else (1.0,)))
    target.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
    target.set_minor_formatter(NullFormatter())
    return True


def step_windows(ax: Axes, starts: Sequence[float], values: Sequence[float], window_s: float, **kwargs: Any) -> None:
    """Draw one value per window as a flat step from the window's start to its end.

    A line through window midpoints would seem to rise before the window that
    holds the change; a step changes exactly at the window boundary.
    """
    x = [float(s) for s in starts]
    y = [float(v) for v in values]
    if x:
        x.append(x[-1] + window_s)
        y.append(y[-1])
    ax.step(x, y, where="post", **kwargs)


def with_lane(ax: Axes | None, size: tuple[float, float], lane_share: float) -> tuple[Axes, Axes]:
    """A main axes and a shorter one under it sharing x (a lane of states, or a second quantity).

    Two stacked panels read better than two y axes on one panel. With no
    ``ax``, a new figure of ``size`` with the lane taking ``lane_share`` of
    its height; with an ``ax``, the lane is drawn under it, inside its figure.
    """
    if ax is None:
        _, (main, lane) = plt.subplots(
            2, 1, figsize=size, sharex=True, height_ratios=[1 - lane_share, lane_share], layout="constrained"
        )
        return main, lane
    lane = ax.inset_axes((0.0, -0.3 - lane_share, 1.0, lane_share), sharex=ax)
    ax.tick_params(labelbottom=False)
    return ax, lane
