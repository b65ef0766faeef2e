"""The same variants as middleware.py, called as ASGI apps in one process: no sockets, no uvicorn.

    python benchmarks/middleware_inprocess.py [--requests 2000] [--rounds 60]

Each request is ``await app(scope, receive, send)`` with a fresh scope for
/products/<id> (id 1..1000) and no-op receive/send, so the time is the
framework plus the middleware only: far less noise than a loaded server, and
it separates the middleware's own cost from HTTP parsing and the event loop.
Variants take turns in short chunks (--requests each) over many rounds, so a
change in the machine's speed hits all of them alike; the extra µs over bare is
the median of the per-round differences. CPU time is process_time(), which
leaves out time the process was not running. The garbage collector is off
inside each timed chunk (and run between chunks), so this is code-path cost
only; in a server, extra allocations also cost collections.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import random
import statistics
import sys
import time

import apps

DEFAULT = ["bare", "asgi_noop", "asgi_wrap", "lab", "instrumentator", "seed"]


def scope_for(product_id: int) -> dict:
    path = f"/products/{product_id}"
    return {
        "type": "http", "asgi": {"version": "3.0", "spec_version": "2.3"}, "http_version": "1.1",
        "method": "GET", "scheme": "http", "path": path, "raw_path": path.encode(), "root_path": "",
        "query_string": b"", "headers": [(b"host", b"127.0.0.1")],
        "client": ("127.0.0.1", 5000), "server": ("127.0.0.1", 8000), "state": {},
    }  # fmt: skip


async def receive() -> dict:
    return {"type": "http.request", "body": b"", "more_body": False}


async def time_app(app, ids: list[int]) -> float:  # type: ignore[no-untyped-def]
    statuses = []

    async def send(message: dict) -> None:
        if message["type"] == "http.response.start":
            statuses.append(message["status"])

    scopes = [scope_for(i) for i in ids]
    gc.collect()
    gc.disable()  # a collection would land on whichever variant happens to trigger it
    t = time.process_time()
    for scope in scopes:
        await app(scope, receive, send)
    elapsed = time.process_time() - t
    gc.enable()
    if set(statuses) != {200}:
        raise RuntimeError(f"unexpected statuses {set(statuses)}")
    return elapsed / len(ids) * 1e6


async def run(variants: list[str], requests: int, rounds: int) -> dict[str, list[float]]:
    built = {v: getattr(apps, "make_" + v)() for v in variants}
    rng = random.Random(42)
    for app in built.values():  # warm-up
        await time_app(app, [rng.randint(1, 1000) for _ in range(2000)])
    out: dict[str, list[float]] = {v: [] for v in variants}
    for _ in range(rounds):
        ids = [rng.randint(1, 1000) for _ in range(requests)]
        for v in variants:
            out[v].append(await time_app(built[v], ids))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=2000, help="requests per variant per round")
    parser.add_argument("--rounds", type=int, default=60)
    parser.add_argument("--variants", default=",".join(DEFAULT))
    args = parser.parse_args()
    variants = [v.strip() for v in args.variants.split(",")]
    if "bare" not in variants:
        variants.insert(0, "bare")
    results = asyncio.run(run(variants, args.requests, args.rounds))
    print(f"{args.rounds} interleaved rounds x {args.requests} requests, median per request")
    print("| variant | µs/request | extra µs over bare (median of per-round differences) | bare/variant (median per round) |")
    print("|---|---|---|---|")
    pairs = list(zip(*(results[v] for v in variants), strict=True))
    for j, v in enumerate(variants):
        med = statistics.median(results[v])
        diff = statistics.median(p[j] - p[0] for p in pairs)
        ratio = statistics.median(p[0] / p[j] for p in pairs)
        print(f"| {v} | {med:.1f} | {diff:+.1f} | {ratio:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
