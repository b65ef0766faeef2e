"""Starting and stopping labs over and over leaves nothing behind (issue 16's resource hygiene).

A learner re-runs `lab = Lab().start()` dozens of times in one kernel over a day. Each cycle here
starts a lab, uses it (a request through the shop to its dependencies, a watcher with the real
Prometheus where one is installed in two of the cycles), and stops it. After 50 cycles the process has
the threads, open files, listening ports and child processes it had before. How long a cycle takes
is measured in benchmarks/lab_cycles.py, not asserted here.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from labapp import Lab, find_prometheus

CYCLES = 50
pytestmark = pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="reads /proc (Linux)")


def open_files() -> set[str]:
    """What this process' descriptors point at (files, sockets, pipes)."""
    out = set()
    for fd in os.listdir("/proc/self/fd"):
        try:
            out.add(os.readlink(f"/proc/self/fd/{fd}"))
        except OSError:
            pass  # the listing's own descriptor, closed by now
    return out


def listening_ports() -> set[int]:
    """TCP ports this process listens on: sockets in LISTEN state whose inode is one of our descriptors."""
    ours = {target[len("socket:[") : -1] for target in open_files() if target.startswith("socket:[")}
    ports = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == "0A" and fields[9] in ours:  # 0A: LISTEN
                ports.add(int(fields[1].rsplit(":", 1)[1], 16))
    return ports


def child_processes() -> set[int]:
    me = str(os.getpid())
    kids = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "stat").read_text().rsplit(")", 1)[1].split()[1] == me:
                    kids.add(int(entry.name))
            except (OSError, IndexError):
                pass
    return kids


@dataclass(frozen=True)
class Snapshot:
    threads: list[str]
    open_files: int
    listening_ports: set[int]
    child_processes: set[int]


def snapshot() -> Snapshot:
    return Snapshot(
        sorted(t.name for t in threading.enumerate()), len(open_files()), listening_ports(), child_processes()
    )


@pytest.mark.timeout(240)
def test_fifty_start_stop_cycles_leave_the_process_as_they_found_it() -> None:
    Lab().start().stop()  # first use imports and warms everything that stays for good (loggers, encoders)
    before = snapshot()
    started = time.perf_counter()
    for cycle in range(CYCLES):
        lab = Lab().start()
        assert httpx.get(f"{lab.url}/products/7", timeout=5).status_code == 200
        if cycle % 25 == 0 and find_prometheus() is not None:
            lab.watch()  # a real Prometheus: a child process and a temp dir, which stop() must take away
        lab.stop()
        during = snapshot()
        assert during.listening_ports == before.listening_ports, f"cycle {cycle}: a port stayed bound"
        assert during.child_processes == before.child_processes, f"cycle {cycle}: a child process stayed"
    after = snapshot()
    print(f"{CYCLES} cycles in {time.perf_counter() - started:.1f} s")
    assert after.threads == before.threads
    # A few descriptors come and go with the garbage collector; a leak grows with every cycle.
    assert after.open_files <= before.open_files + 5, (before.open_files, after.open_files)
