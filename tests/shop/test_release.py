"""A bad release of the shop: one route fails under its own name, a raw-path label grows series, rollback ends both."""

from __future__ import annotations

import json

import httpx
import pytest

from labapp import Lab
from labapp.shop import ShopRelease


def test_a_broken_route_fails_alone_is_counted_under_its_route_and_logged(lab: Lab, http: httpx.Client) -> None:
    logs = lab.capture_logs()
    try:
        lab.release.deploy("v2", broken_route="/items", error_share=1.0)
        assert http.get(lab.url + "/items").status_code == 500
        assert http.get(lab.url + "/products/3").status_code == 200
        metrics = http.get(lab.url + "/metrics").text
        assert 'shop_http_requests_total{method="GET",route="/items",status="500"}' in metrics
        errors = [json.loads(x) for x in logs.lines() if '"release"' in x]
        assert errors and errors[0]["route"] == "/items" and errors[0]["level"] == "ERROR"
        lab.release.rollback()
        assert http.get(lab.url + "/items").status_code == 200
    finally:
        lab.release.rollback()
        logs.stop()


def test_raw_path_labels_add_a_series_per_page_until_rolled_back(lab: Lab, http: httpx.Client) -> None:
    try:
        lab.release.deploy("v2", path_labels=True)
        for product in (3, 5, 5, 7):
            http.get(f"{lab.url}/products/{product}")
        metrics = http.get(lab.url + "/metrics").text
        assert metrics.count("shop_page_views_total{path=") == 3
        assert 'shop_page_views_total{path="/products/5"} 2.0' in metrics
        assert repr(lab.release) == "<ShopRelease v2: page views labelled by raw path>"
    finally:
        lab.release.rollback()
    assert "shop_page_views" not in http.get(lab.url + "/metrics").text


def test_a_release_refuses_what_it_cannot_ship() -> None:
    release = ShopRelease()
    with pytest.raises(ValueError, match="other than 'v1'"):
        release.deploy("v1")
    with pytest.raises(ValueError, match="route template"):
        release.deploy("v2", broken_route="items")
    with pytest.raises(ValueError, match="between 0 and 1"):
        release.deploy("v2", broken_route="/items", error_share=3)
    release.rollback()  # at the base release: nothing to do
    assert release.version == "v1" and [d.version for d in release.history] == ["v1"]
