"""Peak memory of a learner's whole session while a notebook runs: is the lab inside Binder's 1-2 GB?

    python benchmarks/notebook_memory.py [04_error_rates_and_alerts 08_rate_limiting 12_game_day]

For each notebook: an idle JupyterLab server (what Binder runs beside the kernel), then the notebook
executed top to bottom in its own kernel by nbclient. Every 0.25 s the resident memory (RSS) of the
server, the kernel and the kernel's children (Prometheus, Alertmanager, Redis: the real servers the
lab starts when their binaries exist) is read from /proc and summed. Prints the peak of the sum and
of each part. Linux only (/proc).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import threading
import time
from collections import defaultdict
from pathlib import Path

import nbformat
from _bench import free_port
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = ["04_error_rates_and_alerts", "08_rate_limiting", "12_game_day"]
PAGE_KIB = os.sysconf("SC_PAGE_SIZE") // 1024


def rss_mib(pid: int) -> float:
    try:
        return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE_KIB / 1024
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return 0.0


def name_of(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except FileNotFoundError:
        return "?"


def children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(c) for c in (task / "children").read_text().split()]
        except FileNotFoundError:
            pass
    return found + [g for c in found for g in children(c)]


def measure(notebook: str) -> dict[str, float]:
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--ip=127.0.0.1", f"--port={free_port()}",
         "--IdentityProvider.token=bench", *(["--allow-root"] if os.geteuid() == 0 else [])],
        cwd=ROOT / "notebooks", stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    peaks: dict[str, float] = defaultdict(float)
    done = threading.Event()
    nb = nbformat.read(ROOT / "notebooks" / f"{notebook}.ipynb", as_version=4)
    client = NotebookClient(
        nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(ROOT / "notebooks")}}
    )

    def sample() -> None:
        while not done.wait(0.25):
            parts: dict[str, float] = {"jupyterlab": rss_mib(server.pid)}
            kernel = client.km.provisioner.process.pid if client.km and client.km.provisioner else None  # type: ignore[union-attr]
            if kernel:
                parts["kernel"] = rss_mib(kernel)
                for child in children(kernel):
                    parts[name_of(child)] = parts.get(name_of(child), 0.0) + rss_mib(child)
            parts["total"] = sum(parts.values())
            for key, value in parts.items():
                peaks[key] = max(peaks[key], value)

    sampler = threading.Thread(target=sample, daemon=True)
    started = time.monotonic()
    sampler.start()
    try:
        client.execute()
    finally:
        done.set()
        sampler.join()
        server.terminate()
        server.wait(20)
    peaks["seconds"] = time.monotonic() - started
    return dict(peaks)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", default=DEFAULT)
    args = parser.parse_args()
    for notebook in args.notebooks:
        peaks = measure(notebook)
        parts = ", ".join(f"{k} {v:.0f}" for k, v in sorted(peaks.items()) if k not in ("total", "seconds"))
        print(f"{notebook}: peak {peaks['total']:.0f} MiB in all ({parts}; MiB each, peaks), {peaks['seconds']:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
