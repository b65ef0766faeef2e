"""A real Prometheus, run by the lab on loopback (skipped where the binary is missing)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from labapp import Lab, PrometheusServer, find_prometheus

pytestmark = [
    pytest.mark.prometheus,
    pytest.mark.skipif(
        find_prometheus() is None, reason="no 'prometheus' binary on PATH (Debian: apt-get install prometheus)"
    ),
]


def _stop(server: PrometheusServer) -> None:
    server.stop()


@pytest.fixture
def prometheus(lab: Lab) -> Iterator[PrometheusServer]:
    server = PrometheusServer({"shop": lab.url}, interval_s=1).start()
    yield server
    _stop(server)


def test_starts_on_loopback_scrapes_and_answers_queries(
    lab: Lab, prometheus: PrometheusServer, http: httpx.Client
) -> None:
    assert prometheus.url.startswith("http://127.0.0.1:")
    assert "scrape_interval: 1s" in prometheus.config_text()
    assert "'" + lab.url.removeprefix("http://") + "'" in prometheus.config_text()
    start = time.time()
    http.get(lab.url + "/products/3")
    prometheus.wait_for_scrapes(2)

    up = prometheus.query("up")
    assert up["value"].tolist() == [1.0]
    assert up["job"].tolist() == ["shop"]
    requests = prometheus.query('sum(shop_http_requests_total{route="/products/{product_id}"})')
    assert requests["value"].iloc[0] >= 1

    series = prometheus.query_range("up", start - 1, time.time(), step_s=0.5)
    assert len(series) >= 2
    assert set(series["value"]) == {1.0}
    assert series["time"].is_monotonic_increasing

    with pytest.raises(ValueError, match="prometheus rejected the query"):
        prometheus.query("sum(")


def test_stop_removes_the_process_and_its_temp_dir(lab: Lab) -> None:
    server = PrometheusServer({"shop": lab.url}, interval_s=1).start()
    process = server._process
    assert process is not None and server._dir is not None
    data_dir = Path(server._dir.name)
    url = server.url
    assert data_dir.is_dir()
    _stop(server)
    assert process.poll() is not None
    assert not data_dir.exists()
    with pytest.raises(httpx.ConnectError):
        httpx.get(url + "/-/ready")
    with pytest.raises(RuntimeError, match="not running"):
        server.query("up")
    server.stop()  # twice is fine


def test_needs_a_target() -> None:
    with pytest.raises(ValueError, match="at least one target"):
        PrometheusServer({})


def test_missing_binary_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("labapp.observe.prometheus.find_prometheus", lambda: None)
    with pytest.raises(FileNotFoundError, match="apt-get install prometheus.*embedded Scraper"):
        PrometheusServer({"shop": "http://127.0.0.1:9"})


def test_sub_second_interval_starts(lab: Lab) -> None:
    # Regression: the config once said "0.5s", which Prometheus rejects.
    server = PrometheusServer({"shop": lab.url}, interval_s=0.5)
    assert "scrape_interval: 500ms" in server.config_text()
    try:
        server.start(timeout_s=10)
        assert server.query("up") is not None
    finally:
        _stop(server)


def test_stop_closes_its_http_client(lab: Lab) -> None:
    server = PrometheusServer({"shop": lab.url}, interval_s=1).start()
    client = server._client
    server.query("up")  # opens a keep-alive connection to Prometheus
    server.stop()
    assert client is not None and client.is_closed
    with pytest.raises(RuntimeError, match="call start"):
        server.query("up")
