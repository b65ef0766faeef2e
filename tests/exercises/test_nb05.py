"""Notebook 05's checkers: the slow hop named from traces, a manual span, a tail-sampling decision."""

from __future__ import annotations

import random
from collections.abc import Iterator

import pytest
from opentelemetry.context import Context
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.trace import Tracer

from labapp import Lab
from labapp.exercises import (
    SLOW_TRACE_MS,
    check_manual_span,
    check_slow_hop,
    check_tail_sampler,
    inject_mystery_latency,
)
from labapp.tracing import SpanRecord


@pytest.fixture
def traced(no_shared_lab: None) -> Iterator[Lab]:
    with Lab(tracing=True) as lab:
        yield lab


def _culprit(lab: Lab) -> str:
    (name,) = [name for name, switch in lab.switches.items() if switch.fault]
    return name


def _trace_both_requests(lab: Lab) -> None:
    """Inject the mystery, then trace a product page and a checkout: together they reach every suspect."""
    inject_mystery_latency(lab)
    assert lab.tracing is not None
    with lab.tracing.client() as client:
        client.get(f"{lab.url}/products/7")
        client.post(f"{lab.url}/checkout", json={"product_id": 7})


def _out(capsys: pytest.CaptureFixture[str]) -> str:
    return capsys.readouterr().out


def test_the_right_service_after_tracing_both_requests_passes(traced: Lab, capsys: pytest.CaptureFixture[str]) -> None:
    _trace_both_requests(traced)
    assert check_slow_hop(traced, _culprit(traced))
    assert "✓" in _out(capsys)


def test_a_wrong_service_gets_a_hint_about_nested_bars(traced: Lab, capsys: pytest.CaptureFixture[str]) -> None:
    _trace_both_requests(traced)
    wrong = next(s for s in ("catalog", "recommender", "payments") if s != _culprit(traced))
    assert not check_slow_hop(traced, wrong)
    assert "longest bar with no long child" in _out(capsys)


def test_the_right_name_without_a_trace_is_not_enough(traced: Lab, capsys: pytest.CaptureFixture[str]) -> None:
    inject_mystery_latency(traced)
    assert not check_slow_hop(traced, _culprit(traced))
    assert "no trace shows it" in _out(capsys)


@pytest.mark.parametrize("answer", [None, "shop", 3])
def test_an_answer_that_is_not_a_dependency_says_which_names_count(
    traced: Lab, capsys: pytest.CaptureFixture[str], answer: object
) -> None:
    inject_mystery_latency(traced)
    assert not check_slow_hop(traced, answer)
    assert "one of ['catalog', 'recommender', 'payments']" in _out(capsys)


def test_the_exercise_needs_a_traced_lab(lab: Lab) -> None:
    with pytest.raises(ValueError, match="tracing=True"):
        inject_mystery_latency(lab)


def test_the_slow_hop_differs_between_learners_and_stays_for_one(
    traced: Lab, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    culprits = {}
    for name in ("ada", "grace", "linus", "barbara", "ken", "margaret", "alan", "edsger"):
        monkeypatch.setenv("LAB_LEARNER", name)
        inject_mystery_latency(traced)
        culprits[name] = _culprit(traced)
        inject_mystery_latency(traced)  # a re-run keeps the same puzzle
        assert _culprit(traced) == culprits[name]
    assert len(set(culprits.values())) >= 2


COUPONS = {"SPRING10": 10, "STAFF30": 30}


def _price(cents: int, coupon: str) -> int:
    percent = COUPONS.get(coupon)
    return cents if percent is None else cents * (100 - percent) // 100


def apply_coupon(tracer: Tracer, product_id: int, cents: int, coupon: str) -> int:
    with tracer.start_as_current_span("apply coupon") as span:
        span.set_attribute("product.id", product_id)
        if coupon not in COUPONS:
            span.add_event("coupon rejected", {"reason": "unknown coupon"})
        price = _price(cents, coupon)
        span.set_attribute("order.amount_cents", price)
        return price


def test_a_manual_span_with_attributes_and_event_passes(capsys: pytest.CaptureFixture[str]) -> None:
    assert check_manual_span(apply_coupon)
    assert "✓" in _out(capsys)


def _no_span(tracer: Tracer, product_id: int, cents: int, coupon: str) -> int:
    return _price(cents, coupon)


def _new_root(tracer: Tracer, product_id: int, cents: int, coupon: str) -> int:
    with tracer.start_as_current_span("apply coupon", context=Context()) as span:
        span.set_attribute("product.id", product_id)
        return _price(cents, coupon)


def _no_amount(tracer: Tracer, product_id: int, cents: int, coupon: str) -> int:
    with tracer.start_as_current_span("apply coupon") as span:
        span.set_attribute("product.id", product_id)
        span.add_event("coupon rejected")
        return _price(cents, coupon)


def _always_event(tracer: Tracer, product_id: int, cents: int, coupon: str) -> int:
    with tracer.start_as_current_span("apply coupon") as span:
        span.set_attributes({"product.id": product_id, "order.amount_cents": _price(cents, coupon)})
        span.add_event("coupon rejected")
        return _price(cents, coupon)


def _id_as_text(tracer: Tracer, product_id: int, cents: int, coupon: str) -> int:
    with tracer.start_as_current_span("apply coupon") as span:
        span.set_attribute("product.id", str(product_id))
        return _price(cents, coupon)


def _crashes(tracer: Tracer, product_id: int, cents: int, coupon: str) -> int:
    raise KeyError(coupon)


@pytest.mark.parametrize(
    ("function", "says"),
    [
        (_no_span, "recorded 0 'apply coupon' spans"),
        (_new_root, "not a child of the caller's span"),
        (_id_as_text, "product.id is '"),
        (_no_amount, "order.amount_cents is None"),
        (_always_event, "has a 'coupon rejected' event"),
        (_crashes, "raised KeyError"),
        (apply_coupon(TracerProvider().get_tracer("t"), 1, 1000, "SPRING10"), "pass the function itself"),
        (None, "pass the function itself"),
    ],
)
def test_a_wrong_manual_span_says_what_is_missing(
    capsys: pytest.CaptureFixture[str], function: object, says: str
) -> None:
    assert not check_manual_span(function)
    out = _out(capsys)
    assert "✗" in out and says in out and "hint:" in out


def in_trouble(spans: list[SpanRecord]) -> bool:
    return any(s.error for s in spans) or max(s.duration_ms for s in spans) > SLOW_TRACE_MS


def keep_trace(spans: list[SpanRecord]) -> bool:
    return in_trouble(spans) or int(spans[0].trace_id, 16) % 10 == 0


def test_a_tail_sampler_that_keeps_errors_slow_and_a_tenth_passes(capsys: pytest.CaptureFixture[str]) -> None:
    assert check_tail_sampler(keep_trace)
    # A tenth drawn at random instead of from the trace id (not on top of it: keep_trace's tenth
    # or'ed with a random tenth kept 19% on average and, once in a few hundred runs, over 25%).
    draw = random.Random(7).random
    assert check_tail_sampler(lambda spans: in_trouble(spans) or draw() < 0.1)
    assert "✓" in _out(capsys)


@pytest.mark.parametrize(
    ("keep", "says"),
    [
        (lambda spans: spans[0].error or spans[0].duration_ms > SLOW_TRACE_MS, "traces with an error"),
        (lambda spans: any(s.error for s in spans) or random.random() < 0.1, "traces with a span over 250 ms"),
        (lambda spans: True, "kept 100% of 400 ordinary traces"),
        (lambda spans: any(s.error or s.duration_ms > SLOW_TRACE_MS for s in spans), "kept 0% of 400"),
        (lambda spans: spans.error, "raised AttributeError"),
        ("keep_trace", "pass the function itself"),
    ],
)
def test_a_wrong_tail_sampler_says_which_traces_it_loses(
    capsys: pytest.CaptureFixture[str], keep: object, says: str
) -> None:
    assert not check_tail_sampler(keep)
    out = _out(capsys)
    assert "✗" in out and says in out and "hint:" in out
