"""Write the prev / contents / next cells of every numbered notebook, and index.ipynb.

Run after adding or renaming a notebook:  python tools/add_navigation.py
Navigation cells carry the tag "navigation"; never edit them by hand.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
TAG = "navigation"


def title_of(nb: nbformat.NotebookNode) -> str:
    for cell in nb.cells:
        if cell.cell_type == "markdown" and TAG not in cell.metadata.get("tags", []):
            match = re.search(r"^# (.+)$", cell.source, flags=re.M)
            if match:
                return match.group(1).strip()
    raise ValueError("a notebook must open with a '# title' markdown cell")


def time_of(nb: nbformat.NotebookNode) -> str:
    for cell in nb.cells:
        match = re.search(r"\*Time: ([^*]+)\*", cell.source)
        if match:
            return match.group(1)
    return ""


def nav_cell(prev: Path | None, nxt: Path | None) -> nbformat.NotebookNode:
    parts = [
        f"< [{prev.stem}]({prev.name})" if prev else "",
        "[Contents](index.ipynb)",
        "[Glossary](../docs/glossary.md)",
        f"[{nxt.stem}]({nxt.name}) >" if nxt else "",
    ]
    cell = nbformat.v4.new_markdown_cell(" | ".join(p for p in parts if p))
    cell.metadata["tags"] = [TAG]
    return cell


def main() -> None:
    paths = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
    rows = []
    for i, path in enumerate(paths):
        nb = nbformat.read(path, as_version=4)
        nb.cells = [c for c in nb.cells if TAG not in c.metadata.get("tags", [])]
        prev = paths[i - 1] if i else None
        nxt = paths[i + 1] if i + 1 < len(paths) else None
        top, bottom = nav_cell(prev, nxt), nav_cell(prev, nxt)
        top["id"], bottom["id"] = "nav-top", "nav-bottom"
        nb.cells = [top, *nb.cells, bottom]
        nbformat.write(nb, path)
        rows.append(f"| [{title_of(nb)}]({path.name}) | {time_of(nb)} |")
    index = nbformat.v4.new_notebook()
    index.metadata = {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}}
    intro = nbformat.v4.new_markdown_cell(
        "# Busy Service Lab: contents\n\n"
        "Take them in order: each notebook starts its own lab, and later ones build on earlier ideas.\n\n"
        "| notebook | time |\n|---|---|\n" + "\n".join(rows) + "\n\n"
        "Every term the notebooks set in bold is in the [glossary](../docs/glossary.md); "
        "[where to go next](../docs/next-steps.md) takes each pattern further."
    )
    intro["id"] = "contents"
    index.cells = [intro]
    nbformat.write(index, NOTEBOOKS / "index.ipynb")
    print(f"navigation written for {len(paths)} notebooks, and index.ipynb")


if __name__ == "__main__":
    main()
