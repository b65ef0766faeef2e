"""The public surface is one sorted ``labapp.__all__`` (after httpx's test_exported_members)."""

from __future__ import annotations

import importlib
import inspect

import labapp


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
        "labapp.runner",
        "labapp.services",
        "labapp.shop",
        "labapp.telemetry",
    ):
        module = importlib.import_module(module_name)
        missing = [name for name in module.__all__ if not hasattr(module, name)]
        assert missing == [], module_name


def test_version() -> None:
    assert labapp.__version__ == "0.1.0"
