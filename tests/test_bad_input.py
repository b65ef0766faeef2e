"""Every public lab function refuses a wrong number, naming the argument: a sweep, not a list kept by hand.

Every callable in ``labapp.__all__`` and every public method of a running ``Lab``
is read with ``inspect``; each parameter annotated as a number (int or float)
gets a word ("fast") and a negative number (-1). Both must be refused at once
with a ValueError or TypeError whose message names the parameter. A new public
function or parameter is swept without anyone adding it here.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from typing import Any

import pytest

import labapp
from labapp import Lab

NUMERIC = {"int", "float", "int | None", "float | None"}
# What a call needs besides the argument under test (valid values).
REQUIRED: dict[str, dict[str, Any]] = {
    "Target": {"method": "GET", "path": "/products/{id}"},
    "get": {"path": "/products/{id}"},
    "error_rate": {"fraction": 0.1},
    "latency": {"seconds": 0.1},
    "PrometheusServer": {"targets": {"shop": "127.0.0.1:9"}},
    "Scraper": {"targets": {"shop": "http://127.0.0.1:9"}},
    "ServerThread": {"app": lambda scope, receive, send: None, "name": "swept"},
    # Short, so that a bad argument that gets through shows up as "accepted", not as a hang.
    "lab.load": {"rate": 5, "duration_s": 0.2},
    "lab.start_load": {"rate": 5, "duration_s": 0.2},
    "lab.load_closed": {"users": 1, "duration_s": 0.2},
}
# Records the lab hands back, not functions a learner calls with numbers of their choosing.
RECORDS = {"FaultWindow", "LoadResult"}
# Parameters where a negative number is a fine answer.
NEGATIVE_OK: set[tuple[str, str]] = set()


def _annotation(parameter: inspect.Parameter) -> str:
    annotation = parameter.annotation
    return annotation if isinstance(annotation, str) else getattr(annotation, "__name__", str(annotation))


def _callables(lab: Lab) -> Iterator[tuple[str, Callable[..., Any]]]:
    for name in labapp.__all__:
        obj = getattr(labapp, name)
        if callable(obj) and name not in RECORDS:
            yield name, obj
    for name, _ in inspect.getmembers(Lab, inspect.isfunction):
        if not name.startswith("_"):
            yield f"lab.{name}", getattr(lab, name)


def _cases() -> list[tuple[str, str, object]]:
    lab = Lab()  # not started: only its signatures are read here
    cases: list[tuple[str, str, object]] = []
    for label, function in _callables(lab):
        for name, parameter in inspect.signature(function).parameters.items():
            if _annotation(parameter) in NUMERIC:
                cases.append((label, name, "fast"))
                if (label, name) not in NEGATIVE_OK:
                    cases.append((label, name, -1))
    return cases


CASES = _cases()


def test_the_sweep_finds_the_public_numbers() -> None:
    swept = {(label, name) for label, name, _ in CASES}
    assert len(swept) >= 40, sorted(swept)
    for expected in [("lab.load", "duration_s"), ("lab.watch", "interval_s"), ("Fault", "error_status")]:
        assert expected in swept


@pytest.fixture(scope="module")
def swept_lab() -> Iterator[Lab]:
    with Lab() as lab:
        yield lab


@pytest.mark.parametrize(("label", "name", "bad"), CASES, ids=[f"{c[0]}-{c[1]}-{c[2]}" for c in CASES])
def test_a_wrong_number_is_refused_by_name(swept_lab: Lab, label: str, name: str, bad: object) -> None:
    function = dict(_callables(swept_lab))[label]
    arguments = {**REQUIRED.get(label, {}), name: bad}
    try:
        result = function(**arguments)
    except (TypeError, ValueError) as error:
        assert name in str(error), f"{label}({name}={bad!r}) raised without naming {name}: {error}"
        return
    _undo(result)
    pytest.fail(f"{label}({name}={bad!r}) was accepted: {result!r}"[:300])


def _undo(result: object) -> None:
    """Stop whatever an accepted call started, so the next case starts clean."""
    stop = getattr(result, "stop", None)
    if callable(stop):
        stop()
