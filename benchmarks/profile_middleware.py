"""Where the lab's MetricsMiddleware spends server CPU, sampled with py-spy.

    pip install py-spy          # into the same venv
    python benchmarks/profile_middleware.py [--variant lab] [--duration 10]

Serves the variant (benchmarks/apps.py) pinned to core 0, loads it with wrk on
core 1, and records with ``py-spy record --format raw`` (also on core 1). Then
reports the share of busy samples spent in the middleware's own code, that is
stacks whose frames below the last frame from labapp/telemetry/middleware.py
are only prometheus_client, threading or nothing (time in the wrapped app and
in uvicorn's send is not the middleware's). Lines are ranked by those samples.
"""

from __future__ import annotations

import argparse
import collections
import re
import sys
import tempfile
from pathlib import Path

from _bench import ServerProcess, install_sigterm_as_interrupt, record_under_wrk, run_wrk

MIDDLEWARE_FILE = "labapp/telemetry/middleware.py"
OWN = ("prometheus_client/", "threading.py", MIDDLEWARE_FILE, "<frozen", "time")
FRAME = re.compile(r"^(?P<func>.*) \((?P<file>.*?)(?::(?P<line>\d+))?\)$")


def parse(path: Path) -> list[tuple[list[tuple[str, str, str]], int]]:
    stacks = []
    # "\n" only: with --nonblocking py-spy may read a frame name mid-write, and
    # such garbage holds characters splitlines() would also break at ("\r", "\x85").
    for raw in path.read_text(errors="replace").split("\n"):
        body, _, count = raw.rpartition(" ")
        if not count.isdigit():
            continue
        frames = []
        for f in body.split(";"):
            m = FRAME.match(f)
            frames.append((m["func"], m["file"], m["line"] or "") if m else (f, "", ""))
        stacks.append((frames, int(count)))
    return stacks


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--variant", default="make_lab", help="factory in apps.py (default make_lab)")
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--rate", type=int, default=997, help="py-spy samples per second")
    args = parser.parse_args()
    install_sigterm_as_interrupt()
    out = Path(tempfile.mkdtemp(prefix="mwprof-")) / "stacks.txt"
    try:
        with ServerProcess(args.variant, cpu="0") as server:
            server.wait_ready()
            run_wrk(server.url, 1)
            result = record_under_wrk(server, args.duration, args.rate, out)
    except RuntimeError as err:
        print(err, file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130

    stacks = parse(out)
    total = sum(c for _, c in stacks)
    own = 0
    by_line: collections.Counter[str] = collections.Counter()
    in_mw_total = 0
    for frames, count in stacks:
        idx = [i for i, (_, file, _) in enumerate(frames) if file.endswith(MIDDLEWARE_FILE)]
        if not idx:
            continue
        in_mw_total += count
        below = frames[idx[-1] + 1 :]
        if all(any(k in file for k in OWN) or not file for _, file, _ in below):
            own += count
            func, _, line = frames[idx[-1]]
            leaf = below[-1] if below else frames[idx[-1]]
            by_line[f"middleware.py:{line} {func} -> {leaf[0]} ({Path(leaf[1]).name}:{leaf[2]})"] += count
    print(f"{args.variant}: {result.get('rps', 0):.0f} req/s under py-spy at {args.rate} Hz; {total} busy samples")
    print(f"samples with a middleware frame anywhere: {in_mw_total / total:.1%}")
    print(f"middleware's own code (excl. wrapped app and uvicorn send): {own / total:.1%} of busy samples")
    for key, count in by_line.most_common(15):
        print(f"  {count / total:6.2%}  {key}")
    print(f"raw stacks: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
