"""Where the shop's product page spends server CPU, bare and with its layers: py-spy samples by package.

    python benchmarks/page_profile.py [--variants bare,tracing,full] [--rounds 2] [--duration 10] [--rate 499]

The page of ``overhead.py --route page``: the shop's own ``product_page``,
which calls the lab's catalog and recommender over HTTP. For each variant the
server runs on core 0 under wrk (``-t1 -c32``), with the catalog, the
recommender, wrk and py-spy on core 1, the variants taking turns over
--rounds rounds. The server's CPU per page is read from /proc over the
recordings; every busy sample is put where its innermost Python
frame lives (``layer_profile.where``: a package such as ``httpx`` or
``opentelemetry.sdk``, a lab module, a standard library module), and the
shares are scaled to the CPU per page. Time in C is counted where Python
called it. The table gives µs of server CPU per page by place, for each
variant, and the last variant's extra over bare.
"""

from __future__ import annotations

import argparse
import collections
import sys
import tempfile
from pathlib import Path

from _bench import http_get, install_sigterm_as_interrupt, record_under_wrk, run_wrk
from layer_profile import where
from overhead import LAYER_VARIANTS, Dependencies, check_page, serve
from profile_middleware import parse

WAITS = ("wait", "_wait_for_tstate_lock")  # idle threads (limits' expiry Timer) that py-spy sometimes samples


def places(stacks: list[tuple[list[tuple[str, str, str]], int]]) -> collections.Counter[str]:
    """Busy samples by the place of their innermost frame."""
    counts: collections.Counter[str] = collections.Counter()
    for frames, count in stacks:
        func, file, _ = frames[-1]
        if file.endswith("threading.py") and func.rsplit(".", 1)[-1] in WAITS:
            continue
        # No frame: py-spy caught the thread between Python frames (--nonblocking reads race the interpreter).
        counts[where(file) if file else "(no Python frame)"] += count
    return counts


def record_page(variant: str, deps: Dependencies, args: argparse.Namespace, out: Path) -> dict:
    """One recording of one variant: wrk's summary, with the server's CPU seconds and the samples by place."""
    with serve(variant, {"OVERHEAD_ROUTE": "page", **deps.env()}) as server:
        server.wait_ready("/products/1")
        check_page(variant, "page", *http_get(server.url + "/products/7"))
        run_wrk(server.url, 2)
        result = record_under_wrk(server, args.duration, args.rate, out)
    return {**result, "places": places(parse(out))}


def per_page(recordings: list[dict]) -> dict[str, float]:
    """µs of server CPU per page in each place, over all of a variant's recordings."""
    counts: collections.Counter[str] = sum((r["places"] for r in recordings), collections.Counter())
    cpu_us = sum(r["cpu_s"] for r in recordings) / sum(r["requests"] for r in recordings) * 1e6
    total = sum(counts.values())
    return {place: n / total * cpu_us for place, n in counts.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--variants", default="bare,tracing,full", help="from " + ",".join(LAYER_VARIANTS))
    parser.add_argument("--duration", type=int, default=10, help="seconds recorded per variant")
    parser.add_argument("--rounds", type=int, default=2, help="recordings per variant, interleaved")
    parser.add_argument("--rate", type=int, default=499, help="py-spy samples per second")
    parser.add_argument("--top", type=int, default=14, help="places shown, by the last variant's extra")
    args = parser.parse_args()
    variants = ["bare", *(v.strip() for v in args.variants.split(",") if v.strip() and v.strip() != "bare")]
    unknown = set(variants) - set(LAYER_VARIANTS)
    if unknown:
        parser.error(f"unknown variants {sorted(unknown)}: use names from {','.join(LAYER_VARIANTS)}")
    if args.duration < 2 or args.rounds < 1 or not 10 <= args.rate <= 1000:
        parser.error("--duration must be at least 2 s, --rounds at least 1, --rate from 10 to 1000 samples/s")
    install_sigterm_as_interrupt()
    tmp = Path(tempfile.mkdtemp(prefix="pageprof-"))
    recordings: dict[str, list[dict]] = {v: [] for v in variants}
    deps = Dependencies()
    try:
        for rnd in range(1, args.rounds + 1):  # interleaved: this VM's speed drifts within minutes
            for variant in variants:
                r = record_page(variant, deps, args, tmp / f"{variant}-{rnd}.txt")
                recordings[variant].append(r)
                print(f"round {rnd} {variant}: {r['rps']:.0f} pages/s under py-spy at {args.rate} Hz, "
                      f"{r['cpu_s'] / r['requests'] * 1e6:.0f} µs server CPU per page", flush=True)  # fmt: skip
    except KeyboardInterrupt:
        return 130
    except RuntimeError as err:
        print(err, file=sys.stderr)
        return 1
    finally:
        deps.stop()
    table = {v: per_page(recordings[v]) for v in variants}
    last = variants[-1]
    extra = {p: table[last].get(p, 0.0) - table["bare"].get(p, 0.0) for p in table[last] | table["bare"]}
    print(f"\nµs of server CPU per page, by where the innermost Python frame lives (sorted by {last}'s extra)")
    print("| place | " + " | ".join(variants) + f" | {last} - bare |")
    print("|---|" + "---|" * (len(variants) + 1))
    shown = sorted(extra, key=lambda p: -abs(extra[p]))[: args.top]
    for place in [*shown, "all"]:
        cells = [sum(table[v].values()) if place == "all" else table[v].get(place, 0.0) for v in variants]
        diff = sum(extra.values()) if place == "all" else extra[place]
        print(f"| {place} | " + " | ".join(f"{c:,.0f}" for c in cells) + f" | {diff:+,.0f} |")
    print(f"raw stacks: {tmp}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
