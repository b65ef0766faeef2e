"""How long starting and stopping a lab takes, over many cycles in one process (issue 16: each under 1 s).

    python benchmarks/lab_cycles.py [--cycles 50] [--watch-every 10]

Each cycle: ``Lab().start()`` (three services and the shop, each answering), one product page
through the shop, then ``lab.stop()``. Every ``--watch-every``-th cycle also starts ``lab.watch()``
(a real Prometheus where the binary is installed; its start and stop are timed apart, they wait on
Prometheus' own start-up). Prints the median, 95th percentile and worst of start and stop. That
nothing is left behind is a test: tests/test_hygiene.py.
"""

from __future__ import annotations

import argparse
import statistics
import time

import httpx

from labapp import Lab, find_prometheus

TARGET_S = 1.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cycles", type=int, default=50)
    parser.add_argument("--watch-every", type=int, default=10, help="0: never start a watcher")
    args = parser.parse_args()
    if args.cycles < 1 or args.watch_every < 0:
        parser.error("--cycles must be at least 1 and --watch-every 0 or more")
    Lab().start().stop()  # imports and first-use set-up, not part of any cycle
    times: dict[str, list[float]] = {"start": [], "stop": [], "start with watcher": [], "stop with watcher": []}
    for cycle in range(args.cycles):
        watch = args.watch_every and cycle % args.watch_every == 0 and find_prometheus() is not None
        suffix = " with watcher" if watch else ""
        t0 = time.perf_counter()
        lab = Lab().start()
        if watch:
            lab.watch()
        times["start" + suffix].append(time.perf_counter() - t0)
        httpx.get(f"{lab.url}/products/7", timeout=5).raise_for_status()
        t0 = time.perf_counter()
        lab.stop()
        times["stop" + suffix].append(time.perf_counter() - t0)
    print(f"{args.cycles} cycles, target: start and stop each under {TARGET_S:g} s (without a watcher)\n")
    print("| step | cycles | median s | p95 s | worst s | under target |")
    print("|---|---|---|---|---|---|")
    for step, values in times.items():
        if not values:
            continue
        ordered = sorted(values)
        p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
        verdict = "" if "watcher" in step else ("yes" if ordered[-1] < TARGET_S else "NO")
        print(
            f"| {step} | {len(values)} | {statistics.median(values):.3f} | {p95:.3f} | {ordered[-1]:.3f} | {verdict} |"
        )


if __name__ == "__main__":
    main()
