"""The shop over real HTTP: pages, degradation, checkout outcomes, health and readiness.

Every request here goes through the shared Lab: the shop calls its dependencies
over loopback HTTP, and faults are injected at the dependencies' own door.
"""

from __future__ import annotations

import httpx
import pytest

from labapp import Lab, error_rate, latency, outage
from labapp.services.catalog import product
from labapp.services.payments import DECLINED_CARD
from labapp.shop import make_shop_app

# -- product page ---------------------------------------------------------------


def test_product_page_has_catalog_data_and_recommendations(lab: Lab, http: httpx.Client) -> None:
    response = http.get(lab.url + "/products/7")
    assert response.status_code == 200
    page = response.json()
    assert page["id"] == 7
    assert page["name"] == product(7)["name"]
    assert page["price_cents"] == product(7)["price_cents"]
    assert len(page["recommendations"]) == 3
    assert page["degraded"] is False


def test_recommender_outage_degrades_the_page_but_keeps_it_up(lab: Lab, http: httpx.Client) -> None:
    lab.inject("recommender", outage())
    response = http.get(lab.url + "/products/7")
    assert response.status_code == 200
    assert response.json()["recommendations"] == []
    assert response.json()["degraded"] is True


def test_slow_recommender_degrades_within_its_timeout(lab: Lab, http: httpx.Client) -> None:
    slow_s = lab.config.recommender_timeout_s + 5.0
    lab.inject("recommender", latency(slow_s))
    response = http.get(lab.url + "/products/7")
    assert response.status_code == 200
    assert response.json()["degraded"] is True
    assert response.elapsed.total_seconds() < slow_s  # answered before the recommender would have


def test_catalog_outage_is_503_with_a_clear_message(lab: Lab, http: httpx.Client) -> None:
    lab.inject("catalog", outage())
    response = http.get(lab.url + "/products/7")
    assert response.status_code == 503
    assert response.json()["detail"] == "catalog unavailable (error); try again shortly"


def test_unknown_product_is_404(lab: Lab, http: httpx.Client) -> None:
    response = http.get(lab.url + "/products/5000")
    assert response.status_code == 404
    assert response.json()["detail"] == "no product 5000"


@pytest.mark.parametrize(
    ("path", "needle"),
    [
        ("/products/abc", "valid integer"),
        ("/products/0", "positive integer"),
        ("/products/-3", "positive integer"),
        ("/products/99999999999", "positive integer"),
        ("/items?limit=0", "greater than or equal to 1"),
        ("/items?offset=-1", "greater than or equal to 0"),
    ],
)
def test_bad_page_input_is_4xx_with_a_message(lab: Lab, http: httpx.Client, path: str, needle: str) -> None:
    response = http.get(lab.url + path)
    assert 400 <= response.status_code < 500
    assert needle in response.text


def test_items_lists_a_page_of_the_catalog(lab: Lab, http: httpx.Client) -> None:
    response = http.get(lab.url + "/items", params={"offset": 10, "limit": 5})
    assert response.status_code == 200
    assert [item["id"] for item in response.json()["items"]] == [11, 12, 13, 14, 15]


# -- checkout ---------------------------------------------------------------------


def test_checkout_charges_price_times_quantity(lab: Lab, http: httpx.Client) -> None:
    response = http.post(lab.url + "/checkout", json={"product_id": 3, "quantity": 2})
    assert response.status_code == 200
    body = response.json()
    assert body["amount_cents"] == 2 * product(3)["price_cents"]  # type: ignore[operator]
    assert body["status"] == "captured"
    assert body["charge_id"].startswith("ch_")


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ({"product_id": 3, "quantity": 0}, "greater than or equal to 1"),
        ({"product_id": 3, "quantity": 11}, "less than or equal to 10"),
        ({"product_id": 0}, "greater than or equal to 1"),
        ({"product_id": 3, "card": "not-a-card"}, "card"),
        ({"quantity": 1}, "product_id"),
        ({"product_id": "three"}, "valid integer"),
    ],
)
def test_bad_checkout_input_is_4xx_with_a_message(lab: Lab, http: httpx.Client, body: dict, needle: str) -> None:  # type: ignore[type-arg]
    response = http.post(lab.url + "/checkout", json=body)
    assert 400 <= response.status_code < 500
    assert needle in response.text


def test_checkout_of_an_unknown_product_is_404(lab: Lab, http: httpx.Client) -> None:
    response = http.post(lab.url + "/checkout", json={"product_id": 5000})
    assert response.status_code == 404


def test_checkout_with_payments_errors_is_502(lab: Lab, http: httpx.Client) -> None:
    lab.inject("payments", error_rate(1.0))
    response = http.post(lab.url + "/checkout", json={"product_id": 3})
    assert response.status_code == 502
    assert response.json()["detail"] == "payment service failed (error); you were not charged"


def test_checkout_with_payments_down_is_502(lab: Lab, http: httpx.Client) -> None:
    lab.inject("payments", outage())
    assert http.post(lab.url + "/checkout", json={"product_id": 3}).status_code == 502


def test_checkout_slower_than_the_payments_timeout_is_504(lab: Lab, http: httpx.Client) -> None:
    timeout_s = lab.config.payments_timeout_s  # 0.5 s in the shared lab, to keep this fast
    slow_s = timeout_s + 5.0
    lab.inject("payments", latency(slow_s))
    response = http.post(lab.url + "/checkout", json={"product_id": 3})
    assert response.status_code == 504
    assert "timeout" in response.json()["detail"]
    assert response.elapsed.total_seconds() < slow_s  # answered before payments would have


def test_declined_card_is_402(lab: Lab, http: httpx.Client) -> None:
    response = http.post(lab.url + "/checkout", json={"product_id": 3, "card": DECLINED_CARD})
    assert response.status_code == 402
    assert response.json()["detail"] == "card declined"


def test_checkout_with_catalog_down_is_503(lab: Lab, http: httpx.Client) -> None:
    lab.inject("catalog", outage())
    response = http.post(lab.url + "/checkout", json={"product_id": 3})
    assert response.status_code == 503
    assert "catalog unavailable" in response.json()["detail"]


# -- a dependency answering an unexpected 4xx (error_rate(p, status=429) and the
# admin route allow it). Regression tests: the shop once returned every answer
# below 500 to the routes, which then showed a 429 as a product page, reported a
# checkout as paid, or failed with a KeyError (500).
# Each request uses a new connection: after a 500 uvicorn closes the socket,
# and a pooled client would see that as a reset on its next request.


def _fresh(method: str, url: str, **kwargs: object) -> httpx.Response:
    with httpx.Client(timeout=10) as client:
        return client.request(method, url, **kwargs)  # type: ignore[arg-type]


def test_payments_answering_429_is_not_a_successful_checkout(lab: Lab) -> None:
    lab.inject("payments", error_rate(1.0, status=429))
    response = _fresh("POST", lab.url + "/checkout", json={"product_id": 3})
    assert response.status_code == 502
    assert "charge_id" not in response.json()


def test_catalog_answering_429_is_not_a_product_page(lab: Lab) -> None:
    lab.inject("catalog", error_rate(1.0, status=429))
    response = _fresh("GET", lab.url + "/products/3")
    assert response.status_code == 503
    assert "catalog unavailable" in response.json()["detail"]


def test_catalog_answering_429_during_checkout_is_not_a_500(lab: Lab) -> None:
    lab.inject("catalog", error_rate(1.0, status=429))
    response = _fresh("POST", lab.url + "/checkout", json={"product_id": 3})
    assert response.status_code == 503


def test_recommender_answering_429_degrades_the_page(lab: Lab) -> None:
    lab.inject("recommender", error_rate(1.0, status=429))
    response = _fresh("GET", lab.url + "/products/3")
    assert response.status_code == 200
    assert response.json()["degraded"] is True


# -- liveness and readiness --------------------------------------------------------


def test_ready_and_health_when_all_is_well(lab: Lab, http: httpx.Client) -> None:
    assert http.get(lab.url + "/health").json() == {"status": "ok"}
    ready = http.get(lab.url + "/ready")
    assert ready.status_code == 200
    assert ready.json()["status"] == "ready"
    assert set(ready.json()["checks"]) == {"catalog", "recommender", "payments"}


def test_catalog_outage_makes_the_shop_unready_but_alive(lab: Lab, http: httpx.Client) -> None:
    lab.inject("catalog", outage())
    ready = http.get(lab.url + "/ready")
    assert ready.status_code == 503
    assert ready.json()["status"] == "not ready"
    assert ready.json()["checks"]["catalog"] == {**ready.json()["checks"]["catalog"], "ok": False, "detail": "HTTP 503"}
    assert http.get(lab.url + "/health").status_code == 200


def test_recommender_outage_keeps_the_shop_ready(lab: Lab, http: httpx.Client) -> None:
    lab.inject("recommender", outage())
    ready = http.get(lab.url + "/ready")
    assert ready.status_code == 200
    assert ready.json()["checks"]["recommender"]["ok"] is False
    assert ready.json()["checks"]["recommender"]["essential"] is False


def test_make_shop_app_needs_every_dependency() -> None:
    with pytest.raises(ValueError, match=r"missing \['payments'\]"):
        make_shop_app({"catalog": "http://127.0.0.1:1", "recommender": "http://127.0.0.1:2"})
