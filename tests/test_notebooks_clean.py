"""Notebooks are committed without outputs, with navigation, in the house shape."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

NOTEBOOK_DIR = Path(__file__).parent.parent / "notebooks"
NUMBERED = sorted(NOTEBOOK_DIR.glob("[0-9][0-9]_*.ipynb"))


@pytest.mark.parametrize("path", sorted(NOTEBOOK_DIR.glob("*.ipynb")), ids=lambda p: p.stem)
def test_notebook_has_no_outputs(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    dirty = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and (c.outputs or c.execution_count)]
    assert not dirty, f"{path.name}: cells {dirty} carry outputs; clear them before committing"


@pytest.mark.parametrize("path", NUMBERED, ids=lambda p: p.stem)
def test_notebook_shape(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    for part in ("*Time:", "**Objectives**", "### Exercise", "In production", "## Recap"):
        assert part in text, f"{path.name} lacks its {part!r} section"
    assert "## Solutions" not in text, f"{path.name}: solutions sit under their exercises, not at the end"
    assert nb.cells[0].metadata.get("tags") == ["navigation"], "run tools/add_navigation.py"
    last_code = [c for c in nb.cells if c.cell_type == "code"][-1]
    assert last_code.source.strip() == "lab.stop()", f"{path.name} must end by stopping its lab"
    long_cells = [
        c.source.splitlines()[0]
        for c in nb.cells
        if c.cell_type == "code" and len(c.source.splitlines()) > 12 and not _is_setup(c.source)
    ]
    assert not long_cells, f"{path.name}: code cells over 12 lines: {long_cells}"


def _is_setup(source: str) -> bool:
    """A setup cell holds only imports and version checks; it may be long."""
    lines = [line for line in source.splitlines() if line.strip()]
    return all(line.startswith(("import ", "from ", "assert ", "print(")) for line in lines)


@pytest.mark.parametrize("path", NUMBERED, ids=lambda p: p.stem)
def test_exercises_have_folded_solutions_below(path: Path) -> None:
    """2-4 exercises, each where its idea is taught: a task, the learner's cell calling a
    checker, then a visible "**Solution**" line and folded solution cells (``jupyter.source_hidden``,
    tag ``solution``) that nbval still runs and that assert the checker passes."""
    nb = nbformat.read(path, as_version=4)
    exercises = [_exercise(nb.cells, i) for i, c in enumerate(nb.cells) if _heading(c).startswith("### Exercise")]
    assert 2 <= len(exercises) <= 4, f"{path.name} has {len(exercises)} exercises; 2-4 expected"
    for title, block in exercises:
        learner = [c for c in block if c.cell_type == "code" and not _hidden(c)]
        solutions = [c for c in block if "solution" in c.metadata.get("tags", [])]
        assert any("check_" in c.source for c in learner), f"{path.name} {title!r}: no learner cell calls a checker"
        cue = [i for i, c in enumerate(block) if c.cell_type == "markdown" and c.source.startswith("**Solution**")]
        assert cue, f"{path.name} {title!r}: no visible '**Solution**' line before the folded solution"
        assert solutions and all(_hidden(c) for c in solutions), f"{path.name} {title!r}: solution not folded"
        assert block.index(solutions[0]) > cue[0] > block.index(learner[0]), f"{path.name} {title!r}: order"
        code = "\n".join(c.source for c in solutions if c.cell_type == "code")
        assert re.search(r"assert\s+check_", code), f"{path.name} {title!r}: the solution must assert its checker"
    stray = [
        i for i, c in enumerate(nb.cells) if _hidden(c) and not {"solution", "answer"} & set(c.metadata.get("tags", []))
    ]
    assert not stray, f"{path.name}: folded cells {stray} are neither a solution nor an answer"


@pytest.mark.parametrize("path", NUMBERED, ids=lambda p: p.stem)
def test_recap_questions_have_folded_answers(path: Path) -> None:
    """Each recap question is its own cell ("**Question 1.** ..."), its answer folded right under it."""
    nb = nbformat.read(path, as_version=4)
    cells = nb.cells
    questions = [
        i for i, c in enumerate(cells) if c.cell_type == "markdown" and re.match(r"\*\*Question \d+\.\*\*", c.source)
    ]
    assert questions, f"{path.name}: no recap questions ('**Question 1.** ...' cells)"
    for i in questions:
        answer = cells[i + 1]
        assert "answer" in answer.metadata.get("tags", []) and _hidden(answer), (
            f"{path.name}: the cell after question cell {i} is not its folded answer (tag 'answer', source_hidden)"
        )
    answers = [i for i, c in enumerate(cells) if "answer" in c.metadata.get("tags", [])]
    assert answers == [i + 1 for i in questions], f"{path.name}: answers {answers} do not follow questions {questions}"


def _heading(cell: nbformat.NotebookNode) -> str:
    return cell.source.lstrip() if cell.cell_type == "markdown" and cell.source.lstrip().startswith("#") else ""


def _hidden(cell: nbformat.NotebookNode) -> bool:
    return bool(cell.metadata.get("jupyter", {}).get("source_hidden"))


def _exercise(cells: list[nbformat.NotebookNode], start: int) -> tuple[str, list[nbformat.NotebookNode]]:
    """An exercise runs from its heading to the next heading of any level."""
    end = next((j for j in range(start + 1, len(cells)) if _heading(cells[j])), len(cells))
    return cells[start].source.splitlines()[0], cells[start:end]
