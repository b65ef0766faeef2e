"""Exercises for notebook 05 (tracing): the slow hop, a manual span, a tail-sampling decision."""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence

from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from ..faults import latency
from ..lab import Lab
from ..tracing import SpanRecord, to_records
from .feedback import fail, ok
from .puzzle import puzzle_rng

__all__ = [
    "MYSTERY_DELAY_S",
    "SLOW_TRACE_MS",
    "check_manual_span",
    "check_slow_hop",
    "check_tail_sampler",
    "inject_mystery_latency",
]

MYSTERY_DELAY_S = 0.3
_SUSPECTS = ("catalog", "recommender", "payments")


# --- Exercise 1: the slow hop -------------------------------------------------------------------


def inject_mystery_latency(lab: Lab) -> None:
    """Make one dependency 0.3 s slower per request: which one differs from learner to learner."""
    if lab.tracing is None:
        raise ValueError("the exercise needs traces: start the lab with Lab(tracing=True)")
    lab.heal()
    suspect = puzzle_rng("nb05-slow-hop").choice(_SUSPECTS)
    lab.inject(suspect, latency(MYSTERY_DELAY_S))
    print("One of catalog, recommender and payments is now slow. Which one?")


def check_slow_hop(lab: Lab, answer: object) -> bool:
    """Exercise 1: name the slow service, having traced requests that reached it."""
    slow = [name for name, switch in lab.switches.items() if switch.fault]
    if len(slow) != 1 or lab.tracing is None:
        return fail("no mystery fault is on", "run inject_mystery_latency(lab) first")
    (culprit,) = slow
    if not isinstance(answer, str) or answer not in _SUSPECTS:
        return fail(f"slow_service = {answer!r}", f"name one service: one of {list(_SUSPECTS)}")
    since = lab.switches[culprit].history[-1].at
    seen = {
        r.service
        for r in lab.tracing.records()
        if r.kind == "SERVER" and r.start >= since and r.duration_ms >= MYSTERY_DELAY_S * 1000
    }
    if answer != culprit:
        if culprit not in seen:
            return fail(
                f"not {answer}; and none of your traces since the fault reached the slow service",
                "trace both a product page and a checkout: together they reach all three dependencies",
            )
        return fail(
            f"not {answer}: its spans are short",
            "a parent's bar includes its children's time; look for the longest bar with no long child",
        )
    if culprit not in seen:
        return fail("right, but no trace shows it", "send the requests through lab.tracing.client() and draw them")
    return ok(f"{culprit} it is: its server span takes about {MYSTERY_DELAY_S * 1000:.0f} ms in your traces")


# --- Exercise 2: a manual span ------------------------------------------------------------------


def _spans_of(
    function: Callable[..., object], product_id: int, cents: int, coupon: str
) -> tuple[object, list[SpanRecord], str]:
    """Call ``function`` inside a 'checkout' span; return its result, the spans it recorded, the parent's id."""
    provider = TracerProvider()
    exporter = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("nb05-exercise")
    with tracer.start_as_current_span("checkout") as parent:
        parent_id = format(parent.get_span_context().span_id, "016x")
        result = function(tracer, product_id, cents, coupon)
    provider.shutdown()
    return result, [r for r in to_records(exporter.get_finished_spans()) if r.name != "checkout"], parent_id


def check_manual_span(function: object) -> bool:
    """Exercise 2: ``apply_coupon(tracer, product_id, cents, coupon)`` records one 'apply coupon' span per call,
    a child of the caller's span, with ``product.id`` and ``order.amount_cents`` and, for an unknown
    coupon, a 'coupon rejected' event."""
    if not callable(function):
        return fail(f"apply_coupon = {function!r}", "pass the function itself (no parentheses): apply_coupon")
    rng = random.Random()
    for coupon, known in (("SPRING10", True), (f"FAKE{rng.randrange(100, 999)}", False)):
        product_id, cents = rng.randrange(1, 500), rng.randrange(1_000, 20_000)
        try:
            result, spans, parent_id = _spans_of(function, product_id, cents, coupon)
        except Exception as exc:  # the learner's code: report any error, never raise
            return fail(
                f"apply_coupon(tracer, {product_id}, {cents}, {coupon!r}) raised {type(exc).__name__}: {exc}",
                "the error is inside your function: call it yourself once, with lab.tracing.tracer('shop')",
            )
        call = f"apply_coupon(tracer, {product_id}, {cents}, {coupon!r})"
        if not isinstance(result, int) or (result < cents) != known:
            return fail(f"{call} returned {result!r}", "keep the price logic of the stub; add only the tracing")
        named = [s for s in spans if s.name == "apply coupon"]
        if len(named) != 1:
            names = sorted({s.name for s in spans})
            return fail(
                f"{call} recorded {len(named)} 'apply coupon' spans (all spans: {names or 'none'})",
                "wrap the work in: with tracer.start_as_current_span(<the span's name>) as span:",
            )
        span = named[0]
        if span.parent_id != parent_id:
            return fail(
                f"{call}: the span is not a child of the caller's span",
                "start it from the current context, so it joins the trace that is running",
            )
        if span.attributes.get("product.id") != product_id:
            return fail(
                f"{call}: product.id is {span.attributes.get('product.id')!r}",
                "set the product's id as an attribute, under the name product.id, as a number",
            )
        if span.attributes.get("order.amount_cents") != result:
            return fail(
                f"{call} returned {result} but order.amount_cents is {span.attributes.get('order.amount_cents')!r}",
                "set order.amount_cents to the price you return, after the discount",
            )
        events = [name for name, _, _ in span.events]
        if ("coupon rejected" in events) == known:
            happened = "has" if known else "has no"
            return fail(
                f"{call}: the span {happened} a 'coupon rejected' event (events: {events})",
                "add the event with span.add_event(...) only on the branch where the coupon is unknown",
            )
    return ok(
        "one 'apply coupon' span per call, in the caller's trace, with product.id, order.amount_cents "
        "and a 'coupon rejected' event exactly when the coupon is unknown"
    )


# --- Exercise 3: a tail-sampling decision -------------------------------------------------------

SLOW_TRACE_MS = 250.0
_SERVICES = ("shop", "catalog", "recommender")


def _trace(rng: random.Random, *, slow: bool = False, error_in: str | None = None) -> list[SpanRecord]:
    """One product page's spans: the shop's server span, its calls, and each dependency's server span."""
    trace_id = format(rng.getrandbits(128), "032x")
    root_id, start = format(rng.getrandbits(64), "016x"), 1_700_000_000.0 + rng.random() * 1000
    slow_one = rng.choice(_SERVICES[1:]) if slow else None
    spans, t = [], start + 0.002
    for service in _SERVICES[1:]:
        took = rng.uniform(0.3, 0.6) if service == slow_one else rng.uniform(0.004, 0.02)
        client_id, server_id = format(rng.getrandbits(64), "016x"), format(rng.getrandbits(64), "016x")
        status = "ERROR" if service == error_in else "UNSET"
        spans += [
            SpanRecord(trace_id, client_id, root_id, "shop", f"GET {service}", "CLIENT", t, t + took + 0.002, status),
            SpanRecord(
                trace_id, server_id, client_id, service, "GET /x", "SERVER", t + 0.001, t + took + 0.001, status
            ),
        ]
        t += took + 0.003
    root = SpanRecord(trace_id, root_id, None, "shop", "GET /products/{product_id}", "SERVER", start, t, "UNSET")
    return [root, *spans]


def _traces() -> tuple[list[list[SpanRecord]], list[list[SpanRecord]], list[list[SpanRecord]]]:
    rng = random.Random(5)
    ordinary = [_trace(rng) for _ in range(400)]
    errors = [_trace(rng, error_in=rng.choice(_SERVICES[1:])) for _ in range(15)]
    slow = [_trace(rng, slow=True) for _ in range(15)]
    return ordinary, errors, slow


def _kept(keep: Callable[[list[SpanRecord]], object], traces: Sequence[list[SpanRecord]]) -> int:
    return sum(1 for spans in traces if keep(list(spans)))


def check_tail_sampler(keep: object) -> bool:
    """Exercise 3: ``keep_trace(spans) -> bool`` keeps every trace with an error or a span over
    250 ms, and about 1 in 10 of the rest."""
    if not callable(keep):
        return fail(f"keep_trace = {keep!r}", "pass the function itself (no parentheses): keep_trace")
    ordinary, errors, slow = _traces()
    try:
        kept_errors, kept_slow, kept_ordinary = _kept(keep, errors), _kept(keep, slow), _kept(keep, ordinary)
    except Exception as exc:  # the learner's code: report any error, never raise
        return fail(
            f"keep_trace raised {type(exc).__name__}: {exc}",
            "it gets one trace, a list of SpanRecord (s.error, s.duration_ms, s.trace_id), and returns a bool",
        )
    if kept_errors < len(errors):
        return fail(
            f"kept {kept_errors} of {len(errors)} traces with an error (on a dependency's span, not the root)",
            "look at every span of the trace: any() of its spans' error flag",
        )
    if kept_slow < len(slow):
        return fail(
            f"kept {kept_slow} of {len(slow)} traces with a span over {SLOW_TRACE_MS:.0f} ms",
            "look at every span's duration_ms, not just the first span's",
        )
    share = kept_ordinary / len(ordinary)
    if not 0.03 <= share <= 0.25:
        return fail(
            f"kept {share:.0%} of {len(ordinary)} ordinary traces (fast, no error); about 10% expected",
            "for the rest, keep a fixed share: e.g. decide from the trace id, which is random",
        )
    return ok(f"kept all {len(errors)} error traces, all {len(slow)} slow ones and {share:.0%} of the rest")
