"""Command line.

    python -m labapp serve [--port 8000]        the shop on a fixed port until Ctrl-C
    python -m labapp test-rules FILE...         promtool's rule tests, run by the embedded engine
    python -m labapp test-runbooks FILE...      the responder's runbook on synthetic alert timelines
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path

from .config import LOOPBACK, LabConfig, is_loopback
from .lab import Lab


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m labapp", description="Busy Service Lab")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the shop and its dependencies until interrupted")
    serve.add_argument("--host", default=LOOPBACK, help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000, help="the shop's port (default 8000; 0 = any free port)")
    serve.add_argument(
        "--allow-remote",
        action="store_true",
        help="allow a non-loopback --host; anyone who can reach it can load the shop",
    )
    rules = sub.add_parser(
        "test-rules",
        help="run promtool rule-test files through the embedded PromQL engine and rule evaluator",
        description="Like 'promtool test rules FILE...', with the lab's embedded engine. Exit 1 if a case fails.",
    )
    rules.add_argument("files", nargs="+", type=Path, metavar="FILE", help="promtool rule-test files (YAML)")
    runbooks = sub.add_parser(
        "test-runbooks",
        help="run runbook test files: synthetic alert timelines and the responder's expected decisions",
        description="Like 'promtool test rules', for the responder's runbook. Exit 1 if a timeline fails.",
    )
    runbooks.add_argument("files", nargs="+", type=Path, metavar="FILE", help="runbook test files (YAML)")
    args = parser.parse_args(argv)
    if args.command == "test-rules":
        return _test_rules(args.files)
    if args.command == "test-runbooks":
        return _test_runbooks(parser, args.files)
    return _serve(parser, args)


def _test_rules(files: list[Path]) -> int:
    from .alerts.ruletest import format_results, run_rule_tests

    results = [run_rule_tests(path) for path in files]
    format_results(results)
    return 0 if all(r.passed for r in results) else 1


def _test_runbooks(parser: argparse.ArgumentParser, files: list[Path]) -> int:
    from .respond import RunbookError, format_timeline_results, run_timeline_file

    try:
        results = [result for path in files for result in run_timeline_file(path)]
    except RunbookError as exc:
        parser.error(str(exc))
    print(format_timeline_results(results))
    return 0 if all(r.passed for r in results) else 1


def _serve(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    if not is_loopback(args.host):
        if not args.allow_remote:
            parser.error(f"--host {args.host} is not loopback; add --allow-remote if you mean to expose the shop")
        print(
            f"WARNING: binding {args.host}: other machines can reach the shop. "
            "Fault routes still answer only to loopback callers.",
            file=sys.stderr,
        )
    try:
        config = LabConfig(host=args.host, shop_port=args.port, allow_remote=args.allow_remote)
        lab = Lab(config).start()
    except (ValueError, RuntimeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    print(f"shop: {lab.url}  (metrics {lab.url}/metrics, faults {lab.url}/admin/faults)", flush=True)
    for name, url in lab.urls.items():
        if name != "shop":
            print(f"  {name}: {url}", flush=True)
    print("faults: none. Press Ctrl-C to stop.", flush=True)
    try:
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        lab.stop()
        print("stopped", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
