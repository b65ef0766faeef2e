"""Memory and threads of a running Lab, idle and under load.

    python benchmarks/footprint.py [--duration 5] [--connections 32]

Starts ``labapp.Lab()`` in this process (the shop and its three dependencies,
each uvicorn in a daemon thread), then reads this process's RSS (VmRSS in
/proc/self/status), thread count and open file descriptors: before importing
labapp, after import, idle after start, every 0.5 s while wrk (one thread,
pinned to core 1) requests ``/products/<id>`` (ids 1..1000; the shop calls
catalog and recommender over loopback HTTP for each), idle after the load, and
after ``lab.stop()``.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import threading
import time
from pathlib import Path

from _bench import install_sigterm_as_interrupt, run_wrk


def snapshot() -> dict[str, float]:
    status = dict(
        line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines() if ":" in line
    )
    return {
        "rss_mib": int(status["VmRSS"].split()[0]) / 1024,
        "threads": int(status["Threads"]),
        "fds": len(os.listdir("/proc/self/fd")),
        "names": ", ".join(sorted(t.name for t in threading.enumerate())),
    }


def show(label: str, s: dict[str, float]) -> None:
    print(f"| {label} | {s['rss_mib']:.1f} | {s['threads']:.0f} | {s['fds']:.0f} | {s.get('names', '')} |", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=5)
    parser.add_argument("--connections", type=int, default=32)
    args = parser.parse_args()
    install_sigterm_as_interrupt()

    print("| moment | RSS MiB | threads (OS) | open fds | Python threads |")
    print("|---|---|---|---|---|")
    show("python, before importing labapp", snapshot())
    from labapp import Lab

    show("after `from labapp import Lab`", snapshot())
    lab = None
    try:
        t0 = time.perf_counter()
        lab = Lab().start()
        start_s = time.perf_counter() - t0
        time.sleep(1.0)
        idle = snapshot()
        show(f"Lab started ({start_s * 1e3:.0f} ms), idle 1 s", idle)

        samples: list[dict[str, float]] = []
        result: dict = {}
        load = threading.Thread(
            target=lambda: result.update(run_wrk(lab.url, args.duration, args.connections, cpu="1")), daemon=True
        )
        load.start()
        while load.is_alive():
            time.sleep(0.5)
            samples.append(snapshot())
        load.join()
        peak = {k: max(s[k] for s in samples) for k in ("rss_mib", "threads", "fds")}
        show(f"under load, peak of {len(samples)} samples", peak)
        show("under load, last sample", samples[-1])
        time.sleep(2.0)
        show("idle 2 s after the load", snapshot())
        lab.stop()
        lab = None
        gc.collect()
        time.sleep(0.5)
        show("after lab.stop()", snapshot())

        errors = {k: result[k] for k in ("connect_errors", "read_errors", "write_errors", "status_errors", "timeouts")}
        print(
            f"\nload: wrk -t1 -c{args.connections} -d{args.duration}s on {Lab.__module__} shop /products/<1..1000>: "
            f"{result['rps']:.0f} req/s, p50 {result['p50_us'] / 1e3:.1f} ms, p99 {result['p99_us'] / 1e3:.1f} ms, "
            f"errors {errors}"
        )
        names = sorted(t.name for t in threading.enumerate())
        print(f"threads alive at the end: {names}")
    except KeyboardInterrupt:
        return 130
    finally:
        if lab is not None:
            lab.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
