"""Every PromQL expression a notebook or an exercise checker runs has a case in
data/rules/tests/notebook_queries_test.yml, which both engines must pass.

The queries are found by reading the code, not by running it: the first
argument of every ``.query(...)``, ``.query_range(...)`` and query checker
call, as a string literal, an f-string (its ``{...}`` parts match anything),
or a name assigned a string earlier in the same notebook or module.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest
import yaml

from labapp.alerts import RULE_TESTS_DIR

ROOT = Path(__file__).resolve().parents[2]
QUERY_FILE = RULE_TESTS_DIR / "notebook_queries_test.yml"
QUERY_CALLS = {"query", "query_range", "check_p99_query", "check_fast_burn_alert"}
WILDCARD = "\0"  # stands for an f-string's {...}


def _string_of(node: ast.expr, names: dict[str, str]) -> str | None:
    """The text a string expression builds, with WILDCARD for f-string parts; None if not a string."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(str(v.value) if isinstance(v, ast.Constant) else WILDCARD for v in node.values)
    if isinstance(node, ast.Name):
        return names.get(node.id)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _string_of(node.left, names), _string_of(node.right, names)
        return left + right if left is not None and right is not None else None
    return None


def queries_in(source: str) -> Iterator[str]:
    """The queries that ``source`` (a notebook's code, or a module) passes to a query call."""
    tree = compile(source, "<source>", "exec", flags=ast.PyCF_ONLY_AST | ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
    names: dict[str, str] = {}
    # Statements in order, so a name means what it was last assigned before the call.
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            text = _string_of(node.value, names)
            if text is not None:
                names[node.targets[0].id] = text
        if isinstance(node, ast.Call) and node.args:
            func = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if func in QUERY_CALLS:
                text = _string_of(node.args[0], names)
                if text is not None:
                    yield text


def _notebook_source(path: Path) -> str:
    cells = [c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"]
    # IPython magics and shell lines are not Python.
    return "\n".join(line for cell in cells for line in cell.splitlines() if not line.lstrip().startswith(("%", "!")))


def _sources() -> Iterator[tuple[str, str]]:
    for path in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        yield path.name, _notebook_source(path)
    for path in sorted((ROOT / "labapp" / "exercises").glob("*.py")):
        yield f"labapp/exercises/{path.name}", path.read_text()


def _compact(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _covered_by(query: str, exprs: list[str]) -> bool:
    pattern = ".+?".join(re.escape(part) for part in _compact(query).split(WILDCARD))
    return any(re.search(pattern, _compact(expr)) for expr in exprs)


def _tested_exprs() -> list[str]:
    document = yaml.safe_load(QUERY_FILE.read_text())
    return [str(case["expr"]) for group in document["tests"] for case in group.get("promql_expr_test", [])]


ALL_QUERIES = sorted({(where, q) for where, source in _sources() for q in queries_in(source)})


def test_the_notebooks_queries_are_found() -> None:
    where = {w for w, _ in ALL_QUERIES}
    assert {"02_prometheus.ipynb", "04_error_rates_and_alerts.ipynb", "09_circuit_breaker_and_retries.ipynb"} <= where
    assert len({q for _, q in ALL_QUERIES}) >= 8


@pytest.mark.parametrize(("where", "query"), ALL_QUERIES, ids=[f"{w}:{q[:50]}" for w, q in ALL_QUERIES])
def test_every_notebook_query_has_a_case_both_engines_pass(where: str, query: str) -> None:
    assert _covered_by(query, _tested_exprs()), (
        f"{where} runs {query.replace(WILDCARD, '{...}')!r}, which no case in {QUERY_FILE.name} covers: "
        "add a promql_expr_test case for it (it must pass promtool and python -m labapp test-rules)"
    )


def test_a_query_no_case_covers_is_caught() -> None:
    source = 'w.query_range("rate(shop_new_metric_total[5s])", start=0)\nq = f"sum(up[{n}s])"\nw.query(q)'
    found = list(queries_in(source))
    assert found == ["rate(shop_new_metric_total[5s])", f"sum(up[{WILDCARD}s])"]
    assert not _covered_by(found[0], _tested_exprs())
    assert _covered_by(f"sum(increase(shop_http_requests_total{{status=~\"5..\"}}[{WILDCARD}s]))", _tested_exprs())
