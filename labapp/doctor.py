"""``python -m labapp doctor``: is this machine ready for a workshop? A line per check: pass or fail, and what to do.

Run it before a workshop (or ask learners to): it checks the Python version and
the install, that loopback ports can be opened, which optional servers are
installed (and so which mode each lesson will use), and how much traffic this
machine can drive, the one thing that differs most between laptops.
"""

from __future__ import annotations

import os
import platform
import socket
import sys
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement

__all__ = ["LOAD_STEPS", "NOTEBOOK_PEAK_RATE", "Check", "check_load", "check_requirements", "run_doctor"]

REQUIREMENTS = Path(__file__).resolve().parents[1] / "requirements.txt"
# The highest rate of product pages a notebook drives (each page is three HTTP hops, ~7 ms of CPU
# here); below it the load figures of notebooks 05-12 show the machine, not the lesson. (Faster
# runs, 100-250/s, hit cheaper pages: a 404, the seed's one-route app.)
NOTEBOOK_PEAK_RATE = 50
LOAD_STEPS = (25, 50, 100)
_APT = "sudo apt-get install prometheus prometheus-alertmanager redis-server"


@dataclass(frozen=True)
class Check:
    """One line of the report: ``ok`` True (pass), False (fail) or None (information only)."""

    name: str
    ok: bool | None
    detail: str
    fix: str = ""

    def line(self) -> str:
        mark = {True: "PASS", False: "FAIL", None: "info"}[self.ok]
        text = f"[{mark}] {self.name}: {self.detail}"
        return text + (f"\n       what to do: {self.fix}" if self.fix and self.ok is not True else "")


def check_python(version: tuple[int, int] = sys.version_info[:2]) -> Check:
    found = ".".join(map(str, version))
    if version >= (3, 11):
        return Check("Python", True, f"{found} ({platform.python_implementation()})")
    return Check("Python", False, f"{found}; the lab needs 3.11 or newer", "install Python 3.11+ and make a new venv")


def check_requirements(path: Path = REQUIREMENTS) -> Check:
    """Every requirement of ``path`` installed, in its version range."""
    problems = []
    for raw in path.read_text().splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line or line.startswith("-"):
            continue
        try:
            requirement = Requirement(line)
        except InvalidRequirement:
            problems.append(f"unreadable line {line!r}")
            continue
        try:
            version = metadata.version(requirement.name)
        except metadata.PackageNotFoundError:
            problems.append(f"{requirement.name} missing")
            continue
        if requirement.specifier and version not in requirement.specifier:
            problems.append(f"{requirement.name} {version} (wants {requirement.specifier})")
    if problems:
        shown = ", ".join(problems[:4]) + (f" and {len(problems) - 4} more" if len(problems) > 4 else "")
        return Check("install", False, shown, f"activate the lab's venv, then: pip install -r {path.name}")
    try:
        import labapp
    except ImportError as exc:  # pragma: no cover - the doctor itself is labapp
        return Check("install", False, f"labapp does not import: {exc}", "pip install -e . from the lab's folder")
    return Check("install", True, f"every package of {path.name} in range; labapp from {Path(labapp.__file__).parent}")


def check_loopback(port: int = 8000) -> list[Check]:
    """A free loopback port can be opened; ``port`` (labapp serve's default) is free or not."""
    try:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            s.listen()
    except OSError as exc:
        return [
            Check(
                "loopback",
                False,
                f"cannot listen on 127.0.0.1 ({exc.strerror})",
                "ask IT: the lab serves on loopback only",
            )
        ]
    checks = [Check("loopback", True, "servers can listen on 127.0.0.1 (each lab picks free ports)")]
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
            checks.append(Check(f"port {port}", True, "free for `python -m labapp serve`"))
        except OSError:
            checks.append(
                Check(
                    f"port {port}",
                    None,
                    "in use by another program",
                    f"`labapp serve --port 0` picks a free one, or stop what holds {port}",
                )
            )
    return checks


def check_proxy(environ: Mapping[str, str] | None = None) -> Check:
    """A proxy in the environment is fine: labapp sends loopback around it (proxyenv.py)."""
    from .proxyenv import LOOPBACK_NAMES, PROXY_VARIABLES

    env = os.environ if environ is None else environ
    proxies = sorted({name.upper() for name in PROXY_VARIABLES if env.get(name)})
    if not proxies:
        return Check("proxy", True, "no HTTP proxy in the environment")
    bypass = env.get("NO_PROXY") or env.get("no_proxy") or ""
    missing = [name for name in LOOPBACK_NAMES if name not in bypass.split(",")]
    detail = f"{', '.join(proxies)} set; the lab sends 127.0.0.1 around it"
    fix = f"for your own tools (curl, a browser): export NO_PROXY=$NO_PROXY,{','.join(missing)}" if missing else ""
    return Check("proxy", None if missing else True, detail, fix)


def check_optional_binaries(find: Callable[[str], str | None] | None = None) -> list[Check]:
    """Which optional servers are installed, and so which mode each lesson runs in (neither is a failure)."""
    if find is None:
        from .observe.process import find_binary

        find = find_binary
    lessons = [
        ("prometheus", "notebooks 02 and 12 scrape with a real Prometheus", "the embedded scraper and PromQL engine"),
        ("promtool", "notebook 04 tests its rules with promtool", "the embedded rule tester (same test files)"),
        ("alertmanager", "notebooks 04 and 10 deliver alerts through a real Alertmanager", "the embedded router"),
        (
            "redis-server",
            "notebook 08 shares limits across replicas in Redis",
            "limits shared in the kernel (lab-memory://)",
        ),
    ]
    out = []
    for binary, real, fallback in lessons:
        path = find(binary) if binary != "alertmanager" else (find("alertmanager") or find("prometheus-alertmanager"))
        if path:
            out.append(Check(binary, True, f"{path}: {real}"))
        else:
            out.append(
                Check(binary, None, f"not installed: {fallback} instead; the notebooks say which", f"optional: {_APT}")
            )
    return out


def check_load(steps: Iterable[int] = LOAD_STEPS, duration_s: float = 1.5) -> Check:
    """Drive product pages open-loop at rising rates; the highest one held (within 5 %, no errors, p99 < 1 s)."""
    from .lab import Lab

    held = 0
    seen = []
    with Lab() as lab:
        for rate in steps:
            summary = lab.load(rate=rate, duration_s=duration_s, progress=False).summary()
            kept = summary["achieved_rate"] >= 0.95 * rate and summary["error_pct"] == 0 and summary["p99_ms"] < 1000
            seen.append(f"{rate}/s: {summary['achieved_rate']:.0f}/s, p99 {summary['p99_ms']:.0f} ms")
            if not kept:
                break
            held = rate
    detail = f"held {held} product pages/s ({'; '.join(seen)})"
    if held >= NOTEBOOK_PEAK_RATE:
        return Check("load", True, detail)
    return Check(
        "load",
        False,
        detail + f"; the notebooks drive up to {NOTEBOOK_PEAK_RATE} product pages/s",
        "close other busy programs (browsers with many tabs, builds, video calls) and run the doctor again; "
        "on a hub, ask for a full CPU per learner",
    )


def run_doctor(*, load: bool = True, out: Callable[[str], None] = print) -> int:
    """Print every check; 0 if none failed, else 1."""
    started = time.monotonic()
    checks = [check_python(), check_requirements(), *check_loopback(), check_proxy(), *check_optional_binaries()]
    for check in checks:
        out(check.line())
    if load:
        out("measuring what this machine can drive (about 5 s)...")
        checks.append(check_load())
        out(checks[-1].line())
    failed = [c.name for c in checks if c.ok is False]
    out(f"{'FAIL: ' + ', '.join(failed) if failed else 'ready for the workshop'} ({time.monotonic() - started:.0f} s)")
    return 1 if failed else 0
