"""The Grafana dashboard in data/grafana: importable as is, on a datasource variable, and every panel's
PromQL parses and returns data from a real Prometheus scraping a busy shop (where the binary exists)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from labapp import Lab, PrometheusServer, checkout, error_rate, find_prometheus, get, outage
from labapp.observe.promql import parse

DASHBOARD = Path(__file__).resolve().parents[2] / "data" / "grafana" / "busy-service-lab.json"
# What Grafana puts in place of its variables; the lab's Prometheus scrapes every second.
SUBSTITUTIONS = {"$__rate_interval": "10s", "$job": ".+"}


def _dashboard() -> dict[str, object]:
    loaded = json.loads(DASHBOARD.read_text())
    assert isinstance(loaded, dict)
    return loaded


def _queries() -> list[tuple[str, str]]:
    out = []
    for panel in _dashboard()["panels"]:  # type: ignore[attr-defined]
        for target in panel["targets"]:
            expr = target["expr"]
            for variable, value in SUBSTITUTIONS.items():
                expr = expr.replace(variable, value)
            out.append((panel["title"], expr))
    return out


def test_importable_as_is_on_a_datasource_variable() -> None:
    dashboard = _dashboard()
    assert "__inputs" not in dashboard  # no import prompt: the datasource is chosen from the variable
    variables = {v["name"]: v for v in dashboard["templating"]["list"]}  # type: ignore[index]
    assert variables["datasource"]["type"] == "datasource"
    assert variables["datasource"]["query"] == "prometheus"
    titles = [panel["title"] for panel in dashboard["panels"]]  # type: ignore[attr-defined]
    assert len(titles) == len(set(titles)) == 6
    for panel in dashboard["panels"]:  # type: ignore[attr-defined]
        assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}, panel["title"]
        assert all(t["datasource"]["uid"] == "${datasource}" for t in panel["targets"])
        assert panel["fieldConfig"]["defaults"]["unit"], panel["title"]
        assert panel["description"], panel["title"]
    # Legends name only labels the shop's metrics carry.
    labels = set(re.findall(r"\{\{(\w+)\}\}", DASHBOARD.read_text()))
    assert labels == {"route", "job", "dependency", "state", "reason"}


def test_the_alert_thresholds_are_drawn() -> None:
    panels = {panel["title"]: panel for panel in _dashboard()["panels"]}  # type: ignore[attr-defined]
    error = panels["Error ratio (5xx / all)"]["fieldConfig"]["defaults"]
    assert [s["value"] for s in error["thresholds"]["steps"]] == [None, 0.05]  # ShopHighErrorRate's 5%
    assert error["custom"]["thresholdsStyle"]["mode"] != "off"
    assert "> 0.05" in (DASHBOARD.parents[1] / "rules" / "error_rate.yml").read_text()


@pytest.mark.parametrize(("title", "expr"), _queries(), ids=[t for t, _ in _queries()])
def test_every_query_parses(title: str, expr: str) -> None:
    assert "$" not in expr, f"{title}: a Grafana variable left unsubstituted"
    parse(expr)


@pytest.fixture(scope="module")
def busy_shop() -> Iterator[tuple[Lab, PrometheusServer]]:
    """A shop with a breaker and a tight item limit, under load with errors, scraped every second."""
    with Lab(payments_breaker_threshold=3, items_limit="2/second") as lab:
        prometheus = PrometheusServer({"shop": lab.url}, interval_s=1).start()
        try:
            lab.inject("catalog", error_rate(0.2))
            lab.inject("payments", outage())
            lab.controls.block("127.0.0.3")  # the second client: refused by the incident switch
            targets = [get("/products/{id}"), get("/items"), checkout()]
            lab.load(rate=40, duration_s=4, targets=targets, clients=4, progress=False)
            prometheus.wait_for_scrapes(2)
            yield lab, prometheus
        finally:
            prometheus.stop()


@pytest.mark.prometheus
@pytest.mark.skipif(find_prometheus() is None, reason="no 'prometheus' binary on PATH (apt-get install prometheus)")
@pytest.mark.parametrize(("title", "expr"), _queries(), ids=[t for t, _ in _queries()])
def test_every_query_returns_data_from_a_busy_shop(
    busy_shop: tuple[Lab, PrometheusServer], title: str, expr: str
) -> None:
    _, prometheus = busy_shop
    result = prometheus.query(expr)
    assert len(result) > 0, f"{title}: {expr} returned no series"
