"""What each of the shop's layers costs, one by one and all together, against bare FastAPI and its peers.

    python benchmarks/overhead.py [--route memory|page] [--rounds 3] [--duration 5] [--connections 32] [--json]

Variants (benchmarks/stacks.py), each served by uvicorn in its own process
pinned to core 0, with wrk (one thread) pinned to core 1, on 127.0.0.1, asking
for ``/products/<1..1000>``. ``--route memory`` (default) answers from memory;
``--route page`` runs the shop's own product page, which calls the lab's
catalog and recommender over HTTP: they run in two more processes on core 1,
started once for the whole run.

    bare                the product route, no layer
    limiter             + the shop's slowapi Limiter on the route (never refusing)
    metrics             + the lab's MetricsMiddleware
    logs                + AccessLogMiddleware with a LogCapture listening (JSON lines)
    tracing             + Tracing.instrument_app: a SERVER span per request, exported in memory
    full                all four, in the shop's order
    lean_tracing        + a SERVER span per request from lean_span.py's small ASGI layer (a prototype)
    full_lean           all four, with lean_tracing in place of tracing
    seed                the seed's @app.middleware("http") metrics
    instrumentator      prometheus-fastapi-instrumentator, defaults
    starlette_exporter  starlette-exporter's PrometheusMiddleware, defaults
    otel_defaults       OpenTelemetry's FastAPIInstrumentor with its defaults

Each round runs bare, limiter, bare, metrics, bare, ... bare; each run gets a
fresh server and 1 s of warm-up. A variant's ratios are taken against the mean
of the bare runs just before and after it (this VM's speed drifts), then the
median over rounds: req/s ratio = variant/bare, CPU ratio = bare CPU per
request / variant CPU per request (1.0 = as cheap as bare).
Where a variant traces, spans exported during the run are counted against the
requests wrk saw answered: "dropped" is how many answered requests have no span;
all spans per SERVER span says whether each page got its others (5 on the page:
the SERVER span, two business spans, a CLIENT span per dependency call). On the
page, every answer is checked whole (not a fallback), degraded pages served
during the run are counted, and the dependencies' CPU shows whether core 1,
not the server's core 0, was the limit.

With ``--json`` the last line is one JSON object: each variant's req/s ratio to
bare, for example ``{"metrics": 0.96, "full": 0.81, ...}``.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import platform
import statistics
import sys
import time

from _bench import ServerProcess, cpu_seconds, http_get, install_sigterm_as_interrupt, run_wrk, wrk_parser
from stacks import ROUTES

LAYER_VARIANTS = {
    "bare": "",
    "limiter": "limiter",
    "metrics": "metrics",
    "logs": "logs",
    "tracing": "tracing",
    "full": "limiter,metrics,logs,tracing",
    "lean_tracing": "lean_tracing",
    "full_lean": "limiter,metrics,logs,lean_tracing",
}
PEER_VARIANTS = ("seed", "instrumentator", "starlette_exporter", "otel_defaults")
ORDER = [*LAYER_VARIANTS, *PEER_VARIANTS]
TRACED = {"tracing", "full", "lean_tracing", "full_lean", "otel_defaults"}
TARGETS = {"metrics": 0.95, "full": 0.80}
PEER_MODULES = {"instrumentator": "prometheus_fastapi_instrumentator", "starlette_exporter": "starlette_exporter"}


def serve(variant: str, env: dict[str, str]) -> ServerProcess:
    """A uvicorn process serving ``variant`` (a stacks.py factory, its layers or peer set in ``env``)."""
    if variant in LAYER_VARIANTS:
        env = {**env, "OVERHEAD_LAYERS": LAYER_VARIANTS[variant]}
        return ServerProcess("make_stack", module="stacks", env=env)
    return ServerProcess("make_peer", module="stacks", env={**env, "OVERHEAD_PEER": variant})


COUNTERS = ("spans", "all_spans", "degraded")


def _counters(variant: str, server: ServerProcess) -> dict[str, int]:
    """The counters a stacks.py app's /health gives (the seed's app is the seed's own: it has none)."""
    if variant == "seed":
        return dict.fromkeys(COUNTERS, 0)
    answer = json.loads(http_get(server.url + "/health")[1])
    return {key: int(answer[key]) for key in COUNTERS}


def check_page(variant: str, route: str, status: int, body: bytes) -> None:
    """The route answers as it should before it is measured: a whole page, not a fallback."""
    page = json.loads(body) if status == 200 else None
    whole = page == {"product_id": 7} if route == "memory" else isinstance(page, dict) and page.get("degraded") is False
    if not whole:
        raise RuntimeError(f"{variant}: unexpected answer {status} {body!r}")


class Dependencies:
    """The lab's catalog and recommender, each in its own process on core 1: what ``--route page`` calls."""

    def __init__(self) -> None:
        self.servers = {
            name: ServerProcess("make_dependency", cpu="1", module="stacks", env={"OVERHEAD_SERVICE": name})
            for name in ("catalog", "recommender")
        }
        self.servers["catalog"].wait_ready("/products/1")
        self.servers["recommender"].wait_ready("/recommendations/1")

    def env(self) -> dict[str, str]:
        return {f"OVERHEAD_{name.upper()}_URL": server.url for name, server in self.servers.items()}

    def cpu_seconds(self) -> float:
        return sum(cpu_seconds(server.pid) for server in self.servers.values())

    def stop(self) -> None:
        for server in self.servers.values():
            server.stop()


def measure(variant: str, args: argparse.Namespace, deps: Dependencies | None) -> dict:
    env = {"OVERHEAD_ROUTE": args.route, **(deps.env() if deps else {})}
    with serve(variant, env) as server:
        server.wait_ready("/products/1")
        check_page(variant, args.route, *http_get(server.url + "/products/7"))
        run_wrk(server.url, args.warmup, args.connections)
        time.sleep(0.2)  # let the warm-up's last requests finish before counting
        before = _counters(variant, server)
        cpu0, deps0 = cpu_seconds(server.pid), deps.cpu_seconds() if deps else 0.0
        result = run_wrk(server.url, args.duration, args.connections)
        cpu1, deps1 = cpu_seconds(server.pid), deps.cpu_seconds() if deps else 0.0
        time.sleep(0.2)  # requests wrk gave up on at its deadline end their spans now
        after = _counters(variant, server)
    errors = sum(result[k] for k in ("connect_errors", "read_errors", "write_errors", "status_errors", "timeouts"))
    if errors:
        print(f"  warning: {variant}: {errors} wrk errors {result}", file=sys.stderr)
    spans, all_spans = (after[k] - before[k] if variant in TRACED else 0 for k in ("spans", "all_spans"))
    result.update(
        cpu_us_per_req=(cpu1 - cpu0) / result["requests"] * 1e6,
        # Core 1's share of the work: if wrk and the dependencies filled it, core 0 was not the limit.
        deps_cpu_share=(deps1 - deps0) / (result["duration_us"] / 1e6),
        degraded=after["degraded"] - before["degraded"],
        errors=errors,
        spans=spans,
        all_spans=all_spans,  # per SERVER span, 5 on the page: server, two business, two CLIENT
        dropped=max(0, result["requests"] - spans) if variant in TRACED else 0,
    )
    if result["degraded"]:
        print(f"  warning: {variant}: {result['degraded']} pages served without recommendations", file=sys.stderr)
    return result


def bracket(before: dict, after: dict) -> dict:
    """The bare server's speed while a variant ran: the mean of the bare runs just before and after it."""
    return {key: (before[key] + after[key]) / 2 for key in ("rps", "cpu_us_per_req")}


def summarise(runs: dict[str, list[dict]], references: dict[str, list[dict]]) -> list[dict]:
    """One row per variant: medians, and ratios to the bare runs around each of its runs."""
    rows = []
    for variant, rs in runs.items():
        bare = references.get(variant, rs)
        cpu_ratios = [b["cpu_us_per_req"] / r["cpu_us_per_req"] for r, b in zip(rs, bare, strict=True)]
        rows.append(
            {
                "variant": variant,
                "rps": statistics.median(r["rps"] for r in rs),
                "p99_ms": statistics.median(r["p99_us"] for r in rs) / 1e3,
                "cpu_us": statistics.median(r["cpu_us_per_req"] for r in rs),
                "rps_ratio": statistics.median(r["rps"] / b["rps"] for r, b in zip(rs, bare, strict=True)),
                "cpu_ratio": statistics.median(cpu_ratios),
                "cpu_range": (min(cpu_ratios), max(cpu_ratios)),
                "spans": sum(r["spans"] for r in rs),
                "dropped": sum(r["dropped"] for r in rs),
                "all_spans": sum(r["all_spans"] for r in rs),
                "deps_cpu_share": statistics.median(r["deps_cpu_share"] for r in rs),
                "degraded": sum(r["degraded"] for r in rs),
                "traced": variant in TRACED,
            }
        )
    return rows


def print_table(rows: list[dict], rounds: int, route: str = "memory") -> None:
    print(f"\nroute {route}: medians over {rounds} rounds, each variant against the bare runs around it")
    page = route == "page"
    extra_head, extra_rule = (" dependencies' CPU (cores) | degraded pages |", "---|---|") if page else ("", "")
    print(
        "| variant | req/s | p99 ms | CPU µs/req | req/s vs bare | CPU vs bare | CPU ratio range | server spans / dropped (all spans per server span) |"
        + extra_head
    )
    print("|---|---|---|---|---|---|---|---|" + extra_rule)
    for r in rows:
        per_page = r["all_spans"] / r["spans"] if r["spans"] else 0.0
        spans = f"{r['spans']:,} / {r['dropped']} ({per_page:.2f})" if r["traced"] else "-"
        low, high = r["cpu_range"]
        extra = f" {r['deps_cpu_share']:.2f} | {r['degraded']} |" if page else ""
        print(f"| {r['variant']} | {r['rps']:,.0f} | {r['p99_ms']:.2f} | {r['cpu_us']:.1f} | {r['rps_ratio']:.2f} | "
              f"{r['cpu_ratio']:.2f} | {low:.2f}-{high:.2f} | {spans} |{extra}")  # fmt: skip
    by_name = {r["variant"]: r for r in rows}
    for variant, target in TARGETS.items():
        if variant in by_name:
            ratio = by_name[variant]["rps_ratio"]
            verdict = "meets" if ratio >= target else "misses"
            dropped = by_name[variant]["dropped"]
            extra = f", {dropped} spans dropped" if by_name[variant]["traced"] else ""
            print(f"{variant}: req/s ratio {ratio:.2f} {verdict} the target of {target}{extra}")


def main() -> int:
    parser = wrk_parser(__doc__)
    parser.add_argument("--variants", default=",".join(ORDER), help="comma-separated, from " + ",".join(ORDER))
    parser.add_argument("--json", action="store_true", help="end with one JSON line: variant -> req/s ratio")
    parser.add_argument("--route", choices=ROUTES, default="memory", help="what the product route does (see above)")
    args = parser.parse_args()
    variants = [v.strip() for v in args.variants.split(",") if v.strip()]
    unknown = set(variants) - set(ORDER)
    if unknown:
        parser.error(f"unknown variants {sorted(unknown)}; choose from {','.join(ORDER)}")
    if args.rounds < 1 or args.duration < 1:
        parser.error("--rounds and --duration must be at least 1")
    variants = ["bare", *(v for v in variants if v != "bare")]
    if args.route == "page" and "seed" in variants:
        parser.error("the seed's app has its own product route, not the shop's page: leave seed out with --route page")
    for variant in variants:
        if variant in PEER_MODULES and importlib.util.find_spec(PEER_MODULES[variant]) is None:
            parser.error(f"{variant} needs {PEER_MODULES[variant]}: pip install -r benchmarks/requirements.txt "
                         f"(or leave it out of --variants)")  # fmt: skip
    install_sigterm_as_interrupt()
    deps_note = ", catalog and recommender on core 1" if args.route == "page" else ""
    print(f"python {platform.python_version()}, route {args.route}, {args.rounds} rounds x {args.duration} s, "
          f"wrk -t1 -c{args.connections}, server on core 0, wrk on core 1{deps_note}", flush=True)  # fmt: skip
    runs: dict[str, list[dict]] = {v: [] for v in variants}
    references: dict[str, list[dict]] = {v: [] for v in variants[1:]}

    deps = Dependencies() if args.route == "page" else None

    def run(rnd: int, variant: str) -> dict:
        r = measure(variant, args, deps)
        runs[variant].append(r)
        print(f"round {rnd} {variant:<19} {r['rps']:7.0f} req/s  p99 {r['p99_us'] / 1e3:6.2f} ms  "
              f"cpu {r['cpu_us_per_req']:6.1f} µs/req  spans {r['spans']} dropped {r['dropped']}", flush=True)  # fmt: skip
        return r

    try:
        for rnd in range(1, args.rounds + 1):
            # bare, A, bare, B, bare, ...: this VM's speed drifts within minutes,
            # so each variant is compared with the bare runs right around it.
            before = run(rnd, "bare")
            for variant in variants[1:]:
                run(rnd, variant)
                after = run(rnd, "bare")
                references[variant].append(bracket(before, after))
                before = after
    except KeyboardInterrupt:
        print("\ninterrupted; servers stopped", file=sys.stderr)
        return 130
    finally:
        if deps is not None:
            deps.stop()
    rows = summarise(runs, references)
    print_table(rows, args.rounds, args.route)
    if args.json:
        print(json.dumps({r["variant"]: round(r["rps_ratio"], 3) for r in rows if r["variant"] != "bare"}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
