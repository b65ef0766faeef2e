"""A newcomer's first benchmark run installs what it needs: every package a benchmark imports is named in
requirements.txt or benchmarks/requirements.txt (an earlier run failed on prometheus-fastapi-instrumentator)."""

from __future__ import annotations

import ast
import re
import sys
from importlib.metadata import PackageNotFoundError, packages_distributions, requires
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCHMARKS = ROOT / "benchmarks"


def _names(requirements: Path) -> set[str]:
    names = set()
    for line in requirements.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line and not line.startswith("-"):
            names.add(_normal(re.split(r"[<>=!~;\[ ]", line, maxsplit=1)[0]))
    return names


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _with_their_dependencies(names: set[str]) -> set[str]:
    """``names`` and what each requires directly (starlette comes with fastapi), where installed."""
    found = set(names)
    for name in names:
        try:
            found |= {_normal(re.split(r"[<>=!~;\[ (]", r, maxsplit=1)[0]) for r in requires(name) or []}
        except PackageNotFoundError:
            pass
    return found


def _imported(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module.split(".")[0])
    return found


def test_every_package_a_benchmark_imports_is_required() -> None:
    local = {p.stem for p in BENCHMARKS.glob("*.py")} | {"labapp"}
    required = _with_their_dependencies(_names(ROOT / "requirements.txt") | _names(BENCHMARKS / "requirements.txt"))
    distributions = packages_distributions()
    missing = {}
    for path in sorted(BENCHMARKS.glob("*.py")):
        for module in sorted(_imported(path) - local - set(sys.stdlib_module_names)):
            # An installed module maps to its distributions; one not installed must be named as it is imported.
            names = {_normal(d) for d in distributions.get(module, [module])}
            if not names & required:
                missing[f"{path.name}: import {module}"] = sorted(names)
    assert not missing, f"add to benchmarks/requirements.txt: {missing}"


def test_the_readme_starts_with_the_install_command() -> None:
    opening = (BENCHMARKS / "README.md").read_text()[:400]
    assert "pip install -r benchmarks/requirements.txt" in opening and "wrk" in opening
