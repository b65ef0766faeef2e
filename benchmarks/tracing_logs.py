"""What tracing and access logs cost the shop's product page.

    python benchmarks/tracing_logs.py [--rounds 3] [--duration 5] [--connections 16]

Starts ``labapp.Lab`` in this process (shop, catalog, recommender, payments,
each uvicorn in a daemon thread) in four variants, interleaved per round:
``plain`` (no tracing, access logs off), ``traced`` (``Lab(tracing=True)``:
spans in every service, an in-memory exporter, exemplars), ``logs``
(``lab.capture_logs()``: one JSON line per request in every service) and
``traced+logs``. wrk (one thread, pinned to core 1) requests
``/products/<1..1000>``; each page is three HTTP requests inside this process.
Reports pages/s, p50/p99, and this process' CPU per page; ratios against the
same round's ``plain``, median over rounds.
"""

from __future__ import annotations

import argparse
import os
import statistics

from _bench import cpu_seconds, install_sigterm_as_interrupt, run_wrk

VARIANTS = ("plain", "traced", "logs", "traced+logs")


def measure(variant: str, duration_s: float, connections: int) -> dict[str, float]:
    from labapp import Lab

    with Lab(tracing="traced" in variant) as lab:
        capture = lab.capture_logs(max_lines=1_000) if "logs" in variant else None
        run_wrk(lab.url, 1, connections, cpu="1")  # warm-up: connections, code paths
        if lab.tracing is not None:
            lab.tracing.clear()
        lines_before = capture.kept if capture is not None else 0
        before = cpu_seconds(os.getpid())
        result = run_wrk(lab.url, duration_s, connections, cpu="1")
        cpu = cpu_seconds(os.getpid()) - before
        spans = len(lab.tracing.records(wait_s=0)) if lab.tracing is not None else 0
        lines = capture.kept - lines_before if capture is not None else 0
    return {
        "rps": result["rps"],
        "p50_ms": result["p50_us"] / 1e3,
        "p99_ms": result["p99_us"] / 1e3,
        "cpu_ms_per_page": 1e3 * cpu / max(result["requests"], 1),
        "spans_per_page": spans / max(result["requests"], 1),
        "log_lines_per_page": lines / max(result["requests"], 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=int, default=5)
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args()
    install_sigterm_as_interrupt()
    runs: dict[str, list[dict[str, float]]] = {v: [] for v in VARIANTS}
    try:
        for round_ in range(args.rounds):
            for variant in VARIANTS:
                runs[variant].append(measure(variant, args.duration, args.connections))
                r = runs[variant][-1]
                print(f"round {round_ + 1} {variant:12} {r['rps']:6.0f} pages/s  cpu {r['cpu_ms_per_page']:.2f} ms/page",
                      flush=True)  # fmt: skip
    except KeyboardInterrupt:
        return 130
    print("\n| variant | pages/s | p50 ms | p99 ms | CPU ms/page | pages/s vs plain | CPU vs plain | spans/page | lines/page |")
    print("|---|---|---|---|---|---|---|---|---|")
    for variant in VARIANTS:
        med = {k: statistics.median(r[k] for r in runs[variant]) for k in runs[variant][0]}
        rps_ratio = statistics.median(r["rps"] / p["rps"] for r, p in zip(runs[variant], runs["plain"], strict=True))
        cpu_ratio = statistics.median(
            r["cpu_ms_per_page"] / p["cpu_ms_per_page"] for r, p in zip(runs[variant], runs["plain"], strict=True)
        )
        print(f"| {variant} | {med['rps']:.0f} | {med['p50_ms']:.1f} | {med['p99_ms']:.1f} | "
              f"{med['cpu_ms_per_page']:.2f} | {rps_ratio:.2f} | {cpu_ratio:.2f} | {med['spans_per_page']:.1f} | "
              f"{med['log_lines_per_page']:.1f} |")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
