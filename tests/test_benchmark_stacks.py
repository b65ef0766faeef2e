"""benchmarks/overhead.py measures what it says: each named layer is on in its app, and off in the others.

A layer that silently did nothing (a log nobody listens to, a span never exported)
would make its variant look free; these checks call each app in-process.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

import overhead  # noqa: E402
import stacks  # noqa: E402

from labapp.logs import AccessLogMiddleware  # noqa: E402
from labapp.telemetry import MetricsMiddleware  # noqa: E402


def _get(app: FastAPI, path: str) -> httpx.Response:
    async def go() -> httpx.Response:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://app") as client:
            return await client.get(path)

    return asyncio.run(go())


@pytest.fixture
def stack(monkeypatch: pytest.MonkeyPatch) -> Iterator:
    built: list[FastAPI] = []

    def build(layers: str) -> FastAPI:
        monkeypatch.setenv("OVERHEAD_LAYERS", layers)
        built.append(stacks.make_stack())
        return built[-1]

    yield build
    for app in built:  # a log capture listens on the shared "labapp" logger until stopped
        if hasattr(app.state, "log_capture"):
            app.state.log_capture.stop()


@pytest.mark.parametrize("variant", list(overhead.LAYER_VARIANTS))
def test_each_variant_has_exactly_its_layers(stack, variant: str) -> None:  # type: ignore[no-untyped-def]
    layers = set(filter(None, overhead.LAYER_VARIANTS[variant].split(",")))
    app = stack(overhead.LAYER_VARIANTS[variant])
    answer = _get(app, "/products/7")
    assert answer.status_code == 200 and answer.json() == {"product_id": 7}
    assert ("x-ratelimit-limit" in answer.headers) == ("limiter" in layers)
    traced = bool(layers & {"tracing", "lean_tracing"})
    assert _get(app, "/health").json()["spans"] == (1 if traced else 0)
    assert any(m.cls is MetricsMiddleware for m in app.user_middleware) == ("metrics" in layers)
    if "logs" in layers:
        lines = app.state.log_capture.records()  # the product page, then /health
        assert [(r["route"], r["status"]) for r in lines] == [("/products/{product_id}", 200), ("/health", 200)]
        assert bool(lines[0].get("trace_id")) == traced
    # Not the logger's level: other tests in this process may have left "labapp" at INFO.
    assert any(m.cls is AccessLogMiddleware for m in app.user_middleware) == ("logs" in layers)


def test_the_lean_span_has_what_the_lab_reads(stack) -> None:  # type: ignore[no-untyped-def]
    """The prototype is only a fair comparison if its span carries what the lab's evidence reads."""
    app = stack("lean_tracing")
    parent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"

    async def go() -> None:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://app") as client:
            await client.get("/products/7", headers={"traceparent": parent})
            await client.get("/nowhere")

    asyncio.run(go())
    page, missing = app.state.tracing.records(wait_s=0)
    assert (page.name, page.kind, page.trace_id) == ("GET /products/{product_id}", "SERVER", parent[3:35])
    assert page.attributes["http.route"] == "/products/{product_id}" and page.attributes["url.path"] == "/products/7"
    assert page.attributes["http.response.status_code"] == 200 and page.attributes["http.request.method"] == "GET"
    assert (missing.name, missing.attributes["http.response.status_code"], missing.error) == ("GET", 404, False)


def test_an_unknown_layer_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OVERHEAD_LAYERS", "metrics,tracng")
    with pytest.raises(ValueError, match=r"unknown \['tracng'\]"):
        stacks.make_stack()


def test_ratios_are_taken_against_the_bare_runs_around_each_run() -> None:
    def run(rps: float, cpu: float) -> dict:
        counts = {"spans": 0, "all_spans": 0, "dropped": 0, "degraded": 0}
        return {"rps": rps, "cpu_us_per_req": cpu, "p99_us": 1000.0, "deps_cpu_share": 0.0, **counts}

    runs = {"bare": [run(1000, 100), run(800, 125)], "metrics": [run(855, 111.1)]}
    references = {"metrics": [overhead.bracket(runs["bare"][0], runs["bare"][1])]}
    rows = {row["variant"]: row for row in overhead.summarise(runs, references)}
    assert rows["metrics"]["rps_ratio"] == pytest.approx(855 / 900)
    assert rows["metrics"]["cpu_ratio"] == pytest.approx(112.5 / 111.1)
    assert rows["bare"]["rps_ratio"] == 1.0


@pytest.fixture(scope="module")
def dependencies() -> Iterator[overhead.Dependencies]:
    """The catalog and recommender of ``--route page``, each in its own uvicorn process, as the benchmark runs them."""
    deps = overhead.Dependencies()
    yield deps
    deps.stop()


@pytest.mark.parametrize("variant", ["bare", "full"])
def test_the_page_route_is_the_shops_page(stack, dependencies, monkeypatch, variant: str) -> None:  # type: ignore[no-untyped-def]
    """``--route page`` serves the shop's own page, over HTTP to both dependencies, with the shop's spans."""
    monkeypatch.setenv("OVERHEAD_ROUTE", "page")
    for name, url in dependencies.env().items():
        monkeypatch.setenv(name, url)
    app = stack(overhead.LAYER_VARIANTS[variant])

    async def go() -> tuple[httpx.Response, httpx.Response]:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://app") as client:
            answers = await client.get("/products/7"), await client.get("/health")
        await app.state.downstream.aclose()
        return answers

    page, health = asyncio.run(go())
    assert page.status_code == 200, page.text
    assert page.json()["id"] == 7 and page.json()["degraded"] is False and page.json()["recommendations"]
    assert health.json()["degraded"] == 0
    if variant == "full":
        spans = app.state.tracing.records(wait_s=0)
        assert sorted((s.name, s.kind) for s in spans) == [
            ("GET /products/{product_id}", "SERVER"),
            ("GET catalog", "CLIENT"),
            ("GET recommender", "CLIENT"),
            ("load product", "INTERNAL"),
            ("recommendations", "INTERNAL"),
        ]
        assert health.json()["spans"] == 1  # SERVER spans: what the benchmark counts against pages served
