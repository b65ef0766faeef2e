"""A live dashboard for the projector: fault controls per service, and the shop's numbers once a second.

``lab.dashboard()`` returns it; display it in a cell, then ``dash.start()``.
A background thread reads the shop's own metrics registry (no scraper needed),
computes request rate, error rate and p95 over the last second, and writes
them into widgets. It never prints: ipykernel 7 drops output written from a
thread that has not set its parent (ipywidgets #4020), so the thread only sets
widget values (a text line and a PNG of the last minute), which reach the
browser as widget updates from any thread.
"""

from __future__ import annotations

import io
import threading
import time
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from .arguments import number
from .faults import Fault

if TYPE_CHECKING:
    from .lab import Lab

__all__ = ["ChartRenderer", "LiveDashboard", "Tick"]

_SERVICES = ("catalog", "recommender", "payments")
# (when, requests, 5xx, latency buckets le -> cumulative count)
_Snapshot = tuple[float, float, float, dict[float, float]]


@dataclass(frozen=True)
class Tick:
    """One refresh: requests/s, % failed (5xx), p95 in ms over the last interval, and breaker state."""

    t: float
    rate: float
    error_pct: float
    p95_ms: float | None
    breaker: str


def _read(registry: Any) -> tuple[float, float, dict[float, float], str]:
    """One pass over the shop's registry: requests, 5xx, cumulative latency buckets (le -> count), breaker state."""
    total = errors = 0.0
    buckets: dict[float, float] = {}
    breaker = "none"
    for family in registry.collect():
        for sample in family.samples:
            if sample.name == "shop_http_requests_total":
                total += sample.value
                if str(sample.labels.get("status", "")).startswith("5"):
                    errors += sample.value
            elif sample.name == "shop_http_request_duration_seconds_bucket":
                le = float(sample.labels["le"])
                buckets[le] = buckets.get(le, 0.0) + sample.value
            elif sample.name == "shop_circuit_breaker_state" and sample.value == 1:
                breaker = str(sample.labels.get("state", "?"))
    return total, errors, buckets, breaker


def _p95(before: dict[float, float], after: dict[float, float]) -> float | None:
    """The 95th percentile of the requests between two bucket snapshots (upper bucket bound, in s)."""
    delta = sorted((le, after.get(le, 0.0) - before.get(le, 0.0)) for le in after)
    count = delta[-1][1] if delta else 0.0
    if count <= 0:
        return None
    return next((le for le, n in delta if n >= 0.95 * count), None)


class LiveDashboard:
    """Fault controls for each dependency and the shop's live numbers, refreshed every ``interval_s``."""

    def __init__(self, lab: Lab, interval_s: float = 1.0, window_s: float = 60.0) -> None:
        import ipywidgets as widgets

        number("interval_s", interval_s, above=0, maximum=60, unit="seconds")
        number("window_s", window_s, minimum=interval_s, unit="seconds (at least one interval)")
        self.lab = lab
        self.interval_s = interval_s
        self.ticks: deque[Tick] = deque(maxlen=int(window_s / interval_s) + 1)
        self.frames = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._renderer = ChartRenderer()
        self.numbers = widgets.HTML(value="<b>not started</b>: call <code>.start()</code>")
        self.chart = widgets.Image(format="png", layout=widgets.Layout(width="760px"))
        self.controls = {name: self._service_controls(name) for name in _SERVICES}
        heal = widgets.Button(description="heal all", button_style="success")
        heal.on_click(lambda _: self.heal())
        rows = [widgets.HBox([widgets.Label(name, layout=widgets.Layout(width="110px")), *parts])
                for name, parts in self.controls.items()]  # fmt: skip
        self.widget = widgets.VBox([*rows, heal, self.numbers, self.chart])

    def _service_controls(self, name: str) -> tuple[Any, Any, Any]:
        import ipywidgets as widgets

        # continuous_update=False: a fault changes when the slider is let go, not at every pixel.
        latency = widgets.FloatSlider(0.0, min=0, max=2, step=0.05, description="latency s", continuous_update=False)
        errors = widgets.FloatSlider(0.0, min=0, max=1, step=0.05, description="errors", continuous_update=False)
        outage = widgets.Checkbox(False, description="outage", indent=False)
        for control in (latency, errors, outage):
            control.observe(lambda _change, name=name: self._apply(name), names="value")
        return latency, errors, outage

    def _apply(self, name: str) -> None:
        latency, errors, outage = (control.value for control in self.controls[name])
        self.lab.inject(name, Fault(latency_s=latency, error_rate=errors, outage=outage))

    def heal(self) -> None:
        """Every fault off, and every control back to zero."""
        for name, (latency, errors, outage) in self.controls.items():
            with latency.hold_trait_notifications(), errors.hold_trait_notifications():
                latency.value, errors.value, outage.value = 0.0, 0.0, False
            self.lab.heal(name)

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)

    # -- the refresh thread ----------------------------------------------------

    def start(self, duration_s: float | None = None) -> LiveDashboard:
        """Refresh in the background until :meth:`stop` (or for ``duration_s``); returns at once."""
        if self._thread is not None and self._thread.is_alive():
            return self
        if duration_s is not None and duration_s <= 0:
            raise ValueError(f"duration_s is seconds to run (or None: until stop()), got {duration_s!r}")
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, args=(duration_s,), name="lab-dashboard", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop refreshing (the last numbers stay on screen). Safe to call twice."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
        self._thread = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _run(self, duration_s: float | None) -> None:
        started = time.monotonic()
        before = None
        while not self._stop.is_set():
            metrics = self.lab.metrics
            if metrics is not None:
                total, errors, buckets, breaker = _read(metrics.registry)
                now = (time.monotonic(), total, errors, buckets)
                if before is not None and now[1] >= before[1]:  # a restarted shop starts from 0: skip that tick
                    self._tick(before, now, breaker, now[0] - started)
                before = now
            if duration_s is not None and time.monotonic() - started >= duration_s:
                break
            self._stop.wait(self.interval_s)

    def _tick(self, before: _Snapshot, now: _Snapshot, breaker: str, t: float) -> None:
        # Per second of the time that really passed: a refresh can come late on a busy machine.
        elapsed, requests, errors = now[0] - before[0], now[1] - before[1], now[2] - before[2]
        p95 = _p95(before[3], now[3])
        tick = Tick(t, requests / elapsed, 100 * errors / requests if requests else 0.0,
                    None if p95 is None else 1000 * p95, breaker)  # fmt: skip
        self.ticks.append(tick)
        p95_text = "-" if tick.p95_ms is None else f"{tick.p95_ms:.0f} ms"
        faults = ", ".join(f"{k}: {v}" for k, v in self.lab.faults().items())
        self.numbers.value = (
            f"<b>{tick.rate:.0f} req/s</b> · errors <b>{tick.error_pct:.1f} %</b> · p95 ≤ <b>{p95_text}</b>"
            f" · payments breaker: <b>{tick.breaker}</b><br><small>{faults}</small>"
        )
        self.chart.value = self._renderer.render(self.ticks)
        self.frames += 1


class ChartRenderer:
    """The last minute as a PNG: requests/s and errors % on top, p95 below.

    Built once with a fixed layout, then only the lines' data change: a refresh costs
    ~65 ms of CPU here instead of ~200 ms for a new figure with a computed layout, time
    the shop's threads (in the same process) would otherwise lose.
    """

    def __init__(self) -> None:
        self.figure = Figure(figsize=(7.6, 3.2))
        FigureCanvasAgg(self.figure)
        self.top, self.bottom = self.figure.subplots(2, 1, sharex=True)
        self.figure.subplots_adjust(left=0.09, right=0.91, top=0.9, bottom=0.15, hspace=0.15)
        self.errors_axis = self.top.twinx()
        (self.rate,) = self.top.plot([], [], color="tab:blue")
        (self.errors,) = self.errors_axis.plot([], [], color="tab:red")
        (self.p95,) = self.bottom.plot([], [], color="tab:purple")
        self.top.set_ylabel("requests/s", color="tab:blue")
        self.errors_axis.set_ylabel("errors (%)", color="tab:red")
        self.errors_axis.set_ylim(0, 100)
        self.bottom.set_ylabel("p95 (ms)")
        self.bottom.set_xlabel("seconds since the dashboard started")
        self.top.set_title("Is the shop healthy right now?")

    def render(self, ticks: Iterable[Tick]) -> bytes:
        points = list(ticks)
        t = [p.t for p in points]
        self.rate.set_data(t, [p.rate for p in points])
        self.errors.set_data(t, [p.error_pct for p in points])
        self.p95.set_data(t, [p.p95_ms if p.p95_ms is not None else float("nan") for p in points])
        for axis, values in ((self.top, [p.rate for p in points]), (self.bottom, [p.p95_ms or 0 for p in points])):
            # From zero (a dip from 30 to 28 req/s must not look like a crash), with headroom above.
            axis.set_ylim(0, max([*values, 1.0]) * 1.15)
        if t:
            self.top.set_xlim(t[0], max(t[-1], t[0] + 10))  # at least 10 s wide: the first points are not a smear
        buffer = io.BytesIO()
        self.figure.savefig(buffer, format="png", dpi=80)
        return buffer.getvalue()
