"""GameDay: a hidden incident under busy traffic, a graded diagnosis, and a measured fix.

game = lab.game_day()                 # a scenario drawn for you
print(game.briefing)
game.play()                           # ~36 s of traffic; the fault is hidden in it
...investigate with PromQL, traces, logs...
game.grade(Diagnosis(service=..., mechanism=..., started_s=..., promql=..., trace_id=...))
game.mitigate(my_fix)                 # the fault again, your fix, and the SLO measured
game.reveal()
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import fields
from typing import TYPE_CHECKING, Any

import pandas as pd

from ..faults import FaultWindow
from ..health import HealthChecker
from ..logs import LogCapture
from ..observe import Watcher
from .events import make_event
from .evidence import Verdict, check_log_line, check_trace, compare, first_change
from .grade import START_TOLERANCE_S, Diagnosis, Grade, Part
from .mitigation import MitigationReport, fallbacks_served, judge
from .play import QUIET_S, STALL_S, GameDayRun, crowd_mix
from .scenarios import GAMEDAY_DIR, Incident, ScenarioSpec, client_address, load_scenario, scenario_names

if TYPE_CHECKING:
    from ..lab import Lab

__all__ = ["GameDay", "pick_scenario"]

HEALTH_INTERVAL_S = 0.5
SERVICE_HINT = "its signals may have moved, but as a symptom; ask about causes first"
MECHANISM_HINT = "look at the shape of the signal over time, and who sends what"

GOLDEN_SIGNALS = {
    "requests": "sum(rate(shop_http_requests_total[5s]))",
    "busiest_client": "max(shop_top_client_requests_per_second)",
    "errors": 'sum(rate(shop_http_requests_total{status=~"5.."}[5s])) / sum(rate(shop_http_requests_total[5s]))',
    "p95": "histogram_quantile(0.95, sum by (le) (rate(shop_http_request_duration_seconds_bucket[5s])))",
    "samples": 'scrape_samples_scraped{job="shop"}',
}


def pick_scenario(name: str, seed: int | None) -> ScenarioSpec:
    """``name``, or for ``"random"`` one scenario drawn from ``seed`` (else from the learner's name)."""
    if name != "random":
        return load_scenario(name)
    names = scenario_names(GAMEDAY_DIR)
    if seed is None:
        from ..exercises.puzzle import puzzle_rng

        return load_scenario(puzzle_rng("gameday").choice(names))
    return load_scenario(random.Random(seed).choice(names))


class GameDay:
    """One learner's game day on ``lab``. Made by :meth:`labapp.Lab.game_day`."""

    def __init__(
        self,
        lab: Lab,
        incident: Incident,
        watcher: Watcher,
        logs: LogCapture,
        *,
        duration_s: float = 36.0,
        time_scale: float = 1.0,
        quiet_at: float = 0.0,
    ) -> None:
        self.lab, self.incident, self.watcher, self.logs = lab, incident, watcher, logs
        # When the last fault has left every signal's window (Unix s): a baseline that began
        # sooner would count it, and a rise from there would hardly show.
        self.quiet_at = quiet_at
        self.run = GameDayRun(lab, incident, duration_s=duration_s, time_scale=time_scale)
        self.diagnosed_at: float | None = None
        self.mitigated_at: float | None = None
        # Health checks (notebook 03) on every service while the traffic runs.
        self.health: HealthChecker | None = None

    # -- what the learner sees -----------------------------------------------------------

    @property
    def briefing(self) -> str:
        return f"## {self.incident.title}\n\n{self.incident.briefing}"

    @property
    def started(self) -> float:
        """When the game day's traffic began (Unix seconds): ``started_s`` counts from here."""
        if self.run.started is None:
            raise RuntimeError("the game day has not started: call game.play()")
        return self.run.started

    def play(self, *, wait: bool = True) -> GameDay:
        """Start the traffic, the decoy and the hidden fault; with ``wait`` return when the traffic ends.

        Playing again (a re-run cell) replays the same incident from the start, on fresh records.
        """
        if self.run.started is not None:
            if not self.run.done:
                raise RuntimeError("the game day is still playing: wait for it (game.wait()) before playing again")
            self.run = GameDayRun(
                self.lab, self.incident, duration_s=self.run.duration_s, time_scale=self.run.time_scale
            )
            self.diagnosed_at = self.mitigated_at = None
        if (wait_s := self.quiet_at - time.time()) > 0:
            print(f"Waiting {wait_s:.0f} s for the last fault to leave the signals' windows (up to {QUIET_S:g} s)...")
            time.sleep(wait_s)  # a known time, not a hope: no signal looks back further than QUIET_S
        self.logs.clear()
        if self.lab.tracing is not None:
            self.lab.tracing.clear()
        targets = {"shop /ready": self.lab.url + "/ready"}
        targets |= {f"{name} /health": url + "/health" for name, url in self.lab.service_urls.items()}
        self.health = HealthChecker(targets, interval_s=HEALTH_INTERVAL_S, timeout_s=0.5).start()
        self.run.start()
        if wait:
            self.wait()
        return self

    def wait(self) -> GameDay:
        """Until the traffic ends; the health checks stop with it."""
        self.run.wait()
        self.quiet_at = time.time() + QUIET_S
        if self.health is not None:
            self.health.stop()
        if self.baseline_disturbed:
            print(
                f"Note: this machine was busy before the fault: customers waited {self.run.baseline_p95_s():.2f} s"
                " at the 95th percentile on their slowest route (tens of ms when quiet), so a slowdown may not stand"
                " out against this baseline. If right evidence shows 'no clear rise', play again: game.play()"
            )
        return self

    @property
    def baseline_disturbed(self) -> bool:
        """Whether a stall of the machine spoiled the quiet baseline the evidence is compared with."""
        return self.run.result is not None and self.run.baseline_p95_s() > STALL_S

    def health_probes(self) -> pd.DataFrame:
        """Every health probe of the run (``HealthChecker.to_frame()``), for ``plots.plot_uptime``."""
        if self.health is None:
            raise RuntimeError("the game day has not started: call game.play()")
        return self.health.to_frame(since=self.started)

    # -- grading ---------------------------------------------------------------------------

    def grade(self, diagnosis: Diagnosis) -> Grade:
        """Grade each part of ``diagnosis``, re-running its evidence over this game day's records."""
        if not isinstance(diagnosis, Diagnosis):
            raise TypeError(
                f"grade() takes a Diagnosis(service=..., mechanism=..., ...), got {type(diagnosis).__name__}"
            )
        if not self.run.done:
            raise RuntimeError("the game day's traffic is still running: wait for it (game.wait()) before a diagnosis")
        truth = self.incident.truth
        parts = [self._grade_service(diagnosis), self._grade_mechanism(diagnosis), self._grade_start(diagnosis)]
        if truth.routes:
            parts.append(_grade_set("routes", diagnosis.routes, truth.routes, "route templates, e.g. '/items'"))
        if truth.clients:
            parts.append(_grade_set("clients", diagnosis.clients, truth.clients, "client addresses"))
        parts.append(self._grade_promql(diagnosis.promql))
        parts.append(self._grade_trace_or_log(diagnosis))
        grade = Grade(self.incident.name, tuple(parts))
        if grade.passed and self.diagnosed_at is None:
            self.diagnosed_at = time.time()
        return grade

    def _grade_service(self, d: Diagnosis) -> Part:
        return _grade_equal("service", d.service, self.incident.truth.service, SERVICE_HINT)

    def _grade_mechanism(self, d: Diagnosis) -> Part:
        return _grade_equal("mechanism", d.mechanism, self.incident.truth.mechanism, MECHANISM_HINT)

    def _grade_start(self, d: Diagnosis) -> Part:
        actual = self.run.marks["fault_start"] - self.started
        off = d.started_s - actual
        if abs(off) <= START_TOLERANCE_S:
            return Part("start", True, f"{d.started_s:g} s: within {START_TOLERANCE_S:g} s of the real start")
        decoy = self.run.marks.get("decoy_start")
        if decoy is not None and abs(d.started_s - (decoy - self.started)) <= START_TOLERANCE_S:
            return Part("start", False, f"{d.started_s:g} s is when something else happened: a decoy, not the cause")
        return Part(
            "start",
            False,
            f"{d.started_s:g} s is {'too early' if off < 0 else 'too late'} by more than {START_TOLERANCE_S:g} s",
        )

    def _grade_promql(self, query: str) -> Part:
        if not query.strip():
            return Part("PromQL evidence", False, "give a PromQL expression that shows the fault")
        try:
            change = compare(self.watcher, query, self.run.baseline_window, self.run.fault_window)
        except Exception as exc:  # the learner's PromQL: a parse error or an unsupported function, said plainly
            return Part("PromQL evidence", False, f"the query did not run: {exc}")
        if change.shows:
            return Part("PromQL evidence", True, change.explanation)
        return Part(
            "PromQL evidence",
            False,
            change.explanation + ": no clear rise (ask for what goes up in trouble: errors, latency, a client's rate)",
        )

    def _grade_trace_or_log(self, d: Diagnosis) -> Part:
        window = self.run.fault_window
        verdicts: list[Verdict] = []
        if d.trace_id:
            if self.lab.tracing is None:
                verdicts.append(Verdict(False, "this lab has no tracing: start it with Lab(tracing=True)"))
            else:
                # wait_s=0: the traffic is over; a trace still missing spans will stay so
                spans = self.lab.tracing.records(wait_s=0)
                verdicts.append(check_trace(spans, d.trace_id, self.incident, window))
        if d.log_line:
            verdicts.append(check_log_line(self.logs.lines(), d.log_line, self.incident, window))
        if not verdicts:
            return Part("trace or log evidence", False, "give a trace_id or a log_line that shows the fault")
        good = [v for v in verdicts if v.ok]
        return Part("trace or log evidence", bool(good), (good or verdicts)[0].explanation)

    # -- mitigation ------------------------------------------------------------------------

    def mitigate(
        self, fix: Callable[[Lab], Any], *, duration_s: float = 12.0, fix_at_s: float = 4.0
    ) -> MitigationReport:
        """Replay the fault under the same traffic, apply ``fix(lab)`` after ``fix_at_s``, measure the SLO.

        Afterwards the fault ends and the lab goes back as it was (switches,
        release and settings), so a second try starts clean.
        """
        if not callable(fix):
            raise TypeError(f"mitigate() takes a function of the lab, e.g. lambda lab: ..., got {fix!r}")
        if not 6 <= duration_s <= 40 or not 2 <= fix_at_s <= duration_s - 4:
            raise ValueError("need 6 <= duration_s <= 40 and 2 <= fix_at_s <= duration_s - 4")
        if not self.run.done:
            raise RuntimeError("the game day's traffic is still running: wait for it before a fix")
        lab, incident = self.lab, self.incident
        before = {f.name: getattr(lab.config, f.name) for f in fields(lab.config)}
        event = make_event(incident.fault)
        traffic = incident.traffic
        crowd = lab.start_load(
            rate=traffic.rate, duration_s=duration_s, targets=crowd_mix(traffic.mix), clients=traffic.clients
        )
        t0 = time.time()
        event.start(lab, duration_s)
        fallbacks_at_fix = 0.0
        try:
            # A schedule to keep, not a condition: the fault runs unmitigated for fix_at_s first.
            time.sleep(max(0.0, t0 + fix_at_s - time.time()))
            fallbacks_at_fix = fallbacks_served(lab)
            fixed_at = time.time()
            fix(lab)
            result = crowd.wait(duration_s + 30)
            series_after = self._series_now() if incident.slo == "series" else None
        finally:
            event.stop(lab)
            crowd.stop()
            self._restore(before)
            self.quiet_at = time.time() + QUIET_S
        degraded = fallbacks_served(lab) - fallbacks_at_fix if lab.metrics is not None else 0.0
        self.mitigated_at = fixed_at
        frame = result.to_frame()
        frame["phase"] = ["fault, no fix" if s < fixed_at else "fault, with fix" for s in frame["scheduled"]]
        series = (self._baseline_series(), self._fault_series(), series_after) if series_after is not None else None
        return judge(incident.slo, frame, fixed_at, self._baseline_frame(), degraded=degraded, series=series)

    def _series_now(self) -> float:
        self.watcher.wait_for_scrapes(2)
        frame = self.watcher.query('scrape_samples_scraped{job="shop"}')
        return float(frame["value"].sum()) if not frame.empty else float("nan")

    def _restore(self, before: dict[str, object]) -> None:
        lab = self.lab
        lab.controls.reset()
        lab.release.rollback()
        lab.heal()
        changed = {k: v for k, v in before.items() if getattr(lab.config, k) != v and k not in ("host", "shop_port")}
        if changed:
            lab.reconfigure(changed)

    def _baseline_frame(self) -> pd.DataFrame:
        assert self.run.result is not None
        frame = self.run.result.to_frame()
        window = self.run.baseline_window
        return frame[frame["scheduled"].between(window.start, window.end)]

    def _baseline_series(self) -> float:
        window = self.run.baseline_window
        frame = self.watcher.query_range('scrape_samples_scraped{job="shop"}', window.start, window.end)
        return float(frame.groupby("time")["value"].sum().median()) if not frame.empty else float("nan")

    def _fault_series(self) -> float:
        window = self.run.fault_window
        frame = self.watcher.query_range('scrape_samples_scraped{job="shop"}', window.start, window.end)
        return float(frame.groupby("time")["value"].sum().max()) if not frame.empty else float("nan")

    # -- looking -----------------------------------------------------------------------------

    def golden_signals(self) -> dict[str, pd.DataFrame]:
        """The shop's golden signals over the whole game day, one ``query_range`` frame each
        (the panels of :func:`labapp.plots.plot_game_day`)."""
        start = self.started
        end = self.run.marks.get("fault_end", time.time())
        return {key: self.watcher.query_range(query, start, end, step_s=1.0) for key, query in GOLDEN_SIGNALS.items()}

    def windows(self) -> list[FaultWindow]:
        """When the decoy and the fault were on: for the plot after :meth:`reveal`."""
        marks, i = self.run.marks, self.incident
        found = []
        if "decoy_start" in marks:
            found.append(FaultWindow("decoy", i.spec.decoy.what, marks["decoy_start"], marks.get("decoy_end")))
        if "fault_start" in marks:
            label = f"{i.truth.service} {i.truth.mechanism}"
            found.append(FaultWindow("cause", label, marks["fault_start"], marks.get("fault_end")))
        return found

    # -- after -------------------------------------------------------------------------------

    def times(self) -> dict[str, float | None]:
        """Time to detect (the scenario's first signal leaves its baseline), to diagnose
        (your first fully right grade) and to mitigate (your fix), in seconds after the fault began."""
        start = self.run.marks["fault_start"]
        detect = first_change(
            self.watcher, self.incident.detect_query.query, self.run.baseline_window, start, self.run.fault_window.end
        )
        return {
            "time_to_detect_s": detect,
            "time_to_diagnose_s": self.diagnosed_at - start if self.diagnosed_at else None,
            "time_to_mitigate_s": self.mitigated_at - start if self.mitigated_at else None,
        }

    def reveal(self) -> str:
        """The answer, the decoy, the signals that show it and the fixes that work, as Markdown."""
        i, t = self.incident, self.incident.truth
        actual = self.run.marks.get("fault_start", self.started + t.start_s) - self.started
        lines = [
            f"### {i.title}: what happened",
            f"- **Cause**: {t.service}, {t.mechanism} ({_describe(i.fault)}), from {actual:.1f} s",
        ]
        if t.routes:
            lines.append(f"- **Route**: {', '.join(t.routes)}")
        if t.clients:
            lines.append(f"- **Client**: {', '.join(t.clients)}")
        lines.append(f"- **Decoy**: {i.spec.decoy.what} (`{i.decoy_signal}`)")
        lines += [f"- **Signal**: `{s.query}`" for s in i.signals]
        lines += [f"- **Fix**: {f.what}" for f in i.fixes]
        return "\n".join(lines)

    def stop(self) -> None:
        self.run.stop()
        if self.health is not None:
            self.health.stop()

    def __repr__(self) -> str:
        return f"<GameDay {self.incident.title!r} (seed {self.incident.seed}): {self.run!r}>"


def _describe(params: dict[str, Any]) -> str:
    """The drawn values in words a learner can match: client identities as their addresses."""
    shown = {k: client_address(int(v)) if k == "client" else v for k, v in params.items() if k != "kind"}
    return ", ".join(f"{k}={v}" for k, v in shown.items())


def _grade_equal(name: str, given: str, truth: str, hint: str) -> Part:
    """One named part: right, or wrong with a hint that does not give the answer away."""
    return Part(name, True, f"{given}: right") if given == truth else Part(name, False, f"not {given}: {hint}")


def _grade_set(name: str, given: Any, truth: tuple[str, ...], what: str) -> Part:
    given_set, truth_set = set(given), set(truth)
    if given_set == truth_set:
        return Part(name, True, f"{', '.join(sorted(given_set))}: right")
    if not given_set:
        return Part(name, False, f"name the {what} at fault")
    if given_set > truth_set:
        return Part(name, False, f"too many: only {len(truth_set)} of those is at fault")
    return Part(name, False, f"{', '.join(sorted(given_set))}: not the one(s) at fault")
