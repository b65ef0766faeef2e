"""How long a notebook takes a learner: cells run for real, plus reading and exercise time.

    python tools/pace.py notebooks/04_error_rates_and_alerts.ipynb [...]

Runs the notebook once, top to bottom, in a fresh kernel (as a learner pressing
Shift-Enter would, without the pauses), times every cell, and adds the time a
learner spends reading what is on screen and trying each exercise. Prints one
row per section and the total, so a notebook's "*Time:*" line and the sections
an instructor may skip come from a measurement, not a guess. Given several
notebooks, it ends with a table of each one's wall time, kernel start included
(the README's "Notebook wall times").

The reading model (state it beside any number taken from here):
- prose: 150 words a minute (technical text, read to understand, not skimmed);
- visible code: 6 s a line (read before running it); folded cells are not read;
- each exercise: 6 min to think, write and re-run the checker once or twice.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbclient import NotebookClient

WORDS_PER_MINUTE = 150
SECONDS_PER_CODE_LINE = 6
EXERCISE_MINUTES = 6


@dataclass
class Section:
    """One '## ' section of a notebook and where its minutes go."""

    title: str
    run_s: float = 0.0
    read_s: float = 0.0
    exercises: int = 0
    cells: list[int] = field(default_factory=list)

    @property
    def total_min(self) -> float:
        return (self.run_s + self.read_s) / 60 + self.exercises * EXERCISE_MINUTES


def _hidden(cell: nbformat.NotebookNode) -> bool:
    return bool(cell.metadata.get("jupyter", {}).get("source_hidden"))


def reading_seconds(cell: nbformat.NotebookNode) -> float:
    """Seconds a learner spends reading a cell as it shows on screen."""
    if _hidden(cell) or "navigation" in cell.metadata.get("tags", []):
        return 0.0
    if cell.cell_type == "markdown":
        words = len(re.findall(r"\w+", cell.source))
        return words / WORDS_PER_MINUTE * 60
    lines = [line for line in cell.source.splitlines() if line.strip()]
    return len(lines) * SECONDS_PER_CODE_LINE


def run_timed(path: Path, timeout_s: int = 300) -> tuple[nbformat.NotebookNode, list[float], float]:
    """Execute the notebook once; return it, each cell's wall time and the whole run's, in seconds."""
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=timeout_s, resources={"metadata": {"path": str(path.parent)}})
    durations = [0.0] * len(nb.cells)
    began = time.perf_counter()
    with client.setup_kernel():
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            started = time.perf_counter()
            client.execute_cell(cell, index)
            durations[index] = time.perf_counter() - started
    return nb, durations, time.perf_counter() - began


def sections_of(nb: nbformat.NotebookNode, durations: list[float]) -> list[Section]:
    sections = [Section("(title and setup)")]
    for index, cell in enumerate(nb.cells):
        heading = cell.source.lstrip() if cell.cell_type == "markdown" else ""
        if heading.startswith("## "):
            sections.append(Section(heading.splitlines()[0][3:].strip()))
        section = sections[-1]
        section.cells.append(index)
        section.run_s += durations[index]
        section.read_s += reading_seconds(cell)
        if heading.startswith("### Exercise"):
            section.exercises += 1
    return sections


def report(path: Path) -> tuple[float, float]:
    """Print the notebook's sections; return its learner minutes and its wall seconds."""
    nb, durations, wall_s = run_timed(path)
    sections = sections_of(nb, durations)
    print(f"\n{path.name}")
    print(f"  {'section':<52} {'run s':>6} {'read s':>7} {'ex':>3} {'min':>5}")
    for s in sections:
        print(f"  {s.title[:52]:<52} {s.run_s:6.0f} {s.read_s:7.0f} {s.exercises:3d} {s.total_min:5.1f}")
    total = sum(s.total_min for s in sections)
    run = sum(s.run_s for s in sections) / 60
    read = sum(s.read_s for s in sections) / 60
    exercises = sum(s.exercises for s in sections)
    print(f"  total {total:.0f} min: running {run:.1f}, reading {read:.0f}, {exercises} exercises x {EXERCISE_MINUTES}")
    print(f"  wall time {wall_s:.0f} s (kernel start included)")
    return total, wall_s


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="+", type=Path)
    args = parser.parse_args(argv)
    for path in args.notebooks:
        if not path.is_file():
            parser.error(f"{path}: no such notebook; give paths like notebooks/04_error_rates_and_alerts.ipynb")
    walls = {path.stem: report(path)[1] for path in args.notebooks}
    if len(walls) > 1:
        print("\n| notebook | wall time, one run |\n|---|---|")
        for name, wall_s in walls.items():
            print(f"| `{name}` | {wall_s:.0f} s |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
