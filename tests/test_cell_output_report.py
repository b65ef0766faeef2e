"""A failed notebook cell shows what it printed: a checker's verdict is in the report, not only the traceback."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT_CONFTEST = Path(__file__).resolve().parents[1] / "conftest.py"

SHIM = f"""
import importlib.util

spec = importlib.util.spec_from_file_location("lab_root_conftest", {str(ROOT_CONFTEST)!r})
root = importlib.util.module_from_spec(spec)
spec.loader.exec_module(root)
pytest_runtest_makereport = root.pytest_runtest_makereport
"""


def _notebook(*sources: str) -> str:
    cells: list[dict[str, object]] = [
        {"cell_type": "code", "execution_count": None, "id": f"c{i}", "metadata": {}, "outputs": [], "source": s}
        for i, s in enumerate(sources)
    ]
    kernel = {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}}
    return json.dumps({"cells": cells, "metadata": kernel, "nbformat": 4, "nbformat_minor": 5})


def test_a_failed_cell_shows_what_it_printed(tmp_path: Path) -> None:
    (tmp_path / "conftest.py").write_text(SHIM)
    (tmp_path / "checked.ipynb").write_text(
        _notebook(
            "print('fine')",
            "def check():\n    print('✗ 3 of 16 checkouts gave up: retry longer')\n    return False\n\nassert check()",
        )
    )
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "--nbval", "-p", "no:xdist", "-p", "no:cacheprovider", "checked.ipynb"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Captured cell output" in done.stdout and "✗ 3 of 16 checkouts gave up" in done.stdout, done.stdout
    assert done.stdout.count("Captured cell output") == 1  # the passing cell adds nothing
