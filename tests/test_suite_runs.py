"""tools/suite_runs.py finds a flaky test: it runs a tiny suite twice and names the test that failed once."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[1] / "tools" / "suite_runs.py"

TINY = """
import logging
from pathlib import Path

import pytest

def test_steady():
    assert True

@pytest.mark.parametrize("label", ["with a space"])  # as nbval's "Cell 13": an id with spaces
def test_flaky(label):
    logging.getLogger("shop").error("a captured log line, not a test")
    marks = Path(__file__).with_name("runs.txt")
    marks.write_text(marks.read_text() + "x" if marks.exists() else "x")
    assert len(marks.read_text()) % 2 == 0, "fails on odd runs"
"""


def run(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, str(SCRIPT), *args]
    return subprocess.run(command, cwd=folder, capture_output=True, text=True, timeout=120, check=False)


def test_a_test_that_fails_in_one_run_of_two_is_named(tmp_path: Path) -> None:
    (tmp_path / "test_tiny.py").write_text(TINY)
    done = run(tmp_path, "--runs", "2", "--keep", str(tmp_path / "runs"), "--", "-p", "no:xdist")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "run 1: 1 passed, 1 failed" in done.stdout and "run 2: 2 passed, 0 failed" in done.stdout
    assert "test_tiny.py::test_flaky[with a space]: runs 1 (1 of 2); AssertionError: fails on odd runs" in done.stdout
    assert "test_steady" not in done.stdout.split("failed in some")[-1]
    assert "1 tests failed in some of 2 runs" in done.stdout  # the captured "ERROR    shop:..." line is no test
    first = (tmp_path / "runs" / "run1.log").read_text()  # the whole traceback, for the flaky one
    assert "def test_flaky" in first and "AssertionError: fails on odd runs" in first
    assert "1 failed" not in (tmp_path / "runs" / "run2.log").read_text()


def test_a_steady_suite_passes_and_bad_arguments_are_refused(tmp_path: Path) -> None:
    (tmp_path / "test_tiny.py").write_text("def test_steady():\n    assert True\n")
    done = run(tmp_path, "--runs", "2", "--", "-p", "no:xdist")
    assert done.returncode == 0 and "no failure in 2 runs" in done.stdout, done.stdout + done.stderr
    refused = run(tmp_path, "--runs", "0")
    assert refused.returncode == 2 and "--runs is from 1 to 20, got 0" in refused.stderr


def test_an_error_at_setup_is_named(tmp_path: Path) -> None:
    """A kernel that never answers errors every cell at setup: pytest lists those only with -rE."""
    (tmp_path / "test_cells.py").write_text(
        "import pytest\n\n@pytest.fixture\ndef kernel():\n"
        '    raise RuntimeError("Kernel didn\'t respond in 60 seconds")\n\n'
        "def test_cell(kernel):\n    pass\n"
    )
    done = run(tmp_path, "--runs", "1", "--", "-p", "no:xdist")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "run 1: 0 passed, 1 failed or in error" in done.stdout
    assert "test_cells.py::test_cell: runs 1 (1 of 1); RuntimeError: Kernel didn't respond in 60 seconds" in done.stdout
    assert "did not list" not in done.stdout
