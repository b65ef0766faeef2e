"""Checkers for notebook 04 (error rates and alerts): an error ratio, an alert rule, a burn-rate page.

Each one runs what the learner wrote on synthetic counters, with the lab's
embedded PromQL engine and rule evaluator (the ones ``python -m labapp
test-rules`` runs promtool's test files with), and judges what comes out.
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

import yaml

from ..alerts.evaluator import AlertEvaluator, RuleEvaluationError, load_rules
from ..alerts.rules import rule_files
from ..observe.promql import PromQLError, evaluate, parse
from ..observe.store import SeriesStore
from .feedback import fail, ok

__all__ = ["check_error_rate_rule", "check_error_ratio", "check_fast_burn_alert"]

METRIC = "shop_http_requests_total"
# Each period: (seconds it lasts, {(route, status): requests per second}).
Period = tuple[float, Mapping[tuple[str, str], float]]


def _counters(periods: Sequence[Period], step_s: float) -> SeriesStore:
    """Counters scraped every ``step_s`` from time 0, growing at each period's per-second rates."""
    series = sorted({key for _, rates in periods for key in rates})
    store = SeriesStore(max_samples_per_series=100_000)
    totals = dict.fromkeys(series, 0.0)
    t = 0.0
    store.add(t, [(METRIC, {"route": r, "status": s}, 0.0) for r, s in series], {"job": "shop"})
    for length, rates in periods:
        for _ in range(round(length / step_s)):
            t += step_s
            for key in series:
                totals[key] += rates.get(key, 0.0) * step_s
            store.add(t, [(METRIC, {"route": r, "status": s}, totals[(r, s)]) for r, s in series], {"job": "shop"})
    return store


Rates = dict[tuple[str, str], float]


def _traffic(per_s: float, errors: Mapping[str, float], other: Mapping[str, float] | None = None) -> Rates:
    """``per_s`` requests a second over two routes: shares of ``errors`` and ``other`` statuses, the rest 200."""
    shares = {**errors, **(other or {})}
    out: Rates = {}
    for route, part in (("/products/{product_id}", 0.7), ("/checkout", 0.3)):
        out[(route, "200")] = per_s * part * (1 - sum(shares.values()))
        for status, share in shares.items():
            out[(route, status)] = per_s * part * share
    return out


def _run(
    expr: str, store: SeriesStore, at: float
) -> tuple[dict[tuple[tuple[str, str], ...], float] | None, str | None]:
    """The instant vector ``expr`` gives at ``at`` (labels -> value), or an error message."""
    try:
        value = evaluate(parse(expr), store, at)
    except PromQLError as exc:
        return None, f"the query does not run: {exc}"
    return ({(): value} if isinstance(value, float) else dict(value)), None


# --- Exercise 1: the error ratio -------------------------------------------------------------

# A minute with an old incident (20% 500s), then a minute of today's traffic: 5% 5xx
# (503 and 502), plus 404s and 429s that are not errors.
_RATIO_PERIODS: list[Period] = [
    (60.0, _traffic(50, {"500": 0.20}, {"404": 0.10, "429": 0.10})),
    (60.0, _traffic(100, {"503": 0.03, "502": 0.02}, {"404": 0.08, "429": 0.07})),
]
_RATIO_NOW = 0.05


def check_error_ratio(query: object) -> bool:
    """Exercise 1: the share of requests answered with a 5xx over the last 30 s, as a ratio (0 to 1)."""
    if not isinstance(query, str) or not query.strip():
        return fail(
            f"my_query = {query!r}", "write the PromQL as a string: errors over a window / all requests over it"
        )
    store = _counters(_RATIO_PERIODS, step_s=1.0)
    result, error = _run(query, store, 120.0)
    if result is None:
        return fail(str(error), 'check the brackets and quotes, e.g. a label matcher is {status=~"..."}')
    if len(result) != 1:
        return fail(
            f"the query gives {len(result)} series (one per route and status), not one ratio",
            "add up across the labels with sum(...) on BOTH sides of the division, then divide",
        )
    (value,) = result.values()
    story = "over the last 30 s, 5% of requests got a 5xx (503 or 502); 15% more got 404 or 429"
    if abs(value - _RATIO_NOW) < 0.002:
        return ok(f"{value:.1%}: only 5xx count, and only recent traffic ({story})")
    if abs(value - 100 * _RATIO_NOW) < 0.2:
        return fail(
            f"{value:.3g}: that is a percentage",
            "give the ratio, from 0 to 1, as alert rules compare it: drop the x 100",
        )
    if value > 0.15:
        return fail(
            f"{value:.1%}: too many requests count as errors ({story})",
            "only a 5xx is the service's failure; 404 and 429 are answers, so match the status 5xx only",
        )
    if value < 0.04:
        return fail(
            f"{value:.1%}: some 5xx are missing ({story})",
            "status is a string label: one regular expression must match every code from 500 to 599",
        )
    return fail(
        f"{value:.1%}: this is not the last 30 s ({story}; a minute ago 20% failed)",
        "take rate() or increase() over a window of 30 s on both counters: a ratio of totals since start "
        "(or over a long window) still remembers the old incident",
    )


# --- Exercise 2: the alert rule ----------------------------------------------------------------

_STEP_S = 30.0  # scrape and evaluation interval of the simulated Prometheus
_HEALTHY = _traffic(2, {}, {"404": 0.02})
_Scenario = tuple[str, list[Period], bool]


def _rule_scenarios() -> list[_Scenario]:
    """(story, timeline, should fire) for an "error rate above 5% for 5 minutes" page."""
    m = 60.0
    six = _traffic(2, {"503": 0.04, "500": 0.02}, {"404": 0.02})
    return [
        ("6% errors from minute 10 to minute 40", [(10 * m, _HEALTHY), (30 * m, six), (10 * m, _HEALTHY)], True),
        (
            "50% errors from minute 10 on (a dependency is down)",
            [(10 * m, _HEALTHY), (20 * m, _traffic(2, {"503": 0.5}))],
            True,
        ),
        ("4% errors from minute 10 on", [(10 * m, _HEALTHY), (30 * m, _traffic(2, {"503": 0.04}))], False),
        (
            "20% 404s and 10% 429s from minute 10 on, no 5xx",
            [(10 * m, _HEALTHY), (30 * m, _traffic(2, {}, {"404": 0.2, "429": 0.1}))],
            False,
        ),
        (
            "a 4-minute burst of 6% errors (minutes 10-14), then healthy",
            [(10 * m, _HEALTHY), (4 * m, six), (26 * m, _HEALTHY)],
            False,
        ),
    ]


def _firing_times(path: Path, periods: list[Period]) -> list[float]:
    """The evaluation times (s) at which any alert of the rule file fires, on this timeline."""
    store = _counters(periods, _STEP_S)
    evaluator = AlertEvaluator(store, load_rules(path), interval_s=_STEP_S)
    end = sum(length for length, _ in periods)
    times = []
    for step in range(int(end / _STEP_S) + 1):
        evaluator.evaluate(step * _STEP_S)
        if evaluator.firing():
            times.append(step * _STEP_S)
    return times


def check_error_rate_rule(rule_file: object) -> bool:
    """Exercise 2: a Prometheus rule file (YAML text) whose alert pages on "5xx above 5% for 5 minutes"."""
    if not isinstance(rule_file, str) or not rule_file.strip():
        return fail(
            f"my_rules = {rule_file!r}", "write the rule file as a YAML string: groups -> rules -> alert, expr, for"
        )
    try:
        document = yaml.safe_load(rule_file)
    except yaml.YAMLError as exc:
        return fail(f"this is not valid YAML: {exc}", "indent with spaces; put the expr in quotes or after 'expr: |'")
    groups = document.get("groups") if isinstance(document, dict) else None
    rules = [r for g in groups or [] if isinstance(g, dict) for r in g.get("rules") or [] if isinstance(r, dict)]
    if not rules or not all(isinstance(g, dict) and isinstance(g.get("rules"), list) for g in groups or [None]):
        return fail("no rules found", "a rule file is 'groups:', a list of groups with a 'name' and a list of 'rules'")
    if sum(1 for r in rules if "alert" in r) != 1:
        return fail(
            f"{sum(1 for r in rules if 'alert' in r)} alerting rules", "write exactly one rule with 'alert: <Name>'"
        )
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "my_rules.yml"
        path.write_text(rule_file)
        try:
            load_rules(path)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            return fail(
                f"the rules do not load: {type(exc).__name__}: {exc}",
                "each rule needs 'expr:' and either 'record:' or 'alert:'; 'for:' is a duration such as 90s or 2h",
            )
        for story, periods, should_fire in _rule_scenarios():
            try:
                fired = _firing_times(path, periods)
            except RuleEvaluationError as exc:
                return fail(f"a rule fails to evaluate: {exc}", "run the expression as a query first")
            if should_fire and not fired:
                return fail(
                    f"with {story}, it never fires",
                    "the expr must compute the 5xx ratio from shop_http_requests_total itself "
                    "(in the expr or a recording rule in the same file), as a ratio from 0 to 1",
                )
            if should_fire and fired[0] < 15 * 60:
                return fail(
                    f"with {story}, it fires {(fired[0] - 600) / 60:.1f} min after the errors begin",
                    "'for 5 minutes' means the condition must hold at every evaluation for 5 minutes first",
                )
            if should_fire and fired[0] > 25 * 60:
                return fail(
                    f"with {story}, it fires only {(fired[0] - 600) / 60:.1f} min after the errors begin",
                    "a long rate window adds its own delay; 5 minutes of window is enough",
                )
            if not should_fire and fired:
                return fail(f"with {story}, it fires (at minute {fired[0] / 60:.1f})", _why_not(story))
    return ok("fires on 5 minutes of 6% errors; quiet for a 4-minute burst, for 4%, and for 404s and 429s")


def _why_not(story: str) -> str:
    if "burst" in story:
        return "a short burst must not page: add the 'for:' clause of the rule"
    if "404" in story:
        return "404 and 429 are not the service failing: count only status 5xx in the numerator"
    return (
        "'above 5%' means 5% of ALL requests: add up errors and requests across every label before "
        "dividing, and compare the ratio (0 to 1) with five per cent"
    )


# --- Exercise 3: the fast-burn page -----------------------------------------------------------

_MIN = 60.0
_BUDGET_RATE = 14.4 * 0.005  # what a right answer pages above, on both windows


def _burn(minutes_ago_errors: Sequence[tuple[float, float, float]], total_min: float = 240) -> list[Period]:
    """A timeline of ``total_min`` minutes at 20 req/s; (from, to, share) error stretches in minutes before the end."""
    edges = sorted(
        {
            0.0,
            total_min,
            *(total_min - a for a, _, _ in minutes_ago_errors),
            *(total_min - b for _, b, _ in minutes_ago_errors),
        }
    )
    periods: list[Period] = []
    for start, end in zip(edges, edges[1:], strict=False):
        share = next((s for a, b, s in minutes_ago_errors if total_min - a <= start < total_min - b), 0.0)
        periods.append(((end - start) * _MIN, _traffic(20, {"503": share} if share else {})))
    return periods


_BURN_CASES: list[tuple[list[Period], bool, str]] = [
    (_burn([(70, 0, 0.10)]), True, "10% errors for the last 70 minutes: a 20x burn on both windows"),
    (_burn([(70, 0, 0.08)]), True, "8% errors for the last 70 minutes: just above 14.4x"),
    (_burn([(80, 10, 0.10)]), False, "the incident is over: 10% errors until 10 minutes ago, none since"),
    (_burn([(3, 0, 0.50)]), False, "a 3-minute spike of 50% that has not spent 2% of the budget yet"),
    (_burn([(240, 0, 0.02)]), False, "a slow burn of 2% for 4 hours: a ticket, not a page"),
    (_burn([(70, 0, 0.068)]), False, "6.8% for 70 minutes: just under 14.4x"),
    (_burn([(240, 0, 0.004)]), False, "0.4% errors: burning under budget"),
]


def _with_recorded(store: SeriesStore, at: float) -> SeriesStore:
    """Add the repository's recording rules' series (job:..:ratio_rate1h, ..5m) at ``at``, as Prometheus would."""
    evaluator = AlertEvaluator(store, load_rules(*rule_files()), interval_s=60.0)
    try:
        evaluator.evaluate(at)
    except RuleEvaluationError:
        pass  # the alerts are not the point here; the recorded series are written first
    return store


def check_fast_burn_alert(expr: object) -> bool:
    """Exercise 3: the fast-burn page condition for a 99.5% availability SLO, run on seven timelines."""
    if not isinstance(expr, str) or not expr.strip():
        return fail(
            f"my_fast_burn = {expr!r}",
            "write a PromQL condition as a string: a long-window ratio and a "
            "short-window ratio, each compared with the burn-rate threshold",
        )
    for periods, should_page, story in _BURN_CASES:
        at = sum(length for length, _ in periods)
        result, error = _run(expr, _with_recorded(_counters(periods, 60.0), at), at)
        if result is None:
            return fail(
                str(error), "it should look like: <1 h error ratio> > <threshold> and <5 min error ratio> > ..."
            )
        if should_page != bool(result):
            verb = "pages" if result else "stays quiet"
            return fail(
                f"with {story}, it {verb}",
                "the budget of a 99.5% SLO is the 0.5% of requests allowed to fail; a fast burn spends it "
                "14.4 times faster than allowed, on BOTH the 1 h and the 5 min window (and)",
            )
    return ok(f"pages exactly when both windows burn faster than 14.4 x 0.005 ({len(_BURN_CASES)} timelines)")
