"""Where each layer's cost goes: the apps of overhead.py called in one process, timed, then profiled by package.

    python benchmarks/layer_profile.py [--requests 2000] [--rounds 20]

Every variant of overhead.py's layer set (bare, limiter, metrics, logs, tracing,
full), plus tracing with sample ratios 0.1 and 0, is built from benchmarks/stacks.py and called as an ASGI app with no
sockets (as middleware_inprocess.py does), so the time is the framework and the
layers only. Two passes:

1. Timing: variants take turns in chunks of --requests over --rounds rounds;
   a layer's extra µs is the median of its per-round difference to bare.
2. Profile: cProfile over --requests requests of each variant; the time spent
   inside each function's own code (tottime) is summed by where the function
   lives (a package such as ``opentelemetry`` or ``slowapi``, the lab's own
   ``labapp`` modules, or the standard library module such as ``logging``),
   per request, minus bare's. The profiler slows everything down alike, so each
   layer's shares are scaled to its timed extra µs.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import pstats
import random
import statistics
import sys
import sysconfig
from collections import defaultdict
from pathlib import Path

import stacks
from middleware_inprocess import time_app
from overhead import LAYER_VARIANTS

STDLIB = Path(sysconfig.get_paths()["stdlib"]).resolve()
ROOT = Path(__file__).resolve().parents[1]


# Tracing again with a sampler that keeps 10% of traces, and none: what does sampling save?
SAMPLED = {"tracing, sample ratio 0.1": "0.1", "tracing, sample ratio 0": "0.0"}


def build(variant: str) -> object:
    os.environ["OVERHEAD_LAYERS"] = LAYER_VARIANTS.get(variant, "tracing")
    os.environ["OVERHEAD_SAMPLE_RATIO"] = SAMPLED.get(variant, "1.0")
    return stacks.make_stack()


def where(filename: str) -> str:
    """The package (or standard library module, or lab module) a profiled function lives in."""
    if filename.startswith(("<built-in", "~")):
        return "builtins (C)"
    if filename.startswith("<frozen "):
        return "python: " + filename[len("<frozen ") : -1]
    path = Path(filename)
    parts = path.parts
    if "site-packages" in parts:
        package = [part.removesuffix(".py") for part in parts[parts.index("site-packages") + 1 :]]
        # OpenTelemetry is one namespace of many distributions: name the one (api, sdk, asgi instrumentation).
        depth = 3 if package[:2] == ["opentelemetry", "instrumentation"] else 2 if package[0] == "opentelemetry" else 1
        return ".".join(package[:depth])
    try:
        return "labapp." + path.resolve().relative_to(ROOT / "labapp").parts[0].removesuffix(".py")
    except ValueError:
        pass
    try:
        return "python: " + path.resolve().relative_to(STDLIB).parts[0].removesuffix(".py")
    except ValueError:
        return path.name


async def profile(app: object, ids: list[int]) -> dict[str, float]:
    """µs per request spent in each place, under cProfile."""
    profiler = cProfile.Profile()
    profiler.enable()
    await time_app(app, ids)
    profiler.disable()
    by_place: dict[str, float] = defaultdict(float)
    for (filename, _, _), (_, _, tottime, _, _) in pstats.Stats(profiler).stats.items():  # type: ignore[attr-defined]
        by_place[where(filename)] += tottime
    return {place: seconds / len(ids) * 1e6 for place, seconds in by_place.items()}


async def run(requests: int, rounds: int) -> None:
    variants = [*LAYER_VARIANTS, *SAMPLED]
    apps = {v: build(v) for v in variants}
    rng = random.Random(42)
    for app in apps.values():  # warm-up: the middleware stacks are built on the first call
        await time_app(app, [rng.randint(1, 1000) for _ in range(500)])
    timed: dict[str, list[float]] = {v: [] for v in variants}
    for _ in range(rounds):
        ids = [rng.randint(1, 1000) for _ in range(requests)]
        for v in variants:
            timed[v].append(await time_app(apps[v], ids))
    extra = {v: statistics.median(t - b for t, b in zip(timed[v], timed["bare"], strict=True)) for v in variants}
    ids = [rng.randint(1, 1000) for _ in range(requests)]
    profiles = {v: await profile(apps[v], ids) for v in variants}
    print(f"{rounds} interleaved rounds x {requests} requests in one process (no sockets); "
          f"bare: {statistics.median(timed['bare']):.0f} µs/request")  # fmt: skip
    print("\n| layer | extra µs/request | where the extra time goes (share of the extra) |")
    print("|---|---|---|")
    for v in variants[1:]:
        diff = {
            p: profiles[v].get(p, 0.0) - profiles["bare"].get(p, 0.0)
            for p in profiles[v].keys() | profiles["bare"].keys()
        }
        total = sum(d for d in diff.values() if d > 0)
        top = sorted(((d, p) for p, d in diff.items() if d > 0.01 * total), reverse=True)[:5]
        shares = ", ".join(f"{p} {d / total:.0%}" for d, p in top)
        print(f"| {v} | {extra[v]:+.0f} | {shares} |")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=2000, help="requests per variant per round")
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    if args.requests < 100 or args.rounds < 1:
        parser.error("--requests must be at least 100 and --rounds at least 1")
    asyncio.run(run(args.requests, args.rounds))
    return 0


if __name__ == "__main__":
    sys.exit(main())
