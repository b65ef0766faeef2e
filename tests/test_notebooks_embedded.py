"""The notebooks that use Prometheus, Alertmanager or Redis also run without them.

CI installs all three, so nbval tests the real path; this runs the same notebooks
once with LABAPP_EMBEDDED=1, the way a learner without the binaries runs them.
One file per notebook (this one for 02; test_notebook_04_embedded.py and
test_notebook_08_embedded.py call run_embedded): pytest-xdist hands out whole
files, so three 20-50 s notebooks no longer queue behind each other on one worker.
"""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
import pytest
from kernels import AsyncIpcKernelManager
from nbclient import NotebookClient

from labapp.observe.process import EMBEDDED_ENV

NOTEBOOK_DIR = Path(__file__).parent.parent / "notebooks"


def run_embedded(stem: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run notebook ``stem`` top to bottom with LABAPP_EMBEDDED=1; it must say it is in embedded mode."""
    monkeypatch.setenv(EMBEDDED_ENV, "1")  # the kernel inherits this process' environment
    nb = nbformat.read(NOTEBOOK_DIR / f"{stem}.ipynb", as_version=4)
    client = NotebookClient(
        nb,
        timeout=180,
        kernel_name="python3",
        kernel_manager_class=AsyncIpcKernelManager,
        resources={"metadata": {"path": str(NOTEBOOK_DIR)}},
    )
    client.execute()  # raises CellExecutionError on any error
    printed = "".join(
        output.get("text", "") for cell in nb.cells if cell.cell_type == "code" for output in cell.get("outputs", [])
    )
    assert "mode: embedded" in printed
    assert "mode: real" not in printed
    assert os.environ[EMBEDDED_ENV] == "1"


# A whole notebook in one test (20-50 s here; longer on a busy machine), so more than the
# suite's 120 s per test; a stuck cell still fails on NotebookClient's 180 s cell timeout.
@pytest.mark.timeout(300)
def test_notebook_02_runs_in_embedded_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    run_embedded("02_prometheus", monkeypatch)
