"""The lab's pages through a learner's Jupyter server, as on a JupyterHub or Binder.

A real JupyterLab with jupyter-server-proxy runs under a hub's base URL
(``/user/learner/``) with the hub's ``JUPYTERHUB_SERVICE_PREFIX``; requests carry a
public Host name, as a browser's do. The shop's /docs and Prometheus' UI must load
through ``proxy/PORT/`` with every script and style they reference, and the
launcher's tiles must find them.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from running_jupyterlab import RunningLab, jupyterlab

from labapp import Lab, find_prometheus, hosted
from labapp.observe import PrometheusServer

pytest.importorskip("jupyter_server_proxy", reason="jupyter-server-proxy is in requirements.txt")

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"
PREFIX = "/user/learner/"
HUB_HOST = {"Host": "hub.example.org"}  # what the learner's browser sends; the shop never sees 127.0.0.1 here
ASSET = re.compile(r"""(?:src|href)="([^"#]+)"|url: ?'([^']+)'""")


@pytest.fixture(scope="module")
def hub_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    env = {hosted.PREFIX_ENV: PREFIX, hosted.PAGES_DIR_ENV: str(tmp_path_factory.mktemp("pages"))}
    with pytest.MonkeyPatch.context() as patch:
        for name, value in env.items():
            patch.setenv(name, value)
        yield env


@pytest.fixture(scope="module")
def server(hub_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningLab]:
    # allow_remote_access: a hub's server answers the public Host name, not only localhost.
    options = ("--ServerApp.allow_remote_access=True", "notebooks/")
    with jupyterlab(ROOT, tmp_path_factory.mktemp("jl"), *options, env=hub_env, base_url=PREFIX) as running:
        yield running


@pytest.fixture(scope="module")
def hub_lab(hub_env: dict[str, str]) -> Iterator[Lab]:
    lab = Lab().start()  # built under the prefix: it trusts the proxy's Host and prefix
    yield lab
    lab.stop()


def browse(server: RunningLab, link: str) -> httpx.Response:
    """What the browser gets for a link the lab printed: the Jupyter server's own host, the link's path."""
    assert link.startswith(PREFIX), f"{link} is not under the Jupyter server's prefix"
    return server.get(link.removeprefix(PREFIX.rstrip("/")), headers=HUB_HOST)


def assets_of(page: str) -> list[str]:
    return sorted({a or b for a, b in ASSET.findall(page)})


def test_links_point_through_the_jupyter_server(hub_lab: Lab) -> None:
    port = urlsplit(hub_lab.url).port
    assert hub_lab.pages()["shop API docs"] == f"{PREFIX}proxy/{port}/docs"
    assert "through your Jupyter server" in hub_lab.pages()._repr_html_()


@pytest.mark.timeout(90)
def test_the_shop_docs_load_through_the_proxy_assets_included(server: RunningLab, hub_lab: Lab) -> None:
    port = urlsplit(hub_lab.url).port
    page = browse(server, hub_lab.pages()["shop API docs"])
    assert page.status_code == 200, page.text[:300]
    assets = assets_of(page.text)
    base = f"{PREFIX}proxy/{port}/"
    assert {
        f"{base}docs/assets/swagger-ui-bundle.js",
        f"{base}docs/assets/swagger-ui.css",
        f"{base}openapi.json",
    } <= set(assets)
    for asset in assets:
        got = browse(server, asset)
        assert got.status_code == 200, f"{asset}: {got.status_code}"
    schema = browse(server, f"{base}openapi.json").json()
    # Swagger UI's "Try it out" calls the API through the proxy too.
    assert schema["servers"] == [{"url": f"{base.rstrip('/')}"}]
    answer = browse(server, f"{base}products/7")
    assert answer.status_code == 200 and answer.json()["id"] == 7


def test_a_prefix_the_proxy_did_not_send_is_ignored(hub_lab: Lab) -> None:
    for made_up in ("/x'</script>/proxy/1", "/user/learner/proxy/1", "/elsewhere"):
        page = httpx.get(hub_lab.url + "/docs", headers={"X-Forwarded-Prefix": made_up})
        assert page.status_code == 200 and made_up not in page.text
        assert "/docs/assets/swagger-ui.css" in page.text


@pytest.mark.prometheus
@pytest.mark.timeout(90)
def test_prometheus_loads_through_the_proxy_assets_included(server: RunningLab, hub_lab: Lab) -> None:
    if find_prometheus() is None:
        pytest.skip("no prometheus binary: sudo apt-get install prometheus")
    watcher = hub_lab.watch()
    assert isinstance(watcher, PrometheusServer)
    link = hub_lab.pages()["Prometheus"]
    assert link.endswith(f"/proxy/absolute/{urlsplit(watcher.url).port}/")
    hop = browse(server, link)  # Prometheus sends / to its graph page, under the prefix it was given
    assert hop.status_code in (302, 303) and hop.headers["location"].startswith(link), hop.headers
    page = browse(server, hop.headers["location"])
    assert page.status_code == 200 and "<title>Prometheus" in page.text
    assets = assets_of(page.text)
    assert any(a.endswith(".js") or ".js?" in a for a in assets)
    for asset in (a for a in assets if a.startswith("/")):
        got = browse(server, asset)
        if "/static/" in asset:  # scripts, styles, icons
            assert got.status_code == 200 and got.content, f"{asset}: {got.status_code}"
        else:  # the menu's pages: served, or sent on within the proxy path
            assert got.status_code == 200 or got.headers["location"].startswith(link), f"{asset}: {got.status_code}"
    query = browse(server, f"{link}api/v1/query?query=up")
    assert query.json()["status"] == "success"


@pytest.mark.timeout(90)
def test_the_launcher_tiles_open_the_running_labs_pages(server: RunningLab, hub_lab: Lab) -> None:
    listed = server.get("/server-proxy/servers-info").json()["server_processes"]
    tiles = {s["name"]: s["launcher_entry"] for s in listed}
    assert tiles["lab-docs"]["title"] == "Shop API docs" and tiles["lab-docs"]["enabled"]
    assert tiles["lab-prometheus"]["title"] == "Prometheus"
    # The tile starts the redirector on first use (up to its 30 s timeout), which sends the browser on.
    hop = server.get("/lab-docs/", headers=HUB_HOST, timeout=40)
    assert hop.status_code == 307, hop.text[:300]
    assert hop.headers["location"] == hub_lab.pages()["shop API docs"]


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.prometheus
@pytest.mark.timeout(120)
@pytest.mark.skipif(CHROMIUM is None, reason="no chromium on PATH (Debian/Ubuntu: apt-get install chromium)")
def test_a_browser_renders_both_pages_through_the_proxy(server: RunningLab, hub_lab: Lab) -> None:
    """What a learner on a hub sees: Swagger UI with the shop's routes, Prometheus' graph page, nothing failing."""
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (requirements-dev)")
    if find_prometheus() is None:
        pytest.skip("no prometheus binary: sudo apt-get install prometheus")
    hub_lab.watch()
    origin = server.base.removesuffix(PREFIX.rstrip("/"))
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_api.sync_playwright() as playwright:
        args = ["--no-sandbox"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=args)
        try:
            # The token on every request, as the hub's login cookie would be.
            context = browser.new_context(
                viewport={"width": 1280, "height": 720}, extra_http_headers={"Authorization": f"token {server.token}"}
            )
            page = context.new_page()
            failed: list[str] = []
            page.on("requestfailed", lambda request: failed.append(request.url))
            page.on("response", lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 400 else None)
            page.goto(origin + hub_lab.pages()["shop API docs"])
            # Swagger UI's "Try it out" on the product page: the call goes through the proxy too.
            page.get_by_text("Product Page").click(timeout=30_000)
            page.get_by_role("button", name="Try it out").click()
            page.get_by_placeholder("product_id").fill("7")
            page.get_by_role("button", name="Execute").click()
            cell = ".live-responses-table tbody .response-col_status"
            page.wait_for_selector(cell, timeout=30_000)
            status = page.inner_text(cell)
            page.screenshot(path=str(ARTIFACTS / "proxied_docs.png"))
            assert status.strip().startswith("200"), status
            page.goto(origin + hub_lab.pages()["Prometheus"])
            page.wait_for_selector("text=Execute", timeout=30_000)
            page.screenshot(path=str(ARTIFACTS / "proxied_prometheus.png"))
            assert page.url.startswith(origin + hub_lab.pages()["Prometheus"])
        finally:
            browser.close()
    assert not [f for f in failed if "favicon" not in f], failed
