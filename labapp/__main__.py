"""Command line.

python -m labapp serve [--port 8000]        the shop on a fixed port until Ctrl-C
python -m labapp test-rules FILE...         promtool's rule tests, run by the embedded engine
python -m labapp test-runbooks FILE...      the responder's runbook on synthetic alert timelines
python -m labapp gameday [--scenario NAME|random] [--seed N]
                                            a game day against a served shop, for a room
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
import time
from pathlib import Path

from .config import LOOPBACK, LabConfig, is_loopback
from .lab import Lab

# An instructor's chosen secret for the fault-control routes (labapp serve prints a new one otherwise).
ADMIN_TOKEN_ENV = "LABAPP_ADMIN_TOKEN"


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
    serve.add_argument(
        "--tracing",
        action="store_true",
        help="trace every request: trace ids as exemplars on /metrics (OpenMetrics) and in the access logs",
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
    gameday = sub.add_parser(
        "gameday",
        help="play a hidden incident against a served shop, for a room to diagnose (notebook 12)",
        description="Serves the shop, plays a scenario's traffic with its hidden fault, and keeps serving "
        "so the room can investigate. Ctrl-C reveals the answer and stops.",
    )
    gameday.add_argument("--scenario", default="random", help="a scenario name, or random (default)")
    gameday.add_argument("--seed", type=int, default=None, help="fixes the draw: scenario, route, client, start time")
    gameday.add_argument("--duration", type=float, default=60.0, help="seconds of traffic (default 60, at most 90)")
    gameday.add_argument("--time-scale", type=float, default=1.0, help=argparse.SUPPRESS)  # tests: a faster timeline
    gameday.add_argument("--host", default=LOOPBACK, help="address to bind (default 127.0.0.1)")
    gameday.add_argument("--port", type=int, default=8000, help="the shop's port (default 8000; 0 = any free port)")
    gameday.add_argument("--allow-remote", action="store_true", help="allow a non-loopback --host")
    gameday.add_argument("--reveal", action="store_true", help="print the answer as soon as the traffic ends")
    scan = sub.add_parser(
        "scan",
        help="security-scan a shop (probes and schemathesis) and labapp's code (bandit), as CI does (notebook 11)",
        description="Exit 1 on a finding at or above --fail-on, or a bandit result neither planted nor accepted.",
    )
    scan.add_argument("--flaws", default="none", help="none (default: the hardened shop), all, or names with commas")
    scan.add_argument("--fail-on", default="high", choices=["high", "medium", "low", "never"])
    scan.add_argument("--fuzz-examples", type=int, default=25, help="schemathesis inputs per operation and mode")
    scan.add_argument("--no-static", action="store_true", help="skip bandit")
    doctor = sub.add_parser("doctor", help="check this machine before a workshop: install, ports, servers, load")
    doctor.add_argument("--no-load", action="store_true", help="skip the 5-second load measurement")
    args = parser.parse_args(argv)
    if args.command == "doctor":
        from .doctor import run_doctor

        return run_doctor(load=not args.no_load)
    if args.command == "scan":
        return _scan(parser, args)
    if args.command == "gameday":
        return _gameday(parser, args)
    if args.command == "test-rules":
        return _test_rules(args.files)
    if args.command == "test-runbooks":
        return _test_runbooks(parser, args.files)
    return _serve(parser, args)


def _scan(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    from .security.report import parse_flaws, run_scan

    try:
        flaws = parse_flaws(args.flaws)
    except ValueError as exc:
        parser.error(str(exc))
    if args.fuzz_examples < 0:
        parser.error("--fuzz-examples is a count of inputs (0 = no fuzzing)")
    return run_scan(flaws, fail_on=args.fail_on, static=not args.no_static, fuzz_examples=args.fuzz_examples)


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


def _gameday(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    from .gameday import ScenarioError, scenario_names

    if args.scenario != "random" and args.scenario not in scenario_names():
        parser.error(f"no scenario {args.scenario!r}; choose random or one of: {', '.join(scenario_names())}")
    lab = _start_lab(parser, args, tracing=True)
    if lab is None:
        return 2
    stop = _stop_on_sigterm()
    seed = args.seed if args.seed is not None else int(time.time()) % 100_000
    try:
        game = lab.game_day(args.scenario, seed=seed, duration_s=args.duration, time_scale=args.time_scale)
    except (ScenarioError, ValueError) as exc:
        lab.stop()
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"shop: {lab.url}  (metrics {lab.url}/metrics)", flush=True)
    prometheus = getattr(game.watcher, "url", None)
    print(
        f"prometheus: {prometheus}" if prometheus else "prometheus: not installed (the shop's /metrics only)",
        flush=True,
    )
    print(f"game day seed {seed}: run again with --seed {seed} for the same incident\n", flush=True)
    print(game.briefing + "\n", flush=True)
    try:
        game.play(wait=False)
        print(f"traffic for {args.duration:g} s; the fault is hidden in it.", flush=True)
        while not game.run.done and not stop.wait(0.5):
            pass
        print("traffic over; the shop keeps serving for the investigation. Ctrl-C reveals the answer.", flush=True)
        if args.reveal:
            print(game.reveal(), flush=True)
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        game.stop()
        print(game.reveal(), flush=True)
        lab.stop()
        print("stopped", flush=True)
    return 0


def _start_lab(parser: argparse.ArgumentParser, args: argparse.Namespace, *, tracing: bool = False) -> Lab | None:
    """The lab on ``--host``/``--port``, refusing a non-loopback host without ``--allow-remote``."""
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
        # The instructor's own secret if set (a script can then use it), else a new one printed below.
        token = os.environ.get(ADMIN_TOKEN_ENV) or None
        return Lab(config, tracing=tracing, admin_token=token).start()
    except (ValueError, RuntimeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return None


def _fault_control_help(lab: Lab) -> str:
    """How to reach /admin/faults from this machine: the routes want the lab's secret."""
    chosen = os.environ.get(ADMIN_TOKEN_ENV)
    source = f"from ${ADMIN_TOKEN_ENV}" if chosen else f"new; set ${ADMIN_TOKEN_ENV} to choose it"
    return (
        f"fault control ({lab.url}/admin/faults, this machine only) needs the lab's secret ({source}):\n"
        f"  export LAB_TOKEN={lab._admin_token}\n"
        f'  curl -X PUT {lab.url}/admin/faults/payments -H "Authorization: Bearer $LAB_TOKEN" '
        "-H 'content-type: application/json' -d '{\"error_rate\": 0.5}'"
    )


def _stop_on_sigterm() -> threading.Event:
    """SIGTERM sets the returned event; Ctrl-C (SIGINT) raises KeyboardInterrupt, as in a terminal.

    Python leaves SIGINT ignored when its parent ignored it, as a non-interactive shell does
    for a command started with ``&``; the server must still stop when it is sent.
    """
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, signal.default_int_handler)
    return stop


def _serve(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    lab = _start_lab(parser, args, tracing=args.tracing)
    if lab is None:
        return 2
    stop = _stop_on_sigterm()
    print(f"shop: {lab.url}  (metrics {lab.url}/metrics, API docs {lab.url}/docs)", flush=True)
    for name, url in lab.urls.items():
        if name != "shop":
            print(f"  {name}: {url}", flush=True)
    print(_fault_control_help(lab), flush=True)
    if args.tracing:
        print(
            "tracing: on. Exemplars (trace ids on the latency buckets) for a scraper that asks for OpenMetrics:\n"
            f"  curl -H 'Accept: application/openmetrics-text' {lab.url}/metrics | grep trace_id",
            flush=True,
        )
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
