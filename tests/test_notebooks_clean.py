"""Notebooks are committed without outputs, with navigation, in the house shape."""

from __future__ import annotations

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
    for part in ("*Time:", "**Objectives**", "## Exercise", "In production", "## Recap", "## Solutions"):
        assert part in text, f"{path.name} lacks its {part!r} section"
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
def test_solutions_are_folded(path: Path) -> None:
    """A learner who scrolls to the recap must not read the answer by accident: solution
    cells are collapsed in JupyterLab (``jupyter.source_hidden``), and still run under nbval."""
    nb = nbformat.read(path, as_version=4)
    inside, unfolded, solutions = False, [], 0
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown" and cell.source.lstrip().startswith("#"):
            inside = cell.source.lstrip().startswith("## Solutions")
        elif inside and cell.cell_type == "code" and cell.source.strip() != "lab.stop()":
            solutions += 1
            if not cell.metadata.get("jupyter", {}).get("source_hidden"):
                unfolded.append(i)
    assert solutions, f"{path.name} has no solution cell under '## Solutions'"
    assert not unfolded, f"{path.name}: solution cells {unfolded} are not folded (metadata.jupyter.source_hidden)"
