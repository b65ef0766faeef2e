"""Tracing: one trace per request across every service it touched, propagated over real HTTP."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator

import httpx
import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.sampling import ALWAYS_ON
from prometheus_client import CollectorRegistry
from prometheus_client.openmetrics.parser import text_string_to_metric_families

from labapp import Lab, latency, outage
from labapp.seed import make_seed_app
from labapp.telemetry import read_exemplars
from labapp.tracing import (
    SpanRecord,
    Tracing,
    incomplete_traces,
    parse_traceparent,
    spans_frame,
    trace_ids,
    trace_tree,
)

WaitUntil = Callable[..., None]

OPENMETRICS = "application/openmetrics-text; version=1.0.0; charset=utf-8"


@pytest.fixture
def traced(no_shared_lab: None) -> Iterator[Lab]:
    with Lab(tracing=True) as lab:
        yield lab


def _one_trace(lab: Lab, method: str, path: str, **kwargs: object) -> list[SpanRecord]:
    assert lab.tracing is not None
    lab.tracing.clear()
    with lab.tracing.client() as client:
        response = client.request(method, lab.url + path, **kwargs)  # type: ignore[arg-type]
    assert response.status_code == 200, response.text
    records = lab.tracing.records()
    assert len(trace_ids(records)) == 1, "one request, one trace"
    return records


def _by_id(records: list[SpanRecord]) -> dict[str, SpanRecord]:
    return {r.span_id: r for r in records}


@pytest.mark.parametrize(
    ("method", "path", "body", "touched"),
    [
        ("GET", "/products/7", None, {"notebook", "shop", "catalog", "recommender"}),
        ("POST", "/checkout", {"product_id": 3}, {"notebook", "shop", "catalog", "payments"}),
    ],
)
def test_a_request_is_one_trace_across_every_service_it_touched(
    traced: Lab, method: str, path: str, body: dict[str, int] | None, touched: set[str]
) -> None:
    records = _one_trace(traced, method, path, json=body)
    assert {r.service for r in records} == touched
    spans = _by_id(records)
    roots = [r for r in records if r.parent_id is None]
    assert [(r.service, r.kind) for r in roots] == [("notebook", "CLIENT")]
    for r in records:
        if r.parent_id is not None:
            assert r.parent_id in spans, f"{r.service} {r.name}: parent not in the trace"
    # Every dependency's SERVER span hangs under the shop's CLIENT span that called it.
    for r in records:
        if r.kind == "SERVER" and r.service not in ("shop",):
            caller = spans[r.parent_id]  # type: ignore[index]
            assert (caller.service, caller.kind) == ("shop", "CLIENT")
            assert caller.attributes["peer.service"] == r.service
    shop_server = next(r for r in records if r.service == "shop" and r.kind == "SERVER")
    assert spans[shop_server.parent_id].service == "notebook"  # type: ignore[index]
    assert shop_server.attributes["http.route"] in ("/products/{product_id}", "/checkout")


def test_the_traceparent_header_crosses_the_wire(traced: Lab) -> None:
    records = _one_trace(traced, "GET", "/products/7")
    spans = _by_id(records)
    catalog = next(r for r in records if r.service == "catalog" and r.kind == "SERVER")
    # What the catalog's server received in its HTTP headers, recorded by its own instrumentation.
    (header,) = catalog.attributes["http.request.header.traceparent"]
    fields = parse_traceparent(header)
    assert fields["trace_id"] == catalog.trace_id
    assert fields["parent_id"] == catalog.parent_id
    assert spans[fields["parent_id"]].service == "shop"
    assert fields["sampled"] == "yes"


def test_a_failing_dependency_marks_its_spans_as_errors_and_the_page_degrades(traced: Lab) -> None:
    traced.inject("recommender", outage())
    records = _one_trace(traced, "GET", "/products/7")
    step = next(r for r in records if r.name == "recommendations")
    assert step.error and step.status_message == "recommender error"
    assert [name for name, _, _ in step.events] == ["exception", "fallback"]
    assert step.events[1][2] == {"reason": "error", "served": "none"}
    recommender = next(r for r in records if r.service == "recommender")
    assert recommender.error and recommender.attributes["http.response.status_code"] == 503
    shop_server = next(r for r in records if r.service == "shop" and r.kind == "SERVER")
    assert not shop_server.error  # the page itself was served


def test_the_slow_hop_is_the_long_span(traced: Lab) -> None:
    traced.inject("catalog", latency(0.2))
    records = _one_trace(traced, "GET", "/products/7")
    servers = {r.service: r.duration_ms for r in records if r.kind == "SERVER"}
    assert servers["catalog"] >= 200
    assert servers["recommender"] < servers["catalog"]  # ordering, not a wall-clock bound on the fast hop


def test_checkout_spans_carry_business_facts_but_never_the_card(traced: Lab) -> None:
    records = _one_trace(traced, "POST", "/checkout", json={"product_id": 3, "quantity": 2, "card": "4111111111111111"})
    charge = next(r for r in records if r.name == "charge card")
    assert charge.attributes["order.quantity"] == 2
    assert charge.attributes["order.amount_cents"] > 0
    assert not any("4111111111111111" in str(v) for r in records for v in r.attributes.values())


def test_a_new_traced_lab_neither_raises_nor_duplicates_spans(
    no_shared_lab: None, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    for _ in range(2):  # as when a notebook cell is re-run
        with Lab(tracing=True) as lab:
            assert lab.tracing is not None
            httpx.get(lab.url + "/products/7")
            records = lab.tracing.records()
            assert len([r for r in records if r.kind == "SERVER" and r.service == "shop"]) == 1
            assert len([r for r in records if r.kind == "SERVER" and r.service == "catalog"]) == 1
    assert "Overriding" not in caplog.text


def test_a_tracing_object_reused_by_a_second_lab_keeps_recording(no_shared_lab: None) -> None:
    tracing = Tracing()
    with Lab(tracing=tracing) as lab:
        httpx.get(lab.url + "/products/7")
    with Lab(tracing=tracing) as lab:
        httpx.get(lab.url + "/products/8")
    assert len(trace_ids(tracing.records())) == 2


def test_parent_based_sampling_keeps_whole_traces_or_none(no_shared_lab: None) -> None:
    tracing = Tracing(sample_ratio=0.3)
    with Lab(tracing=tracing) as lab, httpx.Client() as client:
        for product in range(1, 61):
            client.get(f"{lab.url}/products/{product}")
        records = tracing.records()
    kept = trace_ids(records)
    assert 5 <= len(kept) <= 35, f"about 30% of 60 traces, got {len(kept)}"
    for trace_id in kept:
        assert {r.service for r in records if r.trace_id == trace_id} == {"shop", "catalog", "recommender"}


def test_a_service_that_ignores_its_parent_records_orphans(no_shared_lab: None, wait_until: WaitUntil) -> None:
    tracing = Tracing(sample_ratio=0.0, samplers={"catalog": ALWAYS_ON})
    with Lab(tracing=tracing) as lab, httpx.Client() as client:
        for product in range(1, 11):
            client.get(f"{lab.url}/products/{product}")
        # The catalog ends its span after its answer has left: on a busy machine the last
        # one can end after the shop has answered us (9 of 10 seen once, 2026-12-02).
        wait_until(lambda: len(tracing.records(wait_s=0)) >= 10, 10.0, what="the catalog's 10th span")
        records = tracing.records(wait_s=0)
    assert {r.service for r in records} == {"catalog"}
    assert len(records) == 10
    assert all(r.parent_id is not None and not r.parent_sampled for r in records)
    assert not incomplete_traces(records)  # nothing to wait for: the parents will never come


def test_unsampled_requests_still_carry_the_header_with_the_flag_off(no_shared_lab: None) -> None:
    tracing = Tracing(sample_ratio=0.0, samplers={"catalog": ALWAYS_ON})
    with Lab(tracing=tracing) as lab:
        httpx.get(lab.url + "/products/7")
        (catalog,) = tracing.records(wait_s=0.5)
    (header,) = catalog.attributes["http.request.header.traceparent"]
    assert parse_traceparent(header)["sampled"] == "no"


def test_latency_buckets_link_to_traces_through_exemplars(traced: Lab) -> None:
    assert traced.tracing is not None
    with httpx.Client() as client:
        for product in range(1, 6):
            client.get(f"{traced.url}/products/{product}")
        page = client.get(traced.url + "/metrics", headers={"accept": OPENMETRICS})
    assert page.headers["content-type"].startswith("application/openmetrics-text")
    exemplars = [
        sample.exemplar
        for family in text_string_to_metric_families(page.text)
        if family.name == "shop_http_request_duration_seconds"
        for sample in family.samples
        if sample.exemplar is not None
    ]
    assert exemplars, "a traced shop puts trace ids on its latency buckets"
    recorded = set(trace_ids(traced.tracing.records()))
    assert {e.labels["trace_id"] for e in exemplars} <= recorded
    frame = read_exemplars(traced.url + "/metrics")
    assert set(frame["trace_id"]) == {e.labels["trace_id"] for e in exemplars}
    assert (frame["seconds"] <= frame["le"]).all()  # each exemplar sits in its bucket


def test_read_exemplars_says_when_a_server_has_none(lab: Lab, registry: CollectorRegistry) -> None:
    url = lab.serve(make_seed_app(registry), "seed_app")
    try:
        with pytest.raises(ValueError, match="OpenMetrics"):
            read_exemplars(url + "/metrics")
    finally:
        lab.extras.pop("seed_app").stop()


def test_an_untraced_shop_has_no_exemplars_and_plain_text_by_default(lab: Lab) -> None:
    httpx.get(lab.url + "/products/7")
    plain = httpx.get(lab.url + "/metrics")
    assert plain.headers["content-type"].startswith("text/plain")
    assert "trace_id" not in httpx.get(lab.url + "/metrics", headers={"accept": OPENMETRICS}).text
    assert lab.tracing is None


def test_spans_frame_and_tree(traced: Lab) -> None:
    records = _one_trace(traced, "GET", "/products/7")
    frame = spans_frame(records)
    assert len(frame) == len(records)
    assert set(frame["service"]) == {"notebook", "shop", "catalog", "recommender"}
    tree = trace_tree(records)
    assert tree[0][0] == 0 and tree[0][1].service == "notebook"
    depth = {span.span_id: d for d, span in tree}
    for d, span in tree:
        if span.parent_id is not None:
            assert d == depth[span.parent_id] + 1


def test_incomplete_traces_waits_for_a_missing_server_span() -> None:
    client = SpanRecord("t" * 32, "c" * 16, None, "shop", "GET catalog", "CLIENT", 0.0, 1.0, "UNSET",
                        attributes={"http.response.status_code": 200})  # fmt: skip
    assert incomplete_traces([client]) == {"t" * 32}
    server = SpanRecord("t" * 32, "s" * 16, "c" * 16, "catalog", "GET /x", "SERVER", 0.1, 0.9, "UNSET")
    assert incomplete_traces([client, server]) == set()
    assert incomplete_traces([server]) == {"t" * 32}  # its parent has not arrived yet


@pytest.mark.parametrize(
    "header", ["", "00-abc-def-01", "00-" + "g" * 32 + "-" + "0" * 16 + "-01", "00-" + "0" * 32 + "-" + "0" * 16]
)
def test_parse_traceparent_says_what_a_header_looks_like(header: str) -> None:
    with pytest.raises(ValueError, match="traceparent"):
        parse_traceparent(header)


def test_bad_tracing_arguments_say_what_to_do() -> None:
    with pytest.raises(ValueError, match="fraction of traces kept"):
        Tracing(sample_ratio=5)
    with pytest.raises(TypeError, match="Tracing"):
        Lab(tracing="yes")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="no spans"):
        trace_tree([])


def test_the_span_store_keeps_only_the_newest_spans(no_shared_lab: None) -> None:
    tracing = Tracing(max_spans=14)  # room for two pages of seven spans
    with Lab(tracing=tracing) as lab, httpx.Client() as client:
        starts = []
        for product in range(1, 6):
            starts.append(time.time())
            client.get(f"{lab.url}/products/{product}")
        records = tracing.records()  # waits until the last page's spans are all in
    assert len(records) == 14
    assert len(trace_ids(records)) == 2
    assert all(r.start >= starts[-2] for r in records)  # nothing from the first three pages


def test_the_span_store_is_the_sdks_bounded_in_memory_exporter() -> None:
    tracing = Tracing(max_spans=3)
    assert isinstance(tracing.exporter, InMemorySpanExporter)
    tracer = tracing.tracer("shop")
    for i in range(5):
        with tracer.start_as_current_span(f"step {i}"):
            pass
    assert [r.name for r in tracing.records(wait_s=0)] == ["step 2", "step 3", "step 4"]  # the newest 3
    tracing.clear()
    assert tracing.records(wait_s=0) == []


def test_spans_stay_readable_after_shutdown_and_a_restart_keeps_recording() -> None:
    tracing = Tracing()
    with tracing.tracer("shop").start_as_current_span("before"):
        pass
    tracing.shutdown()  # the SDK's exporter refuses spans once its provider shut down
    with tracing.tracer("shop").start_as_current_span("after"):
        pass
    assert [r.name for r in tracing.records(wait_s=0)] == ["before", "after"]
    tracing.shutdown()
