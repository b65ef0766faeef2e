"""Command line: ``python -m labapp serve`` puts the shop on a fixed port until Ctrl-C."""

from __future__ import annotations

import argparse
import signal
import sys
import threading

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
    args = parser.parse_args(argv)

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
