"""A corporate proxy in the environment must not swallow the lab's loopback traffic."""

from __future__ import annotations

import os
import subprocess
import sys

from labapp.proxyenv import bypass_proxy_for_loopback


def test_without_a_proxy_nothing_changes() -> None:
    env: dict[str, str] = {"NO_PROXY": "example.com"}
    assert bypass_proxy_for_loopback(env) == []
    assert env == {"NO_PROXY": "example.com"}


def test_with_a_proxy_loopback_is_added_once_and_the_rest_kept() -> None:
    env = {"https_proxy": "http://proxy.corp:3128", "no_proxy": "intranet.corp,localhost"}
    assert bypass_proxy_for_loopback(env) == ["127.0.0.1", "::1"]
    assert env["NO_PROXY"] == env["no_proxy"] == "intranet.corp,localhost,127.0.0.1,::1"
    assert bypass_proxy_for_loopback(env) == []  # importing twice changes nothing


def test_a_lab_starts_and_answers_behind_an_unreachable_proxy() -> None:
    env = {**os.environ, "HTTP_PROXY": "http://127.0.0.1:9", "HTTPS_PROXY": "http://127.0.0.1:9"}
    env.pop("NO_PROXY", None)
    env.pop("no_proxy", None)
    code = "import httpx\nfrom labapp import Lab\nwith Lab() as lab:\n    print(httpx.get(lab.url + '/health').status_code)"  # noqa: E501
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "200", done.stderr[-800:]
