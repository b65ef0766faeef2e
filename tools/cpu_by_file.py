"""Where the test suite spends CPU and wall time, one row per test file.

    python -m pytest -p tools.cpu_by_file            # the suite, then the table (top 40 files)
    python -m pytest -p tools.cpu_by_file tests/gameday
    python -m pytest -p tools.cpu_by_file --save-durations tests/durations.json   # the table conftest.py orders by

A pytest plugin: around every test it reads the process' CPU time, its own plus
that of children it has reaped (notebook kernels, Prometheus, promtool,
subprocesses), and adds it to the test's file. With pytest-xdist and
``--dist loadfile`` each worker runs one file at a time, so a worker's CPU in
that time is the file's; threads a test leaves running are counted against
whatever file runs next. The controller prints the table at the end of the
session, with the whole run's CPU from ``/proc/stat`` for comparison, and with
``--save-durations`` writes each file's test-seconds as JSON: the root
``conftest.py`` hands the longest files out first.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROWS = 40
_DIR_ENV = "LABAPP_CPU_BY_FILE_DIR"


def _cpu_s() -> float:
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def _machine_busy_s() -> float:
    """CPU-seconds every core of the machine has spent not idle, from /proc/stat."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return (sum(fields) - idle) / os.sysconf("SC_CLK_TCK")


class CpuByFile:
    def __init__(self, config: pytest.Config) -> None:
        self.worker = getattr(config, "workerinput", {}).get("workerid")
        if self.worker is None:
            os.environ.setdefault(_DIR_ENV, tempfile.mkdtemp(prefix="cpu-by-file-"))
        self.folder = Path(os.environ[_DIR_ENV])
        self.cpu: dict[str, float] = defaultdict(float)
        self.wall: dict[str, float] = defaultdict(float)
        self.started = (time.monotonic(), _machine_busy_s())

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_protocol(self, item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[Any]:
        cpu, wall = _cpu_s(), time.monotonic()
        try:
            return (yield)
        finally:
            name = item.nodeid.split("::", 1)[0]
            self.cpu[name] += _cpu_s() - cpu
            self.wall[name] += time.monotonic() - wall

    def pytest_sessionfinish(self) -> None:
        if self.cpu:
            out = self.folder / f"{self.worker or 'main'}.json"
            out.write_text(json.dumps({"cpu": self.cpu, "wall": self.wall}))

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if self.worker is not None:
            return
        cpu: dict[str, float] = defaultdict(float)
        wall: dict[str, float] = defaultdict(float)
        for part in self.folder.glob("*.json"):
            data = json.loads(part.read_text())
            for name, seconds in data["cpu"].items():
                cpu[name] += seconds
            for name, seconds in data["wall"].items():
                wall[name] += seconds
        elapsed = time.monotonic() - self.started[0]
        busy = _machine_busy_s() - self.started[1]
        write = terminalreporter.write_line
        write(f"\nCPU by test file: whole run {elapsed:.0f} s wall, the machine busy {busy:.0f} CPU-s")
        write(
            f"{'CPU-s':>8} {'test-s':>8}  file (top {ROWS}; all files: {sum(cpu.values()):.0f} CPU-s, "
            f"{sum(wall.values()):.0f} test-s)"
        )
        for name in sorted(cpu, key=cpu.__getitem__, reverse=True)[:ROWS]:
            write(f"{cpu[name]:8.1f} {wall[name]:8.1f}  {name}")
        save = terminalreporter.config.getoption("save_durations")
        if save:
            table = {name: round(seconds, 1) for name, seconds in sorted(wall.items())}
            Path(save).write_text(json.dumps(table, indent=1) + "\n")
            write(f"test-seconds of {len(table)} files written to {save}")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--save-durations", metavar="PATH", help="write each test file's test-seconds to PATH as JSON")


def pytest_configure(config: pytest.Config) -> None:
    config.pluginmanager.register(CpuByFile(config), "cpu_by_file_recorder")
