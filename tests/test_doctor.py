"""python -m labapp doctor: each check passes, fails with what to do, or informs."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from labapp.__main__ import main
from labapp.doctor import (
    NOTEBOOK_PEAK_RATE,
    check_load,
    check_loopback,
    check_optional_binaries,
    check_proxy,
    check_python,
    check_requirements,
)


def test_python_version() -> None:
    assert check_python((3, 11)).ok is True
    old = check_python((3, 10))
    assert old.ok is False and "3.11" in old.line() and "what to do" in old.line()


def test_requirements_out_of_range_or_missing_fail_with_the_command(tmp_path: Path) -> None:
    path = tmp_path / "requirements.txt"
    path.write_text("# a comment\n-e .\nno-such-package-for-the-lab>=1\npytest<1  # too old a range\nhttpx\n")
    check = check_requirements(path)
    assert check.ok is False
    assert "no-such-package-for-the-lab missing" in check.detail
    assert "pytest" in check.detail and "wants <1" in check.detail
    assert "pip install -r requirements.txt" in check.fix


def test_the_lab_install_passes() -> None:
    assert check_requirements().ok is True


def test_a_busy_port_is_information_not_failure() -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        loopback, busy = check_loopback(port)
    assert loopback.ok is True
    assert busy.ok is None and "--port 0" in busy.fix


def test_optional_servers_say_which_mode_each_lesson_uses() -> None:
    missing = check_optional_binaries(find=lambda name: None)
    assert [c.ok for c in missing] == [None] * 4
    assert all("apt-get install" in c.fix for c in missing)
    assert "embedded scraper" in missing[0].detail
    found = check_optional_binaries(find=lambda name: f"/usr/bin/{name}")
    assert [c.ok for c in found] == [True] * 4
    assert "real Prometheus" in found[0].detail


def test_too_little_load_fails_with_advice() -> None:
    check = check_load(steps=(10,), duration_s=0.5)
    assert check.ok is False
    assert check.detail.startswith("held 10 product pages/s (10/s: ")
    assert f"up to {NOTEBOOK_PEAK_RATE} product pages/s" in check.detail
    assert "close other busy programs" in check.fix


def test_cli_without_the_load_test(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["doctor", "--no-load"]) == 0
    out = capsys.readouterr().out
    assert "[PASS] Python" in out and "[PASS] install" in out
    assert out.rstrip().splitlines()[-1].startswith("ready for the workshop")


def test_a_proxy_is_reported_with_what_to_do_for_other_tools() -> None:
    assert check_proxy({}).ok is True
    behind = check_proxy({"HTTPS_PROXY": "http://proxy.corp:3128"})
    assert behind.ok is None and "127.0.0.1 around it" in behind.detail and "NO_PROXY" in behind.fix
    assert check_proxy({"HTTP_PROXY": "http://p:1", "NO_PROXY": "127.0.0.1,localhost,::1"}).ok is True
