"""Dependencies that misbehave in the ways real ones do: the shop's caller still gets a clear, bounded answer.

Each bad dependency is a real server on loopback: one that answers 200 with an HTML error page (a
misrouted proxy), with JSON cut short, with ``{"error": ...}``, or with a JSON list; one that accepts
the connection and never answers; one that starts an answer and hangs up. Put in the catalog's place
(essential), the recommender's (nice to have) or payments' (checkout), each must give a 503, a
degraded page or a 502/504 with a message that says what happened: never a 500, never a hang.
"""

from __future__ import annotations

import re
import socket
import threading
from collections.abc import Iterator

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from labapp import Lab, LabConfig
from labapp.runner import ServerThread
from labapp.shop import make_shop_app

CONFIG = LabConfig(catalog_timeout_s=0.5, recommender_timeout_s=0.3, payments_timeout_s=0.5)
DEADLINE_S = 5.0  # the test client's own timeout: a shop that hangs fails the test here


def _answering(response: Response) -> Starlette:
    async def anything(request: Request) -> Response:
        return response

    return Starlette(routes=[Route("/{rest:path}", anything, methods=["GET", "POST"])])


GARBAGE = {
    "an HTML error page": lambda: HTMLResponse("<html><body>502 Bad Gateway</body></html>"),
    "JSON cut short": lambda: Response('{"id": 7, "name": "Bo', media_type="application/json"),
    "an error in a 200": lambda: JSONResponse({"error": "database is down"}),
    "a JSON list": lambda: JSONResponse([1, 2, 3]),
}


class RawServer:
    """A TCP server that reads a request and then either says nothing or sends half an answer and hangs up."""

    def __init__(self, behaviour: str) -> None:
        self.behaviour = behaviour
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.sock.settimeout(0.1)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.stopping = threading.Event()
        self.held: list[socket.socket] = []
        self.thread = threading.Thread(target=self._serve, name="lab-test-raw", daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while not self.stopping.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            conn.recv(65536)
            if self.behaviour == "hangs up":
                conn.sendall(b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"id"')
                conn.close()
            else:
                self.held.append(conn)  # silent: keep it open, answer nothing

    def stop(self) -> None:
        self.stopping.set()
        self.thread.join(5)
        for conn in self.held:
            conn.close()
        self.sock.close()


BEHAVIOURS = [*GARBAGE, "never answers", "hangs up mid-answer"]


@pytest.fixture(params=BEHAVIOURS)
def bad_url(request: pytest.FixtureRequest) -> Iterator[str]:
    behaviour = request.param
    if behaviour in GARBAGE:
        server = ServerThread(_answering(GARBAGE[behaviour]()), name="bad").start()
        yield server.url
        server.stop()
    else:
        raw = RawServer("hangs up" if behaviour == "hangs up mid-answer" else "silent")
        yield raw.url
        raw.stop()


def _shop_with(lab: Lab, service: str, url: str) -> str:
    urls = {**lab.service_urls, service: url}
    return lab.serve(make_shop_app(urls, config=CONFIG), "shop_with_bad_" + service)


def _lab_threads() -> set[str]:
    return {t.name for t in threading.enumerate() if t.name.startswith("lab-")}


def test_a_bad_catalog_is_a_503_that_says_so(lab: Lab, bad_url: str) -> None:
    shop = _shop_with(lab, "catalog", bad_url)
    for answer in (httpx.get(f"{shop}/products/7", timeout=DEADLINE_S), httpx.get(f"{shop}/items", timeout=DEADLINE_S)):
        assert answer.status_code == 503, answer.text
        assert answer.json()["detail"].startswith("catalog unavailable (")
        assert answer.headers["retry-after"] == "1"


def test_a_bad_recommender_still_gives_the_page_degraded(lab: Lab, bad_url: str) -> None:
    shop = _shop_with(lab, "recommender", bad_url)
    answer = httpx.get(f"{shop}/products/7", timeout=DEADLINE_S)
    assert answer.status_code == 200, answer.text
    page = answer.json()
    assert page["degraded"] is True and page["name"] and page["recommendations"] == []


def test_a_bad_payments_fails_the_checkout_clearly_and_is_not_retried_blindly(lab: Lab, bad_url: str) -> None:
    shop = _shop_with(lab, "payments", bad_url)
    answer = httpx.post(f"{shop}/checkout", json={"product_id": 7}, timeout=DEADLINE_S)
    assert answer.status_code in (502, 504), answer.text
    detail = answer.json()["detail"]
    # A 200 it cannot read may be a charge made: the message must not promise otherwise.
    assert "cannot read" in detail or "you were not charged" in detail


def test_garbage_is_counted_as_invalid_in_the_shops_metrics(lab: Lab) -> None:
    server = ServerThread(_answering(GARBAGE["an error in a 200"]()), name="bad").start()
    try:
        shop = _shop_with(lab, "catalog", server.url)
        httpx.get(f"{shop}/products/7", timeout=DEADLINE_S)
        metrics = httpx.get(f"{shop}/metrics", timeout=DEADLINE_S).text
    finally:
        server.stop()
    invalid = r'shop_downstream_requests_total\{(?=[^}]*service="catalog")(?=[^}]*outcome="invalid")[^}]*\} 1\.0'
    assert re.search(invalid, metrics), [line for line in metrics.splitlines() if "downstream_requests" in line]


def test_bad_dependencies_leave_no_threads_behind(lab: Lab) -> None:
    before = _lab_threads()
    for behaviour in ("silent", "hangs up"):
        raw = RawServer(behaviour)
        shop = _shop_with(lab, "catalog", raw.url)
        for _ in range(5):
            assert httpx.get(f"{shop}/products/7", timeout=DEADLINE_S).status_code == 503
        lab.extras["shop_with_bad_catalog"].stop()
        raw.stop()
    assert not _lab_threads() - before, _lab_threads() - before
