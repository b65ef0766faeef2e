"""Dependencies that misbehave in the ways real ones do: the shop's caller still gets a clear, bounded answer.

Each bad dependency is a real server on loopback: one that answers 200 with an HTML error page (a
misrouted proxy), with JSON cut short, with ``{"error": ...}``, or with a JSON list; one that accepts
the connection and never answers; one that starts an answer and hangs up; one that answers well but
after every timeout. Put in the catalog's place (essential), the recommender's (nice to have) or
payments' (checkout), each must give a 503, a degraded page or a 502/504 with a message that says
what happened: never a 500, never a hang. A dependency process killed mid-request is its own test,
and so is what they leave behind: no lab thread, no asyncio task in the shop's event loop.
"""

from __future__ import annotations

import asyncio
import re
import selectors
import socket
import subprocess
import sys
import textwrap
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import httpx
import pytest
from fastapi import FastAPI
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from labapp import Lab, LabConfig
from labapp.runner import ServerThread
from labapp.shop import make_shop_app

CONFIG = LabConfig(catalog_timeout_s=0.5, recommender_timeout_s=0.3, payments_timeout_s=0.5)
DEADLINE_S = 5.0  # the test client's own timeout: a shop that hangs fails the test here
LATE_S = 2.0  # longer than every timeout in CONFIG
# What every dependency would answer when well: a product, recommendations, a charge.
GOOD_ANSWER = {
    "id": 7, "name": "Bolt", "price_cents": 100, "items": [], "total": 0,
    "recommendations": [1, 2], "charge_id": "ch_1", "status": "captured",
}  # fmt: skip


def _answering(response: Response, after_s: float = 0.0) -> Starlette:
    async def anything(request: Request) -> Response:
        await asyncio.sleep(after_s)
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


BEHAVIOURS = [*GARBAGE, "never answers", "hangs up mid-answer", "answers after every timeout"]


@contextmanager
def _bad_server(behaviour: str) -> Iterator[str]:
    """A real server on loopback that misbehaves as ``behaviour`` says; yields its URL."""
    if behaviour in GARBAGE or behaviour == "answers after every timeout":
        late = behaviour not in GARBAGE
        app = _answering(JSONResponse(GOOD_ANSWER), after_s=LATE_S) if late else _answering(GARBAGE[behaviour]())
        server = ServerThread(app, name="bad").start()
        try:
            yield server.url
        finally:
            server.stop()
    else:
        raw = RawServer("hangs up" if behaviour == "hangs up mid-answer" else "silent")
        try:
            yield raw.url
        finally:
            raw.stop()


@pytest.fixture(params=BEHAVIOURS)
def bad_url(request: pytest.FixtureRequest) -> Iterator[str]:
    with _bad_server(request.param) as url:
        yield url


def _shop_with(lab: Lab, service: str, url: str) -> str:
    urls = {**lab.service_urls, service: url}
    return lab.serve(make_shop_app(urls, config=CONFIG), "shop_with_bad_" + service)


def _lab_threads() -> set[str]:
    return {t.name for t in threading.enumerate() if t.name.startswith("lab-")}


def _with_task_count(app: FastAPI) -> FastAPI:
    """Add a route that lists the asyncio tasks in the app's event loop (the request's own included)."""

    async def tasks() -> list[str]:
        return sorted(getattr(task.get_coro(), "__qualname__", repr(task)) for task in asyncio.all_tasks())

    app.add_api_route("/test-only/tasks", tasks)
    return app


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


def test_a_bad_payments_fails_the_checkout_clearly_and_honestly(lab: Lab, bad_url: str) -> None:
    shop = _shop_with(lab, "payments", bad_url)
    answer = httpx.post(f"{shop}/checkout", json={"product_id": 7}, timeout=DEADLINE_S)
    assert answer.status_code in (502, 504), answer.text
    detail = answer.json()["detail"]
    # Every one of these dependencies had the request and never said "not charged" (no status code):
    # a 200 it cannot read, a cut-off answer or silence may follow a charge made.
    assert "not charged" not in detail
    assert detail.endswith("check your orders before paying again"), detail


def test_payments_refusing_the_connection_is_an_honest_not_charged(lab: Lab) -> None:
    with socket.create_server(("127.0.0.1", 0)) as sock:
        closed = f"http://127.0.0.1:{sock.getsockname()[1]}"
    shop = _shop_with(lab, "payments", closed)  # nothing listens there: the request was never sent
    answer = httpx.post(f"{shop}/checkout", json={"product_id": 7}, timeout=DEADLINE_S)
    assert answer.status_code == 502
    assert answer.json()["detail"] == "payment service failed (unreachable); you were not charged"


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


@pytest.mark.parametrize("behaviour", BEHAVIOURS)
def test_bad_dependencies_leave_no_threads_or_tasks_behind(
    lab: Lab, behaviour: str, wait_until: Callable[..., None]
) -> None:
    threads_before = _lab_threads()
    with _bad_server(behaviour) as url:
        app = _with_task_count(make_shop_app({**lab.service_urls, "catalog": url}, config=CONFIG))
        shop = lab.serve(app, "shop_with_bad_catalog")
        tasks_before = httpx.get(f"{shop}/test-only/tasks", timeout=DEADLINE_S).json()
        for _ in range(5):
            assert httpx.get(f"{shop}/products/7", timeout=DEADLINE_S).status_code == 503
        # A request's task ends just after its answer is sent: wait for that, with a deadline.
        left = lambda: httpx.get(f"{shop}/test-only/tasks", timeout=DEADLINE_S).json()  # noqa: E731
        wait_until(lambda: left() == tasks_before, 5.0, what=f"the shop's tasks back to {tasks_before}")
        lab.extras["shop_with_bad_catalog"].stop()
    assert not _lab_threads() - threads_before, _lab_threads() - threads_before


# A dependency in its own process: it says when the shop's request has arrived, then holds it.
HOLDING_SERVER = textwrap.dedent("""
    import socket, sys, time
    server = socket.create_server(("127.0.0.1", 0))
    print(server.getsockname()[1], flush=True)
    conn, _ = server.accept()
    conn.recv(65536)
    print("request in", flush=True)
    time.sleep(60)
""")


def _line(process: subprocess.Popen[str], timeout_s: float) -> str:
    """The process's next line of output, or a failed test after ``timeout_s``."""
    assert process.stdout is not None
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        if not selector.select(timeout_s):
            pytest.fail(f"the dependency process said nothing within {timeout_s} s")
    return process.stdout.readline().strip()


@pytest.mark.parametrize(
    ("service", "method", "path", "status", "says"),
    [
        ("catalog", "GET", "/products/7", 503, "catalog unavailable (unreachable"),
        ("payments", "POST", "/checkout", 502, "the charge may have gone through"),
    ],
)
def test_a_dependency_killed_mid_request(
    lab: Lab, service: str, method: str, path: str, status: int, says: str
) -> None:
    # Popen as a context manager closes the pipe and reaps the process, however the test ends.
    with subprocess.Popen([sys.executable, "-c", HOLDING_SERVER], stdout=subprocess.PIPE, text=True) as process:
        try:
            port = _line(process, DEADLINE_S)
            # Timeouts far longer than the test: the shop must notice the death, not wait it out.
            slow_config = LabConfig(catalog_timeout_s=30, payments_timeout_s=30)
            app = make_shop_app({**lab.service_urls, service: f"http://127.0.0.1:{port}"}, config=slow_config)
            shop = lab.serve(app, "shop_with_dying_" + service)
            with ThreadPoolExecutor(1) as pool:
                answer = pool.submit(httpx.request, method, shop + path, json={"product_id": 7}, timeout=DEADLINE_S)
                assert _line(process, DEADLINE_S) == "request in"
                process.kill()
                response = answer.result()
        finally:
            process.kill()
    assert response.status_code == status, response.text
    assert says in response.json()["detail"]
