"""``python -m labapp serve`` and ``gameday``, run as real subprocesses."""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator

import httpx
import pytest

from labapp.__main__ import main

INSTRUCTOR_TOKEN = "instructor-chosen-secret-0123456789"


def _reader(stream: object, lines: queue.Queue[str]) -> None:
    for line in stream:  # type: ignore[attr-defined]
        lines.put(line)


@pytest.fixture
def serve() -> Iterator[tuple[subprocess.Popen[str], queue.Queue[str]]]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "LABAPP_ADMIN_TOKEN": INSTRUCTOR_TOKEN}
    process = subprocess.Popen(
        [sys.executable, "-m", "labapp", "serve", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
        # Started as a non-interactive shell starts `cmd &`: SIGINT ignored. Ctrl-C must still stop it.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),  # noqa: PLW1509
    )
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=_reader, args=(process.stdout, lines), daemon=True).start()
    yield process, lines
    if process.poll() is None:  # the test failed before stopping it
        process.kill()
    process.wait(10)
    if process.stdout is not None:
        process.stdout.close()


def _line_matching(lines: queue.Queue[str], pattern: str, timeout_s: float) -> re.Match[str]:
    deadline = time.monotonic() + timeout_s
    seen: list[str] = []
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            break
        seen.append(line)
        match = re.search(pattern, line)
        if match:
            return match
    pytest.fail(f"no line matching {pattern!r} within {timeout_s} s; got: {''.join(seen)!r}")


def test_serve_with_tracing_puts_trace_ids_on_metrics() -> None:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    command = [sys.executable, "-m", "labapp", "serve", "--port", "0", "--tracing"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=_reader, args=(process.stdout, lines), daemon=True).start()
    try:
        url = _line_matching(lines, r"^shop: (http://127\.0\.0\.1:\d+) ", 30).group(1)
        _line_matching(lines, r"^tracing: on", 5)
        assert httpx.get(url + "/products/1", timeout=5).status_code == 200
        openmetrics = {"Accept": "application/openmetrics-text; version=1.0.0"}
        page = httpx.get(url + "/metrics", headers=openmetrics, timeout=5).text
        assert re.search(r'shop_http_request_duration_seconds_bucket\{.*\} 1\.0 # \{trace_id="[0-9a-f]{32}"', page)
    finally:
        process.terminate()
        process.wait(15)
        if process.stdout is not None:
            process.stdout.close()


def test_serve_prints_the_shop_url_and_stops_cleanly_on_sigint(serve) -> None:  # type: ignore[no-untyped-def]
    process, lines = serve
    url = _line_matching(lines, r"^shop: (http://127\.0\.0\.1:\d+) ", 30).group(1)
    token = _line_matching(lines, r"export LAB_TOKEN=(\S+)$", 5).group(1)
    _line_matching(lines, r"Press Ctrl-C to stop", 5)
    assert httpx.get(url + "/health", timeout=5).status_code == 200
    # The secret printed is the one the instructor set, and the fault routes want it.
    assert token == INSTRUCTOR_TOKEN
    fault = {"error_rate": 0.5}
    assert httpx.put(url + "/admin/faults/payments", json=fault, timeout=5).status_code == 401
    owner = {"Authorization": f"Bearer {token}"}
    assert httpx.put(url + "/admin/faults/payments", json=fault, headers=owner, timeout=5).status_code == 200

    process.send_signal(signal.SIGINT)
    assert process.wait(15) == 0
    _line_matching(lines, r"^stopped$", 5)
    with pytest.raises(httpx.ConnectError):
        httpx.get(url + "/health", timeout=2)


def test_non_loopback_host_without_allow_remote_exits_with_a_message() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "labapp", "serve", "--host", "0.0.0.0", "--port", "0"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0
    assert "--host 0.0.0.0 is not loopback; add --allow-remote" in done.stderr
    assert done.stdout == ""


def test_bad_port_is_reported_not_raised(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--port", "70000"]) == 2
    assert "error: shop_port must be 0 (any free port) or 1-65535" in capsys.readouterr().err


def test_a_command_is_required(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main([])
    assert exit_info.value.code == 2
    assert "serve" in capsys.readouterr().err


def test_gameday_refuses_a_remote_host_and_an_unknown_scenario(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["gameday", "--host", "0.0.0.0"])
    assert "--allow-remote" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["gameday", "--scenario", "meteor"])
    assert "choose random or one of: abusive_client" in capsys.readouterr().err


def test_gameday_plays_a_scenario_for_a_room_and_reveals_it_on_stop() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "labapp", "gameday", "--scenario", "bad_deploy", "--seed", "4", "--port", "0"]
        + ["--duration", "13", "--time-scale", "0.25"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=_reader, args=(process.stdout, lines), daemon=True).start()
    try:
        url = _line_matching(lines, r"shop: (http://127\.0\.0\.1:\d+)", 60).group(1)
        _line_matching(lines, r"game day seed 4", 5)
        _line_matching(lines, r"## Some requests fail", 5)
        _line_matching(lines, r"the fault is hidden in it", 10)
        assert httpx.get(url + "/health").status_code == 200
        _line_matching(lines, r"traffic over", 40)
        assert 'shop_http_requests_total{method="GET",route=' in httpx.get(url + "/metrics").text  # still serving
        process.send_signal(signal.SIGTERM)
        _line_matching(lines, r"\*\*Cause\*\*: shop, bad_deploy", 20)
        _line_matching(lines, r"\*\*Route\*\*: /", 5)
        _line_matching(lines, r"stopped", 20)
        assert process.wait(20) == 0
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(10)
        if process.stdout is not None:
            process.stdout.close()
