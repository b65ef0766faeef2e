"""The /admin/faults routes answer only to loopback callers, whatever the headers say."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from labapp import Lab, outage
from labapp.faults import FaultSwitch
from labapp.shop import make_shop_app

# Nothing in these tests calls a dependency; the URLs only need to exist.
UNUSED_URLS = {name: "http://127.0.0.1:9" for name in ("catalog", "recommender", "payments")}


def _ask(
    client_address: tuple[str, int], method: str, path: str, **kwargs: object
) -> tuple[httpx.Response, dict[str, FaultSwitch]]:
    switches = {name: FaultSwitch(name) for name in UNUSED_URLS}
    app = make_shop_app(UNUSED_URLS, switches=switches)

    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=app, client=client_address)
        async with httpx.AsyncClient(transport=transport, base_url="http://shop") as client:
            return await client.request(method, path, **kwargs)  # type: ignore[arg-type]

    return asyncio.run(go()), switches


def test_remote_caller_is_refused() -> None:
    response, _ = _ask(("10.1.2.3", 1234), "GET", "/admin/faults")
    assert response.status_code == 403
    assert "loopback" in response.json()["detail"]


def test_remote_caller_cannot_inject_even_claiming_to_be_loopback() -> None:
    response, switches = _ask(
        ("10.1.2.3", 1234),
        "PUT",
        "/admin/faults/payments",
        json={"outage": True},
        headers={"X-Forwarded-For": "127.0.0.1", "Forwarded": "for=127.0.0.1"},
    )
    assert response.status_code == 403
    assert not switches["payments"].fault


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.9", "::1"])
def test_loopback_caller_is_allowed(host: str) -> None:
    response, switches = _ask((host, 1234), "PUT", "/admin/faults/payments", json={"latency_s": 0.2, "error_rate": 0.1})
    assert response.status_code == 200
    assert response.json() == {"service": "payments", "summary": "latency 0.2 s + 10% errors"}
    assert switches["payments"].fault.latency_s == 0.2


def test_admin_rejects_bad_bodies_and_unknown_services() -> None:
    response, _ = _ask(("127.0.0.1", 1), "PUT", "/admin/faults/payments", json={"error_rate": 5})
    assert response.status_code == 422
    response, _ = _ask(("127.0.0.1", 1), "PUT", "/admin/faults/paymnets", json={"outage": True})
    assert response.status_code == 404
    assert "choose one of ['catalog', 'payments', 'recommender']" in response.json()["detail"]


def test_without_switches_there_are_no_admin_routes() -> None:
    app = make_shop_app(UNUSED_URLS)

    async def go() -> int:
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 1))
        async with httpx.AsyncClient(transport=transport, base_url="http://shop") as client:
            return (await client.get("/admin/faults")).status_code

    assert asyncio.run(go()) == 404


def test_over_real_http_a_spoofed_forwarded_for_changes_nothing(lab: Lab, http: httpx.Client) -> None:
    spoof = {"X-Forwarded-For": "10.0.0.1", "X-Real-IP": "10.0.0.1"}
    # Still allowed: the shop reads the socket's loopback peer, not the header.
    response = http.put(lab.url + "/admin/faults/catalog", json={"outage": True}, headers=spoof)
    assert response.status_code == 200
    assert lab.faults()["catalog"] == "outage"
    listing = http.get(lab.url + "/admin/faults", headers=spoof)
    assert listing.status_code == 200
    assert listing.json()["catalog"]["outage"] is True

    response = http.delete(lab.url + "/admin/faults/catalog", headers=spoof)
    assert response.status_code == 200
    assert lab.faults()["catalog"] == "healthy"


def test_over_real_http_heal_all(lab: Lab, http: httpx.Client) -> None:
    lab.inject("catalog", outage())
    lab.inject("payments", outage())
    response = http.delete(lab.url + "/admin/faults")
    assert response.json() == {"healed": ["catalog", "payments", "recommender"]}
    assert set(lab.faults().values()) == {"healthy"}
