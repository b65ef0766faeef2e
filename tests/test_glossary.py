"""The glossary and the notebooks in step: every bold term has its one line, each line points at a
notebook that uses the term, and every notebook links to the glossary.

Bold in a notebook means "a term": emphasis is *italic*. Exempt are the fixed headings (Objectives,
Question 1., ...) and the labels of list items (``- **Cooldown**: ...``)."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
GLOSSARY = ROOT / "docs" / "glossary.md"
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
HEADINGS = {"objectives", "prerequisites", "questions", "solution", "in production", "how exercises work"}
ENTRY = re.compile(r"^- \*\*(?P<term>[^*]+)\*\*: (?P<text>.+) \[(?P<nb>\d\d)\]\((?P<link>[^)]+)\)$")
BOLD = re.compile(r"\*\*([^*]+?)\*\*")
LABEL = re.compile(r"^\s*(?:[-*]|\d+\.|>\s*-)\s+\*\*([^*]+?)\*\*", re.M)  # a list item's opening bold


def normal(term: str) -> str:
    return term.strip().strip(".:").replace("`", "").lower()


def entries() -> dict[str, re.Match[str]]:
    lines = [line for line in GLOSSARY.read_text().splitlines() if line.startswith("- ")]
    found = {}
    for line in lines:
        match = ENTRY.match(line)
        assert match, f"not a glossary line (- **Term**: one line. [NN](../notebooks/NN_x.ipynb)): {line}"
        found[normal(match["term"])] = match
    return found


def markdown_of(path: Path) -> str:
    nb = nbformat.read(path, as_version=4)
    return "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")


def test_entries_are_one_line_each_sorted_and_unique() -> None:
    lines = [line for line in GLOSSARY.read_text().splitlines() if line.startswith("- ")]
    terms = [ENTRY.match(line)["term"] for line in lines if ENTRY.match(line)]  # type: ignore[index]
    assert len(terms) == len(lines) == len({normal(t) for t in terms}) > 50
    assert terms == sorted(terms, key=str.lower)


@pytest.mark.parametrize("term", sorted(entries()))
def test_each_entry_points_at_a_notebook_that_uses_the_term(term: str) -> None:
    match = entries()[term]
    target = (GLOSSARY.parent / match["link"]).resolve()
    assert target.exists() and target.name.startswith(match["nb"] + "_"), match["link"]
    assert term in normal(markdown_of(target)), f"{target.name} never says {term!r}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_bold_term_of_a_notebook_is_in_the_glossary(path: Path) -> None:
    text = markdown_of(path)
    labels = {normal(m) for m in LABEL.findall(text)}
    terms = {normal(m) for m in BOLD.findall(text)} - labels - HEADINGS
    terms = {t for t in terms if not re.fullmatch(r"question \d+", t)}
    missing = sorted(terms - set(entries()))
    assert not missing, f"bold in {path.name} but not in docs/glossary.md (a term? add it; emphasis? use *italic*)"


@pytest.mark.parametrize("path", [*NOTEBOOKS, ROOT / "notebooks" / "index.ipynb"], ids=lambda p: p.stem)
def test_every_notebook_links_to_the_glossary(path: Path) -> None:
    assert "](../docs/glossary.md)" in markdown_of(path)


def test_a_bold_word_that_is_no_term_is_caught() -> None:
    text = "A **Counter** goes up. This is **really** important.\n- **Cooldown**: a label."
    labels = {normal(m) for m in LABEL.findall(text)}
    assert {normal(m) for m in BOLD.findall(text)} - labels - set(entries()) == {"really"}
