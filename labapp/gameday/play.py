"""A game day in progress: busy traffic, a decoy, then the hidden fault, all on one timeline."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..arguments import number
from ..load import LoadResult, LoadRun, Target, checkout, get
from ..shop.clients import TOP_WINDOW_S
from .events import Event, make_event
from .scenarios import Incident

if TYPE_CHECKING:
    from ..lab import Lab

__all__ = ["GameDayRun", "QUIET_S", "RATE_LAG_S", "STALL_S", "Window", "crowd_mix"]

WARMUP_S = 2.0  # the first seconds of traffic, before rates have a full window
RATE_LAG_S = 5.0  # the [5s] rate window of the scenarios' queries: a change shows this late, and lingers
# The longest look-back of any scenario's signal (the top-clients gauge's window): a new baseline
# starts this long after the last fault, or that fault still shows in it.
QUIET_S = max(RATE_LAG_S, TOP_WINDOW_S)
# The crowd's 95th percentile before any fault, over which the baseline is not quiet: the shop answers in
# tens of ms on a quiet machine, and a stall (another process, a cold start) lingers in every [5s] window.
STALL_S = 0.25


@dataclass(frozen=True)
class Window:
    """A stretch of wall-clock time, Unix seconds."""

    start: float
    end: float

    def __contains__(self, t: float) -> bool:
        return self.start <= t <= self.end

    @property
    def seconds(self) -> float:
        return self.end - self.start


def crowd_mix(mix: dict[str, float]) -> dict[str | Target, float]:
    """The innocent crowd's requests: paths, and ``checkout`` for a purchase."""
    return {(checkout() if path == "checkout" else get(path)): weight for path, weight in mix.items()}


class GameDayRun:
    """Plays ``incident`` on ``lab``: the crowd's traffic for ``duration_s``, the decoy, then the fault.

    ``time_scale`` below 1 plays the same timeline faster (tests, a quick demo).
    The fault stays on until the traffic ends; :meth:`~GameDay.mitigate` replays it.
    """

    def __init__(self, lab: Lab, incident: Incident, *, duration_s: float = 36.0, time_scale: float = 1.0) -> None:
        number("time_scale", time_scale, minimum=0.25, maximum=1.0)
        number("duration_s", duration_s, above=0, maximum=90, unit="seconds")
        start_s = incident.truth.start_s * time_scale
        if duration_s < start_s + 8:
            raise ValueError(f"duration_s={duration_s} leaves under 8 s of fault after its start at {start_s:g} s")
        if duration_s > 90:
            raise ValueError(f"keep a game day's traffic under 90 s, got duration_s={duration_s}")
        self.lab, self.incident = lab, incident
        self.duration_s, self.time_scale = duration_s, time_scale
        self.fault: Event = make_event(incident.fault)
        self.decoy: Event = make_event(incident.decoy)
        self.started: float | None = None
        self.marks: dict[str, float] = {}  # fault_start, fault_end, decoy_start, decoy_end (Unix s)
        self.crowd: LoadRun | None = None
        self.result: LoadResult | None = None  # the crowd's records, once the traffic is over
        self._cancel = threading.Event()
        self._thread: threading.Thread | None = None
        self._active: list[Event] = []
        self._lock = threading.Lock()

    # -- playing ----------------------------------------------------------------------

    def start(self) -> GameDayRun:
        lab, incident, scale = self.lab, self.incident, self.time_scale
        traffic = incident.traffic
        self.crowd = lab.start_load(
            rate=traffic.rate, duration_s=self.duration_s, targets=crowd_mix(traffic.mix), clients=traffic.clients
        )
        self.started = time.time()
        decoy_at = float(incident.decoy.get("at_s", 0)) * scale
        decoy_for = float(incident.decoy.get("for_s", 3)) * scale
        fault_at = incident.truth.start_s * scale
        steps: list[tuple[float, Callable[[], None]]] = [
            (decoy_at, lambda: self._begin("decoy", self.decoy, decoy_for)),
            (decoy_at + decoy_for, lambda: self._end("decoy", self.decoy)),
            (fault_at, lambda: self._begin("fault", self.fault, self.duration_s - fault_at)),
            (self.duration_s, lambda: self._end("fault", self.fault)),
        ]
        self._thread = threading.Thread(target=self._play, args=(sorted(steps, key=lambda s: s[0]),), daemon=True)
        self._thread.start()
        return self

    def _play(self, steps: list[tuple[float, Callable[[], None]]]) -> None:
        assert self.started is not None
        for offset, step in steps:
            # A schedule to keep: each step at its offset; cancel() ends the wait at once.
            if self._cancel.wait(max(0.0, self.started + offset - time.time())):
                break
            step()
        self._stop_active()

    def _begin(self, name: str, event: Event, for_s: float) -> None:
        event.start(self.lab, for_s)
        with self._lock:
            self._active.append(event)
        self.marks[f"{name}_start"] = time.time()

    def _end(self, name: str, event: Event) -> None:
        with self._lock:
            if event not in self._active:
                return
            self._active.remove(event)
        event.stop(self.lab)
        self.marks[f"{name}_end"] = time.time()

    def _stop_active(self) -> None:
        with self._lock:
            active, self._active = self._active, []
        for event in reversed(active):
            event.stop(self.lab)

    def wait(self, timeout_s: float | None = None) -> LoadResult:
        """Until the traffic ends; the crowd's records."""
        if self.crowd is None or self._thread is None:
            raise RuntimeError("the game day has not started: call start() first")
        result = self.crowd.wait(timeout_s)
        self._thread.join(timeout=timeout_s)
        self.result = result
        return result

    def stop(self) -> None:
        """End the game day now: traffic, decoy and fault. Safe to call twice."""
        self._cancel.set()
        if self.crowd is not None:
            self.crowd.stop()
        if self._thread is not None:
            self._thread.join(timeout=15)
        self._stop_active()

    @property
    def done(self) -> bool:
        return self._thread is not None and not self._thread.is_alive()

    # -- the windows a checker compares ------------------------------------------------

    @property
    def fault_window(self) -> Window:
        """From when the fault had a full rate window to show in, to its end."""
        start, end = self._require("fault_start"), self.marks.get("fault_end", time.time())
        return Window(start + min(RATE_LAG_S, (end - start) / 2), end)

    @property
    def baseline_window(self) -> Window:
        """Before the fault, after the warm-up; without the decoy when enough is left."""
        assert self.started is not None
        start, end = self.started + WARMUP_S, self._require("fault_start")
        decoy_end = self.marks.get("decoy_end")
        if decoy_end is not None and end - (decoy_end + RATE_LAG_S) >= 3:
            start = max(start, decoy_end + RATE_LAG_S)
        return Window(start, end)

    def baseline_p95_s(self) -> float:
        """The crowd's 95th percentile response time before the fault, seconds, on its slowest route (of those
        with 20 requests or more), the decoy's requests left out.

        Per route, because the signals are: product pages (three hops) can be slow while the crowd's
        overall p95, mostly quicker routes, still looks quiet. Counted from a rate window before the baseline
        starts, since slow requests there still fill its windows. Over :data:`STALL_S` the machine was too
        busy for a quiet baseline: a slowdown may not stand out.
        """
        if self.result is None:
            raise RuntimeError("the game day's traffic is not over yet; wait for it (run.wait())")
        window, decoy = self.baseline_window, Window(self.marks.get("decoy_start", 0), self.marks.get("decoy_end", 0))
        by_route: dict[str, list[float]] = {}
        for r in self.result.records:
            if window.start - RATE_LAG_S <= r.sent <= window.end and not decoy.start - 1 <= r.sent <= decoy.end:
                by_route.setdefault(_route_of(r.path), []).append(r.service_time_s)
        counted = [times for times in by_route.values() if len(times) >= 20] or list(by_route.values())
        return max((_p95(times) for times in counted), default=0.0)

    @property
    def decoy_window(self) -> Window:
        return Window(self._require("decoy_start"), self._require("decoy_end"))

    def _require(self, mark: str) -> float:
        if mark not in self.marks:
            raise RuntimeError(f"the game day has not reached {mark.replace('_', ' ')} yet; wait for it (run.wait())")
        return self.marks[mark]

    def __repr__(self) -> str:
        state = "done" if self.done else ("running" if self._thread else "not started")
        return f"<GameDayRun {self.incident.title!r}: {state}, {self.duration_s:g} s of traffic>"


def _route_of(path: str) -> str:
    """The first segment of a path: /products/17?x=1 -> /products (a route, near enough, for the crowd's mix)."""
    return "/" + path.split("?", 1)[0].lstrip("/").split("/", 1)[0]


def _p95(times: list[float]) -> float:
    ordered = sorted(times)
    return ordered[int(0.95 * (len(ordered) - 1))]
