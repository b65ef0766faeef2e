"""The README's lab command starts JupyterLab without its first-run pop-ups (news, update check)."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[1]
SETTING = "/lab/api/settings/@jupyterlab/apputils-extension:notification"


def test_the_readme_command_names_the_settings_folder() -> None:
    readme = (ROOT / "README.md").read_text()
    assert re.search(r"jupyter lab --LabApp\.app_settings_dir=jupyter notebooks/", readme)
    assert (ROOT / "jupyter" / "overrides.json").is_file()


@pytest.mark.timeout(60)
def test_jupyterlab_reads_the_overrides(tmp_path: Path) -> None:
    token = "lab-settings-test"
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    command = [sys.executable, "-m", "jupyter", "lab", "--no-browser", f"--port={port}", "--ip=127.0.0.1"]
    command += [f"--IdentityProvider.token={token}", "--LabApp.app_settings_dir=jupyter", "notebooks/"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")  # CI containers run as root
    env = {**os.environ, "JUPYTER_RUNTIME_DIR": str(tmp_path), "JUPYTER_CONFIG_DIR": str(tmp_path / "config")}
    server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 45
        while True:
            try:
                answer = httpx.get(f"http://127.0.0.1:{port}{SETTING}", params={"token": token}, timeout=2)
                if answer.status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert server.poll() is None, "jupyter lab exited"
            assert time.monotonic() < deadline, "jupyter lab did not answer within 45 s"
            time.sleep(0.2)
        properties = answer.json()["schema"]["properties"]
        assert properties["fetchNews"]["default"] == "false"
        assert properties["checkForUpdates"]["default"] is False
    finally:
        server.terminate()
        server.wait(15)
