"""The shop's SQLite store, login and orders: bound parameters, limited guesses, orders only for their owner."""

from __future__ import annotations

import httpx
import pytest

from labapp import Lab, LabConfig
from labapp.shop.store import CUSTOMERS, ShopStore


@pytest.fixture(scope="module")
def store() -> ShopStore:
    return ShopStore()


def test_search_binds_the_value(store: ShopStore) -> None:
    assert [row["name"] for row in store.search("Kettle")][:2] == ["Quiet Kettle", "Bright Kettle"]
    assert store.search("zzqx' OR '1'='1' --") == []
    assert store.search("%") == [] and store.search("_") == []  # LIKE's wildcards are literal characters
    assert len(store.search("e")) == 50


def test_the_unsafe_search_is_injectable(store: ShopStore) -> None:
    assert len(store.search_unsafe("zzqx' OR '1'='1' --")) == 1000
    stolen = store.search_unsafe("zzqx' UNION SELECT 0, username || ':' || api_key, 0 FROM customers --")
    assert {row["name"] for row in stolen} == {f"{user}:{key}" for user, (_, key) in CUSTOMERS.items()}


def test_login_and_orders(store: ShopStore) -> None:
    password, key = CUSTOMERS["ada"]
    assert store.login("ada", password) == key
    assert store.login("ada", "wrong") is None
    assert store.login("nobody", password) is None
    order_id = store.add_order("ada", 3, 2, 1000, "4242424242424242")
    order = store.order(order_id)
    assert order is not None
    assert (order["owner"], order["product_id"], order["amount_cents"], order["card_last4"]) == ("ada", 3, 1000, "4242")
    assert store.order(10**9) is None


def test_over_http_orders_belong_to_their_owner(lab: Lab, http: httpx.Client) -> None:
    ada, bob = ({"Authorization": f"Bearer {CUSTOMERS[name][1]}"} for name in ("ada", "bob"))
    order = http.post(lab.url + "/checkout", json={"product_id": 3}, headers=ada).json()
    assert http.get(f"{lab.url}/orders/{order['order_id']}", headers=ada).json()["owner"] == "ada"
    other = http.get(f"{lab.url}/orders/{order['order_id']}", headers=bob)
    assert other.status_code == 404
    assert http.get(f"{lab.url}/orders/{order['order_id']}").status_code == 401
    anonymous = http.post(lab.url + "/checkout", json={"product_id": 3}).json()
    assert http.get(f"{lab.url}/orders/{anonymous['order_id']}", headers=ada).status_code == 404
    wrong_key = http.post(lab.url + "/checkout", json={"product_id": 3}, headers={"Authorization": "Bearer nope"})
    assert wrong_key.status_code == 401


def test_over_http_product_pages_show_public_fields_only(lab: Lab, http: httpx.Client) -> None:
    page = http.get(lab.url + "/products/1").json()
    assert {"cost_cents", "supplier"}.isdisjoint(page)
    assert {"id", "name", "price_cents", "recommendations"} <= set(page)


def test_login_guesses_are_limited_per_address() -> None:
    with Lab(LabConfig()) as lab, httpx.Client(base_url=lab.url) as client:
        password, key = CUSTOMERS["bob"]
        assert client.post("/token", json={"username": "bob", "password": password}).json()["api_key"] == key
        statuses = [client.post("/token", json={"username": "bob", "password": f"x{i}"}).status_code for i in range(6)]
        assert statuses == [401, 401, 401, 401, 429, 429]
        assert client.post("/token", json={"username": "bob"}).status_code == 422


def test_search_validates_its_input(lab: Lab, http: httpx.Client) -> None:
    assert http.get(lab.url + "/search", params={"q": "'"}).json()["items"] == []
    assert http.get(lab.url + "/search").status_code == 422
    assert http.get(lab.url + "/search", params={"q": "x" * 101}).status_code == 422
