"""Run the test suite several times and report every failure: is the suite flake-free?

    python tools/suite_runs.py --runs 5                # the README's test command, five times
    python tools/suite_runs.py --runs 3 -- tests/gameday -n 2
    python tools/suite_runs.py --runs 5 --keep runs/     # and each run's whole output in runs/run1.log ...

Each run is `python -m pytest -p no:cacheprovider -q -rfE [ARGS]` in the current folder. Prints one line per
run (passed, failed, wall time), then each test that failed with the runs it failed in and its first
reason (pytest's summary line, at 240 columns so it is not cut at 80); with ``--keep DIR`` each run's
whole output, tracebacks included, goes to DIR/runN.log. Exits 1 when any run failed, so a CI job can run it too.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

# A test id can hold spaces (nbval's "notebook.ipynb::Cell 13", a parameter "[0.15 s]"): up to " - ", the reason.
# Read in pytest's short summary only: a captured log line ("ERROR    shop:app.py:12 ...") is no test.
FAILED = re.compile(r"^(?:FAILED|ERROR) (\S.*?)(?: - (.*))?$", re.M)
SUMMARY = "short test summary info"
COUNT = re.compile(r"(\d+) (passed|failed|errors?)")


@dataclass
class Run:
    number: int
    seconds: float
    counts: dict[str, int]
    failures: dict[str, str] = field(default_factory=dict)


def run_once(number: int, args: list[str], keep: Path | None = None) -> Run:
    started = time.monotonic()
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-rfE", *args]  # E: errors at setup too
    env = {**os.environ, "COLUMNS": "240"}  # pytest cuts each summary line to the terminal's width
    done = subprocess.run(command, capture_output=True, text=True, check=False, env=env)
    if keep is not None:
        (keep / f"run{number}.log").write_text(done.stdout + done.stderr)
    lines = done.stdout.strip().splitlines()
    summary = lines[-1] if lines else ""
    counts = {kind.rstrip("s"): int(n) for n, kind in COUNT.findall(summary)}
    listed = done.stdout.rsplit(SUMMARY, 1)[-1]
    failures = {test: (reason or "").strip() for test, reason in FAILED.findall(listed)}
    if done.returncode not in (0, 1) and not failures:  # usage error, interrupted, nothing collected
        failures["(the run itself)"] = f"pytest exited {done.returncode}: {(done.stderr or summary)[-300:]}"
    elif (missed := counts.get("failed", 0) + counts.get("error", 0) - len(failures)) > 0:
        failures["(tests pytest counted but did not list)"] = f"{missed} more failed: see the run's whole output"
    return Run(number, time.monotonic() - started, counts, failures)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="how many times to run the suite (1-20)")
    parser.add_argument("--keep", type=Path, metavar="DIR", help="write each run's whole output to DIR/runN.log")
    parser.add_argument("pytest_args", nargs="*", help="passed to pytest after --")
    args = parser.parse_args(argv)
    if not 1 <= args.runs <= 20:
        parser.error(f"--runs is from 1 to 20, got {args.runs}")
    if args.keep is not None:
        args.keep.mkdir(parents=True, exist_ok=True)
    failed_in: dict[str, list[int]] = defaultdict(list)
    reasons: dict[str, str] = {}
    for number in range(1, args.runs + 1):
        run = run_once(number, args.pytest_args, args.keep)
        print(
            f"run {number}: {run.counts.get('passed', 0)} passed, {len(run.failures)} failed or in error, "
            f"{run.seconds / 60:.1f} min",
            flush=True,
        )
        for test, reason in run.failures.items():
            failed_in[test].append(number)
            reasons.setdefault(test, reason)
    if not failed_in:
        print(f"no failure in {args.runs} runs")
        return 0
    print(f"{len(failed_in)} tests failed in some of {args.runs} runs:")
    for test, runs in sorted(failed_in.items(), key=lambda item: -len(item[1])):
        print(f"  {test}: runs {', '.join(map(str, runs))} ({len(runs)} of {args.runs}); {reasons[test][:300]}")
    if args.keep is not None:
        print(f"each run's whole output: {args.keep}/run1.log ...")
    return 1


if __name__ == "__main__":
    sys.exit(main())
