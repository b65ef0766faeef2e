"""tools/cpu_by_file.py tells a file that keeps a core busy from one that waits, across xdist workers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

BUSY = """
import time

def test_spins():
    until = time.process_time() + 0.3  # 0.3 s of this process' CPU, however long that takes
    while time.process_time() < until:
        pass
"""

WAITS = """
import threading

def test_waits():
    threading.Event().wait(0.3)  # a fixed wait on purpose: this file's job is to use no CPU
"""


def test_the_busy_file_and_the_waiting_file_are_told_apart(tmp_path: Path) -> None:
    (tmp_path / "test_busy.py").write_text(BUSY)
    (tmp_path / "test_waits.py").write_text(WAITS)
    saved = tmp_path / "durations.json"
    command = [sys.executable, "-m", "pytest", "-p", "tools.cpu_by_file", "-p", "no:cacheprovider", "-n", "2"]
    command += ["--dist", "loadfile", "--save-durations", str(saved), "-q"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    rows = {line.split()[-1]: line.split()[:2] for line in done.stdout.splitlines() if line.endswith(".py")}
    (busy_cpu, busy_s), (waits_cpu, waits_s) = (map(float, rows[name]) for name in ("test_busy.py", "test_waits.py"))
    assert busy_cpu >= 0.3 and busy_cpu > waits_cpu, done.stdout
    assert waits_s >= 0.3, done.stdout
    assert set(json.loads(saved.read_text())) == {"test_busy.py", "test_waits.py"}
    assert "CPU by test file: whole run" in done.stdout
