"""What a metrics middleware costs on one simple route, against bare FastAPI.

    python benchmarks/middleware.py [--rounds 3] [--duration 5] [--connections 32]

Variants (benchmarks/apps.py), each served by uvicorn in its own process
pinned to core 0, with wrk (one thread) pinned to core 1, on 127.0.0.1:

    bare            plain FastAPI
    lab             + labapp.telemetry.MetricsMiddleware (pure ASGI, route-template labels)
    seed            labapp.seed.make_seed_app (BaseHTTPMiddleware, raw-path labels)
    instrumentator  + prometheus-fastapi-instrumentator defaults

Every request asks for /products/<id> with id random in 1..1000. Variants are
interleaved (bare, lab, seed, instrumentator, bare, ...); each run gets a fresh
server and a short warm-up. Server CPU is utime+stime from /proc/PID/stat around
the measured wrk run. Ratios are taken against bare of the same round, then the
median over rounds: req/s ratio = variant/bare, CPU ratio = bare_cpu/variant_cpu
(1.0 = as cheap as bare, lower = costlier).
"""

from __future__ import annotations

import platform
import statistics
import sys
import time

from _bench import (
    ServerProcess,
    cpu_seconds,
    cpu_steal_seconds,
    http_get,
    install_sigterm_as_interrupt,
    run_wrk,
    wrk_parser,
)

ORDER = ["bare", "lab", "seed", "instrumentator"]
FACTORIES = {"bare": "make_bare", "lab": "make_lab", "seed": "make_seed", "instrumentator": "make_instrumentator"}
# Diagnostics, run only when named in --variants: how much of the lab's cost is
# any extra ASGI layer (asgi_noop) or the send wrapper and clock (asgi_wrap).
FACTORIES.update(asgi_noop="make_asgi_noop", asgi_wrap="make_asgi_wrap")
TARGET_CPU_RATIO = 0.95


def measure(variant: str, duration: float, warmup: float, connections: int) -> dict:
    with ServerProcess(FACTORIES[variant], cpu="0") as server:
        server.wait_ready()
        status, body = http_get(server.url + "/products/7")
        if status != 200 or body != b'{"product_id":7}':
            raise RuntimeError(f"{variant}: unexpected answer {status} {body!r}")
        run_wrk(server.url, warmup, connections)
        time.sleep(0.2)
        cpu0, steal0 = cpu_seconds(server.pid), cpu_steal_seconds(0)
        result = run_wrk(server.url, duration, connections)
        cpu1, steal1 = cpu_seconds(server.pid), cpu_steal_seconds(0)
        errors = sum(result[k] for k in ("connect_errors", "read_errors", "write_errors", "status_errors", "timeouts"))
        if errors:
            print(f"  warning: {variant}: {errors} wrk errors {result}", file=sys.stderr)
        t = time.perf_counter()
        _, page = http_get(server.url + "/metrics", timeout=30)
        scrape_ms = (time.perf_counter() - t) * 1e3
        series = sum(1 for line in page.decode().splitlines() if line and not line.startswith("#"))
    result.update(
        cpu_s=cpu1 - cpu0,
        cpu_us_per_req=(cpu1 - cpu0) / result["requests"] * 1e6,
        cpu_util=(cpu1 - cpu0) / (result["duration_us"] / 1e6),
        steal=(steal1 - steal0) / (result["duration_us"] / 1e6),
        errors=errors,
        metrics_bytes=len(page),
        metrics_series=series,
        scrape_ms=scrape_ms,
    )
    return result


def main() -> int:
    parser = wrk_parser(__doc__)
    parser.add_argument("--variants", default=",".join(ORDER), help="comma-separated, from " + ",".join(FACTORIES))
    args = parser.parse_args()
    variants = [v.strip() for v in args.variants.split(",")]
    if "bare" not in variants:
        variants.insert(0, "bare")
    unknown = set(variants) - set(FACTORIES)
    if unknown:
        parser.error(f"unknown variants {sorted(unknown)}")
    install_sigterm_as_interrupt()

    print(
        f"python {platform.python_version()}, {args.rounds} rounds x {args.duration:g} s, "
        f"wrk -t1 -c{args.connections}, server on core 0, wrk on core 1"
    )
    runs: dict[str, list[dict]] = {v: [] for v in variants}
    try:
        for rnd in range(1, args.rounds + 1):
            for variant in variants:
                r = measure(variant, args.duration, args.warmup, args.connections)
                runs[variant].append(r)
                print(
                    f"round {rnd} {variant:<15} {r['rps']:8.0f} req/s  p50 {r['p50_us'] / 1e3:6.2f} ms  "
                    f"p99 {r['p99_us'] / 1e3:6.2f} ms  cpu {r['cpu_us_per_req']:6.1f} us/req "
                    f"({r['cpu_util']:.0%} of core 0, steal {r['steal']:.0%})  /metrics {r['metrics_series']} series "
                    f"{r['metrics_bytes'] / 1024:.1f} KiB {r['scrape_ms']:.1f} ms",
                    flush=True,
                )
    except KeyboardInterrupt:
        print("\ninterrupted; servers stopped", file=sys.stderr)
        return 130

    n = len(runs["bare"])
    rows = []
    for v in variants:
        rs = runs[v]
        rps_ratio = statistics.median(rs[i]["rps"] / runs["bare"][i]["rps"] for i in range(n))
        cpu_ratio = statistics.median(runs["bare"][i]["cpu_us_per_req"] / rs[i]["cpu_us_per_req"] for i in range(n))
        rows.append(
            (
                v,
                statistics.median(r["rps"] for r in rs),
                statistics.median(r["p50_us"] for r in rs) / 1e3,
                statistics.median(r["p99_us"] for r in rs) / 1e3,
                statistics.median(r["cpu_us_per_req"] for r in rs),
                rps_ratio,
                cpu_ratio,
                min(runs["bare"][i]["cpu_us_per_req"] / rs[i]["cpu_us_per_req"] for i in range(n)),
                max(runs["bare"][i]["cpu_us_per_req"] / rs[i]["cpu_us_per_req"] for i in range(n)),
                statistics.median(r["metrics_series"] for r in rs),
            )
        )
    print(f"\nmedians over {n} interleaved rounds")
    header = "| variant | req/s | p50 ms | p99 ms | CPU us/req | req/s vs bare | CPU vs bare (bare/variant) | CPU ratio range | /metrics series |"
    print(header)
    print("|" + "---|" * 9)
    for v, rps, p50, p99, cpu, rr, cr, cmin, cmax, series in rows:
        print(
            f"| {v} | {rps:,.0f} | {p50:.2f} | {p99:.2f} | {cpu:.1f} | {rr:.2f} | {cr:.2f} | {cmin:.2f}-{cmax:.2f} | {series:.0f} |"
        )
    if "lab" in variants:
        lab_ratio = next(r[6] for r in rows if r[0] == "lab")
        verdict = "meets" if lab_ratio >= TARGET_CPU_RATIO else "misses"
        print(f"\nlab MetricsMiddleware CPU ratio {lab_ratio:.2f}: {verdict} the target of {TARGET_CPU_RATIO}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
