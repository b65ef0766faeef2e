"""ServerThread: uvicorn in a thread that starts on a known port and leaves nothing behind."""

from __future__ import annotations

import gc
import socket
import threading
import warnings
from collections.abc import Iterator

import httpx
import pytest
from fastapi import FastAPI

from labapp import Lab, ServerThread
from labapp.runner import wait_until_answers

pytestmark = pytest.mark.usefixtures("no_shared_lab")


def _lab_threads() -> list[str]:
    return sorted(t.name for t in threading.enumerate() if t.name.startswith("lab-"))


def _tiny_app() -> FastAPI:
    app = FastAPI()

    @app.get("/ping")
    async def ping() -> dict[str, str]:
        return {"pong": "yes"}

    return app


def _can_listen(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as any server would
        try:
            sock.bind(("127.0.0.1", port))
            sock.listen()
        except OSError:
            return False
        return True


@pytest.fixture
def busy_port() -> Iterator[socket.socket]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    yield sock
    sock.close()


def test_start_serves_on_a_known_port_and_stop_releases_it() -> None:
    server = ServerThread(_tiny_app(), name="tiny").start()
    try:
        assert server.running
        assert server.port != 0
        assert server.url == f"http://127.0.0.1:{server.port}"
        assert "running" in repr(server)
        assert httpx.get(server.url + "/ping").json() == {"pong": "yes"}
        assert _lab_threads() == ["lab-tiny"]
        assert server.start() is server  # already running: no second thread
        assert _lab_threads() == ["lab-tiny"]
    finally:
        server.stop()
    port = server.port
    assert not server.running
    assert "stopped" in repr(server)
    assert _lab_threads() == []
    assert _can_listen(port)
    server.stop()  # twice is fine


def test_restart_on_the_same_port() -> None:
    first = ServerThread(_tiny_app(), name="tiny").start()
    port = first.port
    httpx.get(first.url + "/ping")
    first.stop()
    second = ServerThread(_tiny_app(), name="tiny", port=port).start()
    try:
        assert second.port == port
        assert httpx.get(second.url + "/ping").status_code == 200
    finally:
        second.stop()


def test_busy_port_is_a_clear_runtime_error(busy_port: socket.socket) -> None:
    port = busy_port.getsockname()[1]
    with pytest.raises(RuntimeError, match=rf"tiny: cannot listen on 127\.0\.0\.1:{port} .*use port 0"):
        ServerThread(_tiny_app(), name="tiny", port=port).start()
    assert _lab_threads() == []


def test_start_with_ready_path_waits_until_it_answers() -> None:
    server = ServerThread(_tiny_app(), name="tiny").start(ready_path="/ping")
    try:
        assert httpx.get(server.url + "/ping").status_code == 200
    finally:
        server.stop()


def test_wait_until_answers_gives_up_with_a_message() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # bound, not listening: connections are refused
        with pytest.raises(RuntimeError, match="did not answer within"):
            wait_until_answers(f"http://127.0.0.1:{port}/", 0.2)


def test_ipv6_url_has_brackets() -> None:
    assert ServerThread(_tiny_app(), name="v6", host="::1", port=8000).url == "http://[::1]:8000"


# -- a whole Lab -------------------------------------------------------------------


def test_lab_restarts_cleanly_and_leaves_no_thread_or_port() -> None:
    lab = Lab().start()
    ports = [int(url.rsplit(":", 1)[1]) for url in lab.urls.values()]
    assert set(_lab_threads()) == {"lab-shop", "lab-catalog", "lab-recommender", "lab-payments"}
    lab.stop()
    assert _lab_threads() == []
    assert all(_can_listen(port) for port in ports)

    lab.start()  # the same object starts again, on new ports
    try:
        assert httpx.get(lab.url + "/health").status_code == 200
    finally:
        lab.stop()
    assert _lab_threads() == []
    lab.stop()  # twice is fine


def test_lab_on_a_fixed_port_can_restart_on_it() -> None:
    lab = Lab().start()
    port = lab.shop.port  # type: ignore[union-attr]
    lab.stop()
    again = Lab(shop_port=port).start()
    try:
        assert again.url.endswith(f":{port}")
        assert httpx.get(again.url + "/health").status_code == 200
    finally:
        again.stop()


def test_second_lab_stops_the_first() -> None:
    first = Lab().start()
    first_url = first.url
    second = Lab().start()
    try:
        assert not first.running
        assert second.running
        with pytest.raises(httpx.ConnectError):
            httpx.get(first_url + "/health")
        assert httpx.get(second.url + "/health").status_code == 200
        assert set(_lab_threads()) == {"lab-shop", "lab-catalog", "lab-recommender", "lab-payments"}
    finally:
        second.stop()
    assert _lab_threads() == []


def test_lab_on_a_busy_port_is_a_clear_runtime_error_and_cleans_up(busy_port: socket.socket) -> None:
    port = busy_port.getsockname()[1]
    lab = Lab(shop_port=port)
    with pytest.raises(RuntimeError, match=rf"shop: cannot listen on 127\.0\.0\.1:{port}"):
        lab.start()
    assert not lab.running
    assert _lab_threads() == []  # the three services it had started were stopped


def test_stop_runs_the_apps_lifespan(monkeypatch: pytest.MonkeyPatch) -> None:
    # Regression: with lifespan="off" the shop's lifespan (which closes its
    # downstream httpx clients) never ran; stopping a lab after traffic left
    # sockets for the GC (ResourceWarning) and, under uvloop, loop.close()
    # raised OSError(EBUSY) in the lab-shop thread.
    thread_errors: list[BaseException | None] = []
    monkeypatch.setattr(threading, "excepthook", lambda args: thread_errors.append(args.exc_value))
    lab = Lab().start()
    app = lab.shop.app  # type: ignore[union-attr]
    assert httpx.get(lab.url + "/products/3").status_code == 200
    clients = list(app.state.downstream._clients.values())  # type: ignore[attr-defined,union-attr]
    assert clients
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        lab.stop()
        gc.collect()
    assert thread_errors == []
    assert all(client.is_closed for client in clients), "the shop's downstream clients were never closed"
    assert [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)] == []
