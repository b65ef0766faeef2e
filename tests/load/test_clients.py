"""Scripted clients: a failure inside send_bursts reaches the caller as itself."""

from __future__ import annotations

import socket

import httpx
import pytest

from labapp.load import send_bursts


def test_send_bursts_raises_what_went_wrong() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))  # bound, never listening: connections are refused
        port = sock.getsockname()[1]
        with pytest.raises(httpx.ConnectError):  # was KeyError: 'out'
            send_bursts(f"http://127.0.0.1:{port}/items", [(0, 2)])


def test_send_bursts_checks_its_schedule() -> None:
    with pytest.raises(ValueError, match="bursts are"):
        send_bursts("http://127.0.0.1:9/items", [(0, 0)])
