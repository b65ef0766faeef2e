"""The /admin/faults routes answer only to this lab's owner: a loopback socket peer holding the lab's secret."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from labapp import Lab, LabConfig, outage
from labapp.faults import FaultSwitch
from labapp.shop import make_shop_app

# Nothing in these tests calls a dependency; the URLs only need to exist.
UNUSED_URLS = {name: "http://127.0.0.1:9" for name in ("catalog", "recommender", "payments")}
TOKEN = "t" * 16 + "-test-secret"
OWNER = {"Authorization": f"Bearer {TOKEN}"}


def _ask(
    client_address: tuple[str, int],
    method: str,
    path: str,
    *,
    config: LabConfig | None = None,
    **kwargs: object,
) -> tuple[httpx.Response, dict[str, FaultSwitch]]:
    switches = {name: FaultSwitch(name) for name in UNUSED_URLS}
    app = make_shop_app(UNUSED_URLS, config=config, switches=switches, admin_token=TOKEN)

    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=app, client=client_address)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
            return await client.request(method, path, **kwargs)  # type: ignore[arg-type]

    return asyncio.run(go()), switches


def test_remote_caller_is_refused_even_with_the_secret() -> None:
    response, _ = _ask(("10.1.2.3", 1234), "GET", "/admin/faults", headers=OWNER)
    assert response.status_code == 403
    assert "loopback" in response.json()["detail"]


def test_remote_caller_cannot_inject_even_claiming_to_be_loopback() -> None:
    response, switches = _ask(
        ("10.1.2.3", 1234),
        "PUT",
        "/admin/faults/payments",
        json={"outage": True},
        headers={**OWNER, "X-Forwarded-For": "127.0.0.1", "Forwarded": "for=127.0.0.1"},
    )
    assert response.status_code == 403
    assert not switches["payments"].fault


def test_a_trusted_proxy_forwarding_for_loopback_does_not_make_a_loopback_caller() -> None:
    """The proxy layer rewrites request.client to 127.0.0.1; the admin check judges the socket's peer."""
    config = LabConfig(trusted_proxies=("10.0.0.5",))
    spoof = {**OWNER, "X-Forwarded-For": "127.0.0.1"}
    response, switches = _ask(
        ("10.0.0.5", 1), "PUT", "/admin/faults/payments", config=config, json={"outage": True}, headers=spoof
    )
    assert response.status_code == 403
    assert not switches["payments"].fault


def test_a_loopback_caller_without_the_secret_is_refused() -> None:
    """Learners on one host share 127.0.0.1: loopback alone is not the lab's owner."""
    for headers in ({}, {"Authorization": "Bearer wrong-secret-of-another-lab"}, {"Authorization": TOKEN}):
        response, switches = _ask(
            ("127.0.0.1", 1), "PUT", "/admin/faults/payments", json={"outage": True}, headers=headers
        )
        assert response.status_code == 401, headers
        assert "secret" in response.json()["detail"]
        assert response.headers["www-authenticate"] == "Bearer"
        assert not switches["payments"].fault


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.9", "::1"])
def test_loopback_caller_with_the_secret_is_allowed(host: str) -> None:
    response, switches = _ask(
        (host, 1234), "PUT", "/admin/faults/payments", json={"latency_s": 0.2, "error_rate": 0.1}, headers=OWNER
    )
    assert response.status_code == 200
    assert response.json() == {"service": "payments", "summary": "latency 0.2 s + 10% errors"}
    assert switches["payments"].fault.latency_s == 0.2


def test_admin_rejects_bad_bodies_and_unknown_services() -> None:
    response, _ = _ask(("127.0.0.1", 1), "PUT", "/admin/faults/payments", json={"error_rate": 5}, headers=OWNER)
    assert response.status_code == 422
    response, _ = _ask(("127.0.0.1", 1), "PUT", "/admin/faults/paymnets", json={"outage": True}, headers=OWNER)
    assert response.status_code == 404
    assert "choose one of ['catalog', 'payments', 'recommender']" in response.json()["detail"]


def test_switches_without_a_secret_are_refused_at_build_time() -> None:
    with pytest.raises(ValueError, match="admin_token"):
        make_shop_app(UNUSED_URLS, switches={"payments": FaultSwitch("payments")})
    with pytest.raises(ValueError, match="at least 16"):
        make_shop_app(UNUSED_URLS, switches={"payments": FaultSwitch("payments")}, admin_token="short")


def test_admin_routes_are_not_in_the_public_schema() -> None:
    response, _ = _ask(("127.0.0.1", 1), "GET", "/openapi.json")
    paths = response.json()["paths"]
    assert "/products/{product_id}" in paths
    assert not [path for path in paths if path.startswith("/admin")]


def test_without_switches_there_are_no_admin_routes() -> None:
    app = make_shop_app(UNUSED_URLS)

    async def go() -> int:
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 1))
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
            return (await client.get("/admin/faults")).status_code

    assert asyncio.run(go()) == 404


def test_over_real_http_the_lab_sends_its_secret_and_others_are_refused(lab: Lab, http: httpx.Client) -> None:
    response = lab.admin("PUT", "/admin/faults/catalog", {"outage": True})
    assert response.status_code == 200
    assert lab.faults()["catalog"] == "outage"
    assert lab.admin("GET", "/admin/faults").json()["catalog"]["outage"] is True
    # Another learner's kernel on the same machine: loopback, spoofed headers, no secret.
    spoof = {"X-Forwarded-For": "127.0.0.1", "X-Real-IP": "127.0.0.1"}
    assert http.delete(lab.url + "/admin/faults/catalog", headers=spoof).status_code == 401
    assert lab.faults()["catalog"] == "outage"
    assert lab.admin("DELETE", "/admin/faults/catalog").status_code == 200
    assert lab.faults()["catalog"] == "healthy"
    with pytest.raises(ValueError, match="/admin routes only"):
        lab.admin("GET", "/metrics")


def test_over_real_http_heal_all(lab: Lab) -> None:
    lab.inject("catalog", outage())
    lab.inject("payments", outage())
    response = lab.admin("DELETE", "/admin/faults")
    assert response.json() == {"healed": ["catalog", "payments", "recommender"]}
    assert set(lab.faults().values()) == {"healthy"}


def test_each_lab_has_its_own_secret() -> None:
    first, second = Lab(), Lab()
    assert first._admin_token != second._admin_token
    assert len(first._admin_token) >= 32
    with pytest.raises(ValueError, match="at least 16"):
        Lab(admin_token="short")
