"""The hardened shop's defaults: Host check, offline docs, pages for this machine only, security headers."""

from __future__ import annotations

import asyncio
import warnings

import httpx
import pytest

from labapp import Lab, LabConfig
from labapp.shop import make_shop_app

UNUSED_URLS = {name: "http://127.0.0.1:9" for name in ("catalog", "recommender", "payments")}


def _get(
    path: str, *, peer: str = "127.0.0.1", host: str = "127.0.0.1", config: LabConfig | None = None
) -> httpx.Response:
    app = make_shop_app(UNUSED_URLS, config=config)

    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=app, client=(peer, 1234))
        async with httpx.AsyncClient(transport=transport, base_url=f"http://{host}") as client:
            return await client.get(path)

    return asyncio.run(go())


@pytest.mark.parametrize("host", ["attacker.example", "127.0.0.1.nip.io", "shop"])
def test_a_server_on_loopback_refuses_unexpected_host_names(host: str) -> None:
    """DNS rebinding: a web page reaches 127.0.0.1 through its own name; the Host header gives it away."""
    response = _get("/health", host=host)
    assert response.status_code == 400
    assert response.text == "Invalid host header"


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "[::1]", "127.0.0.1:8000", "localhost:8000"])
def test_loopback_names_are_allowed(host: str) -> None:
    assert _get("/health", host=host).status_code == 200


def test_extra_allowed_hosts_and_remote_binding() -> None:
    assert _get("/health", host="hub.example", config=LabConfig(allowed_hosts=("hub.example",))).status_code == 200
    # Bound to a public address on purpose, the shop answers to whatever name reaches it.
    remote = LabConfig(host="0.0.0.0", allow_remote=True)  # noqa: S104
    assert _get("/health", host="projector.local", config=remote).status_code == 200


def test_docs_work_offline_from_the_installed_package() -> None:
    page = _get("/docs")
    assert page.status_code == 200
    assert "cdn" not in page.text.lower() and "https://" not in page.text
    for asset in ("/docs/assets/swagger-ui-bundle.js", "/docs/assets/swagger-ui.css"):
        assert asset in page.text
        response = _get(asset)
        assert response.status_code == 200, asset
        assert len(response.content) > 10_000, asset
    assert "redoc" not in _get("/openapi.json").text


@pytest.mark.parametrize("path", ["/docs", "/docs/assets/swagger-ui.css", "/openapi.json", "/metrics"])
def test_internals_answer_only_callers_on_this_machine(path: str) -> None:
    assert _get(path).status_code == 200
    outside = _get(path, peer="203.0.113.7")
    assert outside.status_code == 404
    assert outside.json() == {"detail": "Not Found"}


def test_a_trusted_proxy_cannot_open_internal_pages_for_a_remote_caller() -> None:
    config = LabConfig(trusted_proxies=("203.0.113.0/28",))
    # The proxy connects from outside; its header claims a loopback client.
    app = make_shop_app(UNUSED_URLS, config=config)

    async def go() -> int:
        transport = httpx.ASGITransport(app=app, client=("203.0.113.2", 1))
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
            return (await client.get("/metrics", headers={"X-Forwarded-For": "127.0.0.1"})).status_code

    assert asyncio.run(go()) == 404


def test_every_answer_carries_the_security_headers() -> None:
    for path in ("/health", "/no/such/page", "/docs"):
        headers = _get(path).headers
        assert headers["x-content-type-options"] == "nosniff", path
        assert headers["x-frame-options"] == "DENY", path
        assert "frame-ancestors 'none'" in headers["content-security-policy"], path
        assert "access-control-allow-origin" not in headers, path
    assert _get("/health").headers["content-security-policy"].startswith("default-src 'none'")


def test_over_real_http_no_server_banner(lab: Lab, http: httpx.Client) -> None:
    response = http.get(lab.url + "/health")
    assert "server" not in response.headers
    assert response.headers["x-content-type-options"] == "nosniff"
    assert http.get(lab.url + "/health", headers={"Host": "evil.example"}).status_code == 400


@pytest.mark.parametrize("entry", ["*", "0.0.0.0/0", "10.0.0.0/8", "::/0", "my-proxy"])
def test_trusted_proxies_refuses_everyone_and_wide_networks(entry: str) -> None:
    with pytest.raises(ValueError, match="trusted_proxies"):
        LabConfig(trusted_proxies=(entry,))


def test_trusted_proxies_warns_on_a_network_wider_than_a_slash_24() -> None:
    with pytest.warns(UserWarning, match="4,096 addresses"):
        LabConfig(trusted_proxies=("10.0.0.0/20",))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        LabConfig(trusted_proxies=("10.0.0.5", "10.0.1.0/24", "127.0.0.254"))
    with pytest.raises(ValueError, match="not a string"):
        LabConfig(trusted_proxies="10.0.0.5")  # type: ignore[arg-type]
