"""Two worker processes: what per-process metrics and in-memory rate limits get wrong, and what the fix costs.

    python benchmarks/workers.py [--requests 200] [--rounds 3] [--duration 5]

``uvicorn --workers 2`` serves benchmarks/workers_app.py. Three measurements:

1. Counting. ``--requests`` product requests, each on a new connection so both
   workers answer some; then 10 scrapes of /metrics, each on a new connection.
   With one registry per process a scrape shows the count of the worker that
   answered it; with prometheus-client's multiprocess mode every scrape shows
   every request.
2. Cost. wrk (one thread, 32 connections, core 1) against both workers pinned
   to core 0, per-process registry against multiprocess mode, interleaved
   over ``--rounds``.
3. Rate limits. 40 requests to a route limited to 10 a minute per client, with
   slowapi's ``memory://`` storage (a counter per worker) and with Redis (one
   counter), where ``redis-server`` is installed.
"""

from __future__ import annotations

import argparse
import collections
import re
import statistics
import sys
import tempfile
from pathlib import Path

import httpx
from _bench import ServerProcess, cpu_seconds, install_sigterm_as_interrupt, run_wrk

from labapp.ratelimit.redis_server import RedisServer, find_redis

WORKERS = ["--workers", "2"]
COUNTED = re.compile(r'^shop_requests_total\{route="/products/\{product_id\}"\} ([0-9.e+]+)$', re.MULTILINE)


def _server(metrics: str, multiproc_dir: str, cpu: str = "0,1", storage: str = "memory://") -> ServerProcess:
    env = {"WORKERS_METRICS": metrics, "WORKERS_LIMIT_STORAGE": storage, "WORKERS_LIMIT": "10/minute"}
    if metrics == "multiprocess":
        env["PROMETHEUS_MULTIPROC_DIR"] = multiproc_dir
    return ServerProcess("make_app", cpu=cpu, module="workers_app", env=env, extra=WORKERS)


def _fresh_get(url: str) -> httpx.Response:
    # A new connection each time: the kernel hands each one to whichever worker accepts first.
    return httpx.get(url, headers={"Connection": "close"}, timeout=5.0)


def count_and_scrape(metrics: str, requests: int, scrapes: int = 10) -> tuple[collections.Counter[int], list[float]]:
    """Requests answered per worker pid, and the product count each of ``scrapes`` scrapes showed."""
    with tempfile.TemporaryDirectory() as multiproc_dir, _server(metrics, multiproc_dir) as server:
        server.wait_ready("/products/1")
        by_pid = collections.Counter(_fresh_get(f"{server.url}/products/{i}").json()["pid"] for i in range(requests))
        pages = [_fresh_get(server.url + "/metrics").text for _ in range(scrapes)]
    return by_pid, [float(match[1]) for page in pages if (match := COUNTED.search(page))]


def limited(storage: str, requests: int = 40) -> tuple[collections.Counter[int], int]:
    """Allowed requests per worker pid, and how many were refused, of ``requests`` to a 10/minute route."""
    with tempfile.TemporaryDirectory() as d, _server("process", d, storage=storage) as server:
        server.wait_ready("/products/1")
        # One path: slowapi's default key_style="url" keeps a counter per path, so /limited/1
        # and /limited/2 would not share one.
        answers = [_fresh_get(f"{server.url}/limited/7") for _ in range(requests)]
    allowed = collections.Counter(a.json()["pid"] for a in answers if a.status_code == 200)
    return allowed, sum(1 for a in answers if a.status_code == 429)


def counting(requests: int) -> None:
    print(f"\n1. {requests} product requests, then 10 scrapes; shop_requests_total as each scrape saw it")
    print("| registry | answered by worker (pid: requests) | scrapes said | scrapes right |")
    print("|---|---|---|---|")
    for metrics in ("process", "multiprocess"):
        by_pid, seen = count_and_scrape(metrics, requests)
        # The readiness check was a counted request too: one more than sent, on one worker.
        right = sum(1 for value in seen if value == requests + 1)
        workers = ", ".join(f"{pid}: {n}" for pid, n in sorted(by_pid.items()))
        said = ", ".join(f"{v:g}" for v in sorted(set(seen)))
        print(f"| {metrics} | {workers} | {said} | {right} of 10 |", flush=True)


def _tree_cpu(pid: int) -> float:
    """CPU seconds of uvicorn's master and its worker processes."""
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return cpu_seconds(pid) + sum(cpu_seconds(int(child)) for child in children)


def cost(rounds: int, duration: float) -> None:
    print(f"\n2. both workers on core 0, wrk -c32 on core 1, {rounds} interleaved rounds x {duration:g} s")
    runs: dict[str, list[dict]] = {"process": [], "multiprocess": []}
    for _ in range(rounds):
        for metrics in runs:
            with tempfile.TemporaryDirectory() as multiproc_dir, _server(metrics, multiproc_dir, cpu="0") as server:
                server.wait_ready("/products/1")
                run_wrk(server.url, 1, 32)  # warm-up
                before = _tree_cpu(server.pid)
                result = run_wrk(server.url, duration, 32)
                result["cpu_us"] = (_tree_cpu(server.pid) - before) / result["requests"] * 1e6
                runs[metrics].append(result)
    print("| registry | req/s | p50 ms | CPU µs/request (master + workers) | CPU vs per-process |")
    print("|---|---|---|---|---|")
    for metrics, rs in runs.items():
        ratio = statistics.median(r["cpu_us"] / p["cpu_us"] for r, p in zip(rs, runs["process"], strict=True))
        print(f"| {metrics} | {statistics.median(r['rps'] for r in rs):,.0f} | "
              f"{statistics.median(r['p50_us'] for r in rs) / 1e3:.1f} | "
              f"{statistics.median(r['cpu_us'] for r in rs):.0f} | {ratio:.2f} |")  # fmt: skip


def limits() -> None:
    print("\n3. 40 requests from one client to a route limited to 10 a minute")
    print("| limit storage | allowed | refused (429) | answered by worker (pid: allowed) |")
    print("|---|---|---|---|")
    binary = find_redis()
    stores: list[tuple[str, RedisServer | None]] = [("memory:// (one counter per worker)", None)]
    if binary is not None:
        stores.append(("Redis (one counter)", RedisServer(binary)))
    else:
        print("| Redis | not installed: sudo apt-get install redis-server | | |")
    for label, redis in stores:
        if redis is not None:
            redis.start()
        try:
            allowed, refused = limited(redis.uri if redis is not None else "memory://")
        finally:
            if redis is not None:
                redis.stop()
        workers = ", ".join(f"{pid}: {n}" for pid, n in sorted(allowed.items()))
        print(f"| {label} | {sum(allowed.values())} | {refused} | {workers} |", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=float, default=5.0)
    args = parser.parse_args()
    if args.requests < 10 or args.rounds < 1 or args.duration < 1:
        parser.error("--requests at least 10, --rounds at least 1, --duration at least 1 s")
    install_sigterm_as_interrupt()
    try:
        counting(args.requests)
        cost(args.rounds, args.duration)
        limits()
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
