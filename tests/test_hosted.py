"""hosted.py and launcher.py without a Jupyter server: links, the proxy's prefix, the page files."""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path

import httpx
import pytest

from labapp import hosted
from labapp.launcher import PAGES, make_app, prometheus_server

HUB = {hosted.PREFIX_ENV: "/user/ana/"}


def test_links_on_your_own_machine_are_the_servers_own() -> None:
    assert hosted.jupyter_prefix({}) is None
    assert hosted.browser_url("http://127.0.0.1:8123", "/docs", {}) == "http://127.0.0.1:8123/docs"


def test_links_on_a_hub_go_through_the_jupyter_server() -> None:
    assert hosted.jupyter_prefix({hosted.PREFIX_ENV: "/user/ana"}) == "/user/ana/"
    assert hosted.browser_url("http://127.0.0.1:8123", "/docs", HUB) == "/user/ana/proxy/8123/docs"
    # A server that serves under the prefix itself (Prometheus, given its external URL) keeps its path.
    own = "http://127.0.0.1:9090" + hosted.absolute_proxy_path(9090, HUB)
    assert hosted.browser_url(own, "/", HUB) == "/user/ana/proxy/absolute/9090/"
    assert hosted.absolute_proxy_path(9090, {}) == ""


@pytest.mark.parametrize(
    ("url", "path", "says"),
    [("127.0.0.1:8123", "/", "base URL"), ("http://127.0.0.1", "/", "base URL"), ("http://127.0.0.1:1", "docs", "'/'")],
)
def test_a_wrong_argument_says_what_to_pass(url: str, path: str, says: str) -> None:
    with pytest.raises(ValueError, match=says):
        hosted.browser_url(url, path)


def test_only_the_proxys_own_prefix_for_this_port_is_taken() -> None:
    assert hosted.proxy_prefix_of("/user/ana/proxy/8123", 8123) == "/user/ana/proxy/8123"
    assert hosted.proxy_prefix_of("/proxy/8123", 8123) == "/proxy/8123"  # a plain `jupyter lab`
    for made_up in ("/user/ana/proxy/8124", "/user/a'b/proxy/8123", "/user/ana/proxy/8123/", "/user/ana"):
        assert hosted.proxy_prefix_of(made_up, 8123) is None


def test_page_files_are_matched_by_prefix_and_live_kernel(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(hosted.PAGES_DIR_ENV, str(tmp_path))
    monkeypatch.setenv(hosted.PREFIX_ENV, "/user/ana/")
    token = hosted.announce("shop", "http://127.0.0.1:8123")
    # Another learner on the same host, and a kernel that died without cleaning up.
    others = {1: (os.getpid(), "/user/bo/"), 2: (999_999_999, "/user/ana/")}
    for n, (pid, prefix) in others.items():
        record = {"pid": pid, "prefix": prefix, "updated": 9e9, "pages": {"shop": f"http://127.0.0.1:{n}"}}
        (tmp_path / f"labapp-pages-{n}.json").write_text(json.dumps(record))
    try:
        assert hosted.published("/user/ana/") == {"shop": "http://127.0.0.1:8123"}
        assert hosted.published("/user/bo/") == {"shop": "http://127.0.0.1:1"}
    finally:
        hosted.withdraw(token)
    assert "http://127.0.0.1:8123" not in hosted.published("/user/ana/").values()


def test_the_launcher_says_how_to_start_a_page_nobody_serves(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(hosted.PAGES_DIR_ENV, str(tmp_path))
    monkeypatch.setenv(hosted.PREFIX_ENV, "/user/ana/")

    def get(path: str) -> httpx.Response:
        async def call() -> httpx.Response:
            transport = httpx.ASGITransport(app=make_app(PAGES["prometheus"]))
            async with httpx.AsyncClient(transport=transport, base_url="http://launcher") as client:
                return await client.get(path)

        return asyncio.run(call())

    missing = get("/user/ana/lab-prometheus/")
    assert missing.status_code == 404 and "lab.watch()" in missing.text
    token = hosted.announce("prometheus", "http://127.0.0.1:9090/user/ana/proxy/absolute/9090")
    try:
        found = get("/user/ana/lab-prometheus/")
    finally:
        hosted.withdraw(token)
    assert found.status_code == 307 and found.headers["location"] == "/user/ana/proxy/absolute/9090/"


def test_the_launcher_entry_starts_the_redirector_with_this_python() -> None:
    entry = prometheus_server()
    assert entry["command"][1:4] == ["-m", "labapp.launcher", "prometheus"] and "{port}" in entry["command"]
    assert Path(entry["launcher_entry"]["icon_path"]).is_file()
