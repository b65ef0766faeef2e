"""A lab left running: does memory stay bounded, and do scrapes and rule evaluations stay as fast?

    python benchmarks/long_use.py [--minutes 30] [--rate 20] [--every 60] [--prefer embedded] [--json]

Starts a ``Lab`` in this process with everything a notebook leaves running:
steady open-loop load on the product page (``--rate`` requests/s, in back-to-back
10-minute runs), ``lab.alerting()`` (a scraper and an alert evaluator every
second, with the lab's rules; embedded by default, so their memory is this
process'), and a health checker probing the shop every second. Every
``--every`` seconds it prints one row: the process' RSS, threads and open
files, the series the scraper holds, and the median and worst scrape and
evaluation time of that period (each tick is timed where it runs). At the end:
RSS growth over the first and the second half, and the scrape and evaluation
medians of the first and last period.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

from _bench import install_sigterm_as_interrupt

from labapp import Lab
from labapp.health import HealthChecker
from labapp.periodic import Periodic

LOAD_CHUNK_S = 600.0  # the generator's longest run


def rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


class TickTimes:
    """Times every tick of a Periodic loop, in the thread that runs it."""

    def __init__(self, periodic: Periodic) -> None:
        self._tick: Callable[[], None] = periodic.tick
        self._lock = threading.Lock()
        self._times: list[float] = []
        periodic.tick = self._timed

    def _timed(self) -> None:
        start = time.perf_counter()
        try:
            self._tick()
        finally:
            with self._lock:
                self._times.append(time.perf_counter() - start)

    def take(self) -> list[float]:
        """The tick durations (s) since the last call."""
        with self._lock:
            times, self._times = self._times, []
        return times


def _ms(times: list[float], how: Callable[[list[float]], float]) -> float:
    return round(how(times) * 1000, 2) if times else float("nan")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--rate", type=float, default=20.0, help="product pages a second")
    parser.add_argument("--every", type=float, default=60.0, help="seconds between rows")
    parser.add_argument("--prefer", choices=("embedded", "real"), default="embedded")
    parser.add_argument("--json", action="store_true", help="end with one JSON line of the rows")
    args = parser.parse_args()
    if args.minutes <= 0 or not 0 < args.rate <= 200 or args.every < 5:
        parser.error("--minutes > 0, --rate in (0, 200], --every at least 5 seconds")
    install_sigterm_as_interrupt()
    rows: list[dict[str, float]] = []
    with Lab() as lab:
        stack = lab.alerting(prefer=args.prefer)
        checker = HealthChecker({"shop": lab.url + "/health"}, interval_s=1.0).start()
        # Benchmark-only access to the loops' Periodic, to time each tick where it runs.
        scrapes = TickTimes(stack.scraper._ticker) if stack.scraper is not None else None  # noqa: SLF001
        evaluations = TickTimes(stack.evaluator._ticker) if stack.evaluator is not None else None  # noqa: SLF001
        started = time.monotonic()
        end = started + args.minutes * 60
        load = None
        print(f"{args.minutes:g} min, {args.rate:g} pages/s, alerting {stack.mode}, row every {args.every:g} s")
        print("| min | RSS MiB | threads | fds | series | scrape p50 ms | scrape max ms | eval p50 ms | eval max ms | "
              "health probes | requests |")  # fmt: skip
        print("|---|---|---|---|---|---|---|---|---|---|---|")
        requests = 0
        try:
            next_row = started + args.every
            while next_row <= end + 0.001:
                now = time.monotonic()
                if (load is None or load.done) and end - now > 1:  # the next chunk at once: no gap in traffic
                    if load is not None:
                        requests += len(load.wait().records)
                    load = lab.start_load(rate=args.rate, duration_s=min(LOAD_CHUNK_S, end - now))
                if now < next_row:
                    time.sleep(min(1.0, next_row - now))
                    continue
                next_row += args.every
                s = scrapes.take() if scrapes else []
                e = evaluations.take() if evaluations else []
                row = {
                    "minute": round((time.monotonic() - started) / 60, 2),
                    "rss_mib": round(rss_mib(), 1),
                    "threads": threading.active_count(),
                    "fds": len(os.listdir("/proc/self/fd")),
                    "series": len(stack.scraper.store) if stack.scraper is not None else 0,
                    "scrape_p50_ms": _ms(s, statistics.median),
                    "scrape_max_ms": _ms(s, max),
                    "eval_p50_ms": _ms(e, statistics.median),
                    "eval_max_ms": _ms(e, max),
                    "probes": len(checker.probes()),
                    "requests": requests + load.requests_so_far,
                }
                rows.append(row)
                print("| " + " | ".join(f"{v:g}" if isinstance(v, float) else str(v) for v in row.values()) + " |",
                      flush=True)  # fmt: skip
        except KeyboardInterrupt:
            print("interrupted", file=sys.stderr)
        finally:
            if load is not None:
                load.stop()
            checker.stop()
    summarise(rows)
    if args.json:
        print(json.dumps(rows))
    return 0


def summarise(rows: list[dict[str, float]]) -> None:
    if len(rows) < 4:
        print("too short to summarise")
        return
    half = len(rows) // 2
    first, second = rows[: half + 1], rows[half:]

    def growth(part: list[dict[str, float]]) -> float:
        minutes = part[-1]["minute"] - part[0]["minute"]
        return (part[-1]["rss_mib"] - part[0]["rss_mib"]) / minutes if minutes else float("nan")

    print(f"\nRSS {rows[0]['rss_mib']} -> {rows[-1]['rss_mib']} MiB; growth {growth(first):.2f} MiB/min in the "
          f"first half, {growth(second):.2f} MiB/min in the second")  # fmt: skip
    for name in ("scrape", "eval"):
        print(f"{name} p50: {rows[0][name + '_p50_ms']} ms in the first period, {rows[-1][name + '_p50_ms']} ms in "
              f"the last; worst tick {max(r[name + '_max_ms'] for r in rows)} ms")  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
