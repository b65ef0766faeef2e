"""The public surface: sorted, complete ``__all__`` lists (after httpx's test_exported_members).

The top level, and every module a notebook imports from: a name a learner
types must be listed, and a listed name must import.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import re
from pathlib import Path
from types import ModuleType

import nbformat
import pytest

import labapp

NOTEBOOKS = Path(__file__).parent.parent / "notebooks"
_IMPORT = re.compile(r"^\s*(?:from\s+(labapp[\w.]*)\s+import|import\s+(labapp[\w.]*))", re.MULTILINE)


def _notebook_modules() -> list[str]:
    """Every ``labapp`` module a notebook's code imports from, and the subpackages it reaches as attributes."""
    found: set[str] = set()
    for path in sorted(NOTEBOOKS.glob("*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            if cell.cell_type == "code":
                found.update(a or b for a, b in _IMPORT.findall(cell.source))
    found.add("labapp.plots")  # `from labapp import plots`, then plots.plot_*()
    return sorted(found)


NOTEBOOK_MODULES = _notebook_modules()


# Not sorted yet, in files being changed by others: drop the mark when each is sorted.
def _own_names(module: ModuleType) -> set[str]:
    """The public names a module defines at top level, plus, for a package, those it
    re-exports from its own submodules (``from .x import name``). Names imported for
    its own use from elsewhere (``from ..lab import Lab``, ``from fastapi import ...``)
    are not its API."""
    source = inspect.getsource(module)
    names: set[str] = set()
    for node in ast.parse(source).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
        elif isinstance(node, ast.ImportFrom) and node.level == 1 and hasattr(module, "__path__"):
            for alias in node.names:
                if alias.name == "*":  # a star import re-exports the submodule's own __all__
                    names.update(importlib.import_module(f"{module.__name__}.{node.module}").__all__)
                else:
                    names.add(alias.asname or alias.name)
    return {n for n in names if not n.startswith("_") and not inspect.ismodule(getattr(module, n, None))}


# -- the top level ---------------------------------------------------------------------


def test_all_is_sorted() -> None:
    assert labapp.__all__ == sorted(labapp.__all__)


def test_all_names_are_unique_and_importable() -> None:
    assert len(set(labapp.__all__)) == len(labapp.__all__)
    for name in labapp.__all__:
        namespace: dict[str, object] = {}
        exec(f"from labapp import {name}", namespace)  # noqa: S102
        assert namespace[name] is getattr(labapp, name)


def test_all_lists_every_public_name() -> None:
    # Public, non-module attributes of the package; submodules (labapp.lab, ...) are reachable as such.
    public = {name for name, value in vars(labapp).items() if not name.startswith("_") and not inspect.ismodule(value)}
    assert public == set(labapp.__all__)


def test_version() -> None:
    assert labapp.__version__ == "0.1.0"


# -- every module a notebook imports from ----------------------------------------------------


def test_the_notebooks_import_from_these_modules() -> None:
    # A guard on the scan itself: if it found nothing, the tests below would pass vacuously.
    assert {"labapp", "labapp.load", "labapp.plots", "labapp.tracing"} <= set(NOTEBOOK_MODULES)


@pytest.mark.parametrize("module_name", NOTEBOOK_MODULES)
def test_notebook_module_all_is_sorted(module_name: str) -> None:
    names = importlib.import_module(module_name).__all__
    assert names == sorted(names)


@pytest.mark.parametrize("module_name", NOTEBOOK_MODULES)
def test_notebook_module_all_names_are_unique_and_importable(module_name: str) -> None:
    module = importlib.import_module(module_name)
    assert len(set(module.__all__)) == len(module.__all__)
    for name in module.__all__:
        namespace: dict[str, object] = {}
        exec(f"from {module_name} import {name}", namespace)  # noqa: S102
        assert namespace[name] is getattr(module, name)


@pytest.mark.parametrize("module_name", NOTEBOOK_MODULES)
def test_notebook_module_all_lists_every_name_it_defines(module_name: str) -> None:
    module = importlib.import_module(module_name)
    assert sorted(_own_names(module) - set(module.__all__)) == []


def test_subpackage_all_names_exist() -> None:
    for module_name in (
        "labapp.analysis",
        "labapp.config",
        "labapp.exercises",
        "labapp.faults",
        "labapp.lab",
        "labapp.load",
        "labapp.observe",
        "labapp.plots",
        "labapp.ratelimit",
        "labapp.respond",
        "labapp.runner",
        "labapp.services",
        "labapp.shop",
        "labapp.telemetry",
        "labapp.types",
    ):
        module = importlib.import_module(module_name)
        missing = [name for name in module.__all__ if not hasattr(module, name)]
        assert missing == [], module_name


def test_the_exercises_package_offers_every_checker_its_modules_offer() -> None:
    package = importlib.import_module("labapp.exercises")
    modules = sorted(p.stem for p in Path(str(package.__file__)).parent.glob("nb[0-9][0-9].py"))
    offered = {name for m in modules for name in importlib.import_module(f"labapp.exercises.{m}").__all__}
    assert len(modules) >= 12
    assert set(package.__all__) == offered
