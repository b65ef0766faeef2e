"""Does the lab's load generator send what it is asked to? Achieved rate, lateness and bunching by target rate.

    python benchmarks/load_truth.py [--rates 20,50,100,200,400,800] [--duration 5] [--busy]

For each target rate, ``run_open_loop`` sends GET /products/<id> to a bare
FastAPI app for ``--duration`` seconds, in two set-ups:

- ``kernel``: the app in a uvicorn thread of this process, as the lab's servers
  run in a notebook's kernel: generator and server share one GIL;
- ``separate``: the app in its own uvicorn process; only the generator is here;
- ``shop``: the lab's own shop in this process (``Lab().start()``), whose
  product page is three HTTP requests (shop, catalog, recommender): what the
  notebooks load.

Per run: the achieved rate (answers per second of the run) and its error against
the target, how late sends left (sent - scheduled: p50, p99, ms), and the
bunching: the most sends in any 1 s window divided by the target rate (1.00 is
perfectly even; a client at 7/s that sends 10 in one second, as a busy machine
once made it do against a 10/s limit, is 1.43). ``--busy`` runs a process that
spins on one core throughout, as a second learner or a test suite would.
"""

from __future__ import annotations

import argparse
import bisect
import statistics
import subprocess
import sys

from _bench import ServerProcess, install_sigterm_as_interrupt

from labapp import Lab
from labapp.load import run_open_loop
from labapp.runner import ServerThread

SPIN = "while True: pass"


def bunching(sends: list[float], rate: float, window_s: float = 1.0) -> float:
    """The most sends in any ``window_s`` window (starting at a send), over the target's count for it."""
    sends = sorted(sends)
    most = max((bisect.bisect_left(sends, t + window_s) - i for i, t in enumerate(sends)), default=0)
    return most / (rate * window_s)


def measure(url: str, rate: float, duration_s: float) -> dict[str, float]:
    result = run_open_loop(url, rate=rate, duration_s=duration_s, targets="/products/{id}", progress=False)
    late_ms = sorted((r.sent - r.scheduled) * 1000 for r in result.records)
    ok = sum(1 for r in result.records if r.status == 200)
    return {
        "achieved": result.achieved_rate,
        "error_pct": 100 * (result.achieved_rate - rate) / rate,
        "late_p50_ms": statistics.median(late_ms),
        "late_p99_ms": late_ms[int(0.99 * (len(late_ms) - 1))],
        "bunching": bunching([r.sent for r in result.records], rate),
        "failed": len(result.records) - ok,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rates", default="20,50,100,200,400,800")
    parser.add_argument("--duration", type=float, default=5.0)
    parser.add_argument("--busy", action="store_true", help="spin one core in another process throughout")
    args = parser.parse_args()
    try:
        rates = [float(r) for r in args.rates.split(",")]
    except ValueError:
        parser.error(f"--rates is a comma-separated list of requests per second, got {args.rates!r}")
    if not rates or min(rates) <= 0 or args.duration < 1:
        parser.error("--rates must be positive and --duration at least 1 s")
    install_sigterm_as_interrupt()
    from apps import make_bare

    spinner = subprocess.Popen([sys.executable, "-c", SPIN]) if args.busy else None
    print(f"open loop, {args.duration:g} s per run, {'one core kept busy' if spinner else 'quiet machine'}")
    print("| set-up | target /s | achieved /s | error | late p50 ms | late p99 ms | bunching (1 s) | failed |")
    print("|---|---|---|---|---|---|---|---|")
    kernel = ServerThread(make_bare(), name="bench-bare").start()
    try:
        with ServerProcess("make_bare", cpu="0,1") as other, Lab() as lab:
            other.wait_ready()
            for rate in rates:
                for setup, url in (("kernel", kernel.url), ("separate", other.url), ("shop", lab.url)):
                    r = measure(url, rate, args.duration)
                    print(f"| {setup} | {rate:g} | {r['achieved']:.1f} | {r['error_pct']:+.1f}% | "
                          f"{r['late_p50_ms']:.2f} | {r['late_p99_ms']:.1f} | {r['bunching']:.2f} | {r['failed']} |",
                          flush=True)  # fmt: skip
    except KeyboardInterrupt:
        return 130
    finally:
        kernel.stop()
        if spinner is not None:
            spinner.kill()
            spinner.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
