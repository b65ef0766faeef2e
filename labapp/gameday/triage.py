"""A first look, in a fixed order: the triage many on-call teams run before they think.

Each question is a PromQL query compared between the baseline and the fault
window. The order matters, because one cause shows in many places: a client
flooding the shop also slows every dependency (they share its CPU), a
retry storm also fails checkouts, a flapping payments service also fails the
checkout route. So ask about the causes first, the symptoms last:

1. Did the shop's own metrics grow? (a cardinality explosion)
2. Is one client sending far more than before, and than the others? (abuse,
   or a retry storm if checkouts fail at the same time)
3. Does one route fail while no dependency does? (a bad deploy)
4. Does a dependency fail? (steadily, or in runs: flapping)
5. Is a dependency slow?

The answer is a draft :class:`Diagnosis` with its evidence (the query, and a
trace from the fault window that shows it). A draft, not a verdict: read it
against the traces and logs before you sign it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from ..tracing import SpanRecord
from .evidence import Change, changes, first_change
from .grade import Diagnosis
from .play import WARMUP_S, Window

if TYPE_CHECKING:
    from .game import GameDay

__all__ = ["Finding", "TRIAGE_QUERIES", "failures_in_runs", "triage"]

TRIAGE_QUERIES = {
    "series": 'scrape_samples_scraped{job="shop"}',
    "clients": "shop_top_client_requests_per_second",
    "route_errors": 'sum by (route) (rate(shop_http_requests_total{status=~"5.."}[5s]))',
    "dependency_errors": 'sum by (service) (rate(shop_downstream_requests_total{outcome!="ok"}[5s]))',
    "dependency_latency": (
        "histogram_quantile(0.95, sum by (service, le) (rate(shop_downstream_request_duration_seconds_bucket[5s])))"
    ),
}


@dataclass(frozen=True)
class Finding:
    """What the triage saw for one question: the changes, biggest rise first."""

    question: str
    query: str
    changes: tuple[Change, ...]

    @property
    def top(self) -> Change | None:
        return self.changes[0] if self.changes and self.changes[0].shows else None


def failures_in_runs(statuses: Sequence[int]) -> tuple[float, float]:
    """(share of calls that failed, share that failed right after a failure), in arrival order.

    Independent failures (a share of calls fail) give two shares alike; a service
    that goes down and up fails in runs, so a failure is followed by another far
    more often than failures are common.
    """
    failed = [s >= 500 for s in statuses]
    if len(failed) < 2 or not any(failed):
        return 0.0, 0.0
    after_failure = [b for a, b in zip(failed, failed[1:], strict=False) if a]
    return sum(failed) / len(failed), (sum(after_failure) / len(after_failure) if after_failure else 0.0)


def triage(game: GameDay) -> tuple[Diagnosis | None, list[Finding]]:
    """Ask the questions in order; the first that shows a cause drafts the diagnosis."""
    # The triage does not know when the fault began: it compares the start of the
    # traffic (after the warm-up) with its last stretch, and finds the change point itself.
    started, end = game.started, game.run.marks.get("fault_end", game.started + game.run.duration_s)
    length = end - started
    baseline = Window(started + WARMUP_S, started + 0.3 * length)
    window = Window(started + 0.6 * length, end)
    findings = {
        name: Finding(name, query, tuple(changes(game.watcher, query, baseline, window)))
        for name, query in TRIAGE_QUERIES.items()
    }

    def draft(service: str, mechanism: str, query: str, **who: list[str]) -> Diagnosis:
        moved = first_change(game.watcher, query, baseline, baseline.end, window.end)
        begun = baseline.end + moved if moved is not None else window.start
        # wait_s=0: the traffic is over; a trace still missing spans will stay so
        spans = game.lab.tracing.records(wait_s=0) if game.lab.tracing is not None else []
        trace = _trace_for(spans, service, mechanism, begun + 2, window.end, **who)
        return Diagnosis(
            service, mechanism, round(begun - started, 1), who.get("routes", []), who.get("clients", []), query, trace
        )

    series, clients = findings["series"].top, _far_above_the_rest(findings["clients"])
    route, dep_errors = findings["route_errors"].top, findings["dependency_errors"].top
    slow = findings["dependency_latency"].top
    result: Diagnosis | None = None
    if series is not None:
        crawler = [clients.labels["client"]] if clients is not None else []
        result = draft("shop", "cardinality", TRIAGE_QUERIES["series"], crawler=crawler)
    elif clients is not None:
        client = clients.labels["client"]
        checkout_fails = route is not None and route.labels.get("route") == "/checkout"
        mechanism = "retry_storm" if checkout_fails or dep_errors is not None else "abusive_client"
        result = draft("shop", mechanism, f'shop_top_client_requests_per_second{{client="{client}"}}', clients=[client])
    elif route is not None and dep_errors is None:
        name = route.labels["route"]
        query = f'sum(rate(shop_http_requests_total{{route="{name}",status=~"5.."}}[5s]))'
        result = draft("shop", "bad_deploy", query, routes=[name])
    elif dep_errors is not None:
        service = dep_errors.labels["service"]
        share, after = failures_in_runs(_statuses(game, service, window.start, window.end))
        mechanism = "flapping" if after >= max(1.5 * share, share + 0.2) else "errors"
        query = f'sum(rate(shop_downstream_requests_total{{service="{service}",outcome!="ok"}}[5s]))'
        result = draft(service, mechanism, query)
    elif slow is not None:
        service = slow.labels["service"]
        query = (
            "histogram_quantile(0.95, sum by (le) "
            f'(rate(shop_downstream_request_duration_seconds_bucket{{service="{service}"}}[5s])))'
        )
        result = draft(service, "latency", query)
    return result, list(findings.values())


def _far_above_the_rest(finding: Finding, factor: float = 3.0) -> Change | None:
    """The client that rose and now sends ``factor`` times what the typical client sends, if any."""
    if not finding.changes:
        return None
    rates = sorted(c.during for c in finding.changes)
    typical = rates[len(rates) // 2]
    top = finding.changes[0]
    return top if top.shows and top.during >= factor * typical else None


def _statuses(game: GameDay, service: str, start: float, end: float) -> list[int]:
    """The service's answers in the window, in order, from its access log."""
    out = []
    for line in game.logs.lines():
        record = json.loads(line)
        if record.get("service") == service and "status" in record:
            at = datetime.fromisoformat(record["timestamp"]).timestamp()
            if start <= at <= end:
                out.append(int(record["status"]))
    return out


def _trace_for(
    spans: Sequence[SpanRecord],
    service: str,
    mechanism: str,
    start: float,
    end: float,
    *,
    routes: Sequence[str] = (),
    clients: Sequence[str] = (),
    crawler: Sequence[str] = (),
) -> str:
    """A trace from the window that shows the drafted fault: the slowest call, a failed one, the client's."""
    inside = [s for s in spans if start <= s.start <= end]
    status = lambda s: int(s.attributes.get("http.response.status_code", 0))  # noqa: E731
    shop = [s for s in inside if s.service == "shop" and s.kind == "SERVER"]
    if mechanism == "latency":
        own = [s for s in inside if s.service == service and s.kind == "SERVER"]
        return max(own, key=lambda s: s.duration_ms).trace_id if own else ""
    if mechanism in ("errors", "flapping"):
        return next((s.trace_id for s in inside if s.service == service and (s.error or status(s) >= 500)), "")
    if mechanism == "bad_deploy":
        return next((s.trace_id for s in shop if s.attributes.get("http.route") in routes and status(s) >= 500), "")
    who = set(clients) | set(crawler)
    return next((s.trace_id for s in shop if s.attributes.get("client.address") in who), "")
