"""The balancer's behaviour when an upstream goes away: retry what is safe to repeat, else 502."""

from __future__ import annotations

import socket

import httpx

from labapp import Lab
from labapp.proxy import RoundRobin, make_proxy_app


def _closed_port() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}"  # nothing listens once closed


def test_a_get_is_tried_on_the_next_upstream_and_a_post_is_not(lab: Lab) -> None:
    dead = _closed_port()
    pool = RoundRobin([dead, lab.url])
    url = lab.serve(make_proxy_app(pool), "balancer_test")
    try:
        assert [httpx.get(f"{url}/items").status_code for _ in range(4)] == [200] * 4
        answers = [httpx.post(f"{url}/checkout", json={"product_id": 1}) for _ in range(2)]
        assert sorted(a.status_code for a in answers) == [200, 502]
        assert "bad gateway" in next(a.text for a in answers if a.status_code == 502)
        pool.set([])
        assert httpx.get(f"{url}/items").status_code == 503
    finally:
        lab.extras.pop("balancer_test").stop()
