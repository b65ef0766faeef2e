"""The shop's Prometheus alert rules, and promtool to check and unit-test them.

The rule files live in the repository's ``data/rules`` (production windows),
``data/rules/lab`` (lab time: windows of seconds) and ``data/rules/tests``
(``promtool test rules`` files, which evaluate the rules on simulated time).
They are found relative to this package, so this works from a source checkout
or an editable install (the lab's setup), not from a wheel without ``data/``.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Sequence
from pathlib import Path

from ..observe.process import find_binary

__all__ = [
    "LAB_RULES_DIR",
    "RESPOND_RULES_DIR",
    "RULES_DIR",
    "RULE_TESTS_DIR",
    "check_rules",
    "find_promtool",
    "lab_rule_files",
    "respond_rule_files",
    "rule_files",
    "rule_test_files",
    "run_promtool_tests",
]

RULES_DIR: Path = Path(__file__).resolve().parents[2] / "data" / "rules"
LAB_RULES_DIR: Path = RULES_DIR / "lab"
RESPOND_RULES_DIR: Path = RULES_DIR / "respond"
RULE_TESTS_DIR: Path = RULES_DIR / "tests"

_INSTALL_HINT = (
    "no 'promtool' binary on PATH. On Debian/Ubuntu: sudo apt-get install prometheus "
    "(promtool comes with it); elsewhere it is in the release archives at https://prometheus.io/download/."
)


def rule_files() -> list[Path]:
    """The production rule files (``data/rules/*.yml``), sorted."""
    return sorted(RULES_DIR.glob("*.yml"))


def lab_rule_files() -> list[Path]:
    """The lab-time rule files (``data/rules/lab/*.yml``), sorted."""
    return sorted(LAB_RULES_DIR.glob("*.yml"))


def respond_rule_files() -> list[Path]:
    """The lab-time alerts the incident responder acts on (``data/rules/respond/*.yml``), sorted."""
    return sorted(RESPOND_RULES_DIR.glob("*.yml"))


def rule_test_files() -> list[Path]:
    """The promtool unit-test files (``data/rules/tests/*_test.yml``), sorted."""
    return sorted(RULE_TESTS_DIR.glob("*_test.yml"))


def find_promtool() -> str | None:
    """Path of the ``promtool`` binary on PATH, or None (also when LABAPP_EMBEDDED=1)."""
    return find_binary("promtool")


def _promtool(binary: str | None) -> str:
    found = binary or find_promtool()
    if found is None:
        raise FileNotFoundError(_INSTALL_HINT)
    return found


def _run(args: list[str], cwd: Path, timeout_s: float) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=timeout_s, check=False)


def run_promtool_tests(
    paths: Sequence[str | Path] | None = None, *, promtool: str | None = None, timeout_s: float = 120.0
) -> subprocess.CompletedProcess[str]:
    """Run ``promtool test rules`` on ``paths`` (default: every test file); never raises on failure.

    Check ``returncode`` (0: all passed) and read ``stdout``/``stderr``. The
    working directory is the test files' common folder, so relative
    ``rule_files:`` entries resolve. Raises FileNotFoundError when promtool is missing.
    """
    binary = _promtool(promtool)
    files = [Path(p).resolve() for p in (rule_test_files() if paths is None else paths)]
    if not files:
        raise ValueError("no promtool test files given")
    cwd = Path(os.path.commonpath([f.parent for f in files]))
    return _run([binary, "test", "rules", *map(str, files)], cwd, timeout_s)


def check_rules(
    paths: Sequence[str | Path] | None = None, *, promtool: str | None = None, timeout_s: float = 60.0
) -> subprocess.CompletedProcess[str]:
    """Run ``promtool check rules`` on ``paths`` (default: every production and lab rule file).

    Returns the finished process (``returncode`` 0: all valid). Raises
    FileNotFoundError when promtool is missing.
    """
    binary = _promtool(promtool)
    files = [Path(p).resolve() for p in (rule_files() + lab_rule_files() if paths is None else paths)]
    if not files:
        raise ValueError("no rule files given")
    cwd = Path(os.path.commonpath([f.parent for f in files]))
    return _run([binary, "check", "rules", *map(str, files)], cwd, timeout_s)
