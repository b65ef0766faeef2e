"""Notebook 08_rate_limiting without Prometheus, Alertmanager or Redis (see test_notebooks_embedded.py)."""

from __future__ import annotations

import pytest
from test_notebooks_embedded import run_embedded


@pytest.mark.timeout(300)
def test_notebook_08_runs_in_embedded_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    run_embedded("08_rate_limiting", monkeypatch)
