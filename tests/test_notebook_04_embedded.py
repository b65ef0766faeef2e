"""Notebook 04_error_rates_and_alerts without Prometheus, Alertmanager or Redis (see test_notebooks_embedded.py)."""

from __future__ import annotations

import pytest
from test_notebooks_embedded import run_embedded


@pytest.mark.timeout(300)
def test_notebook_04_runs_in_embedded_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    run_embedded("04_error_rates_and_alerts", monkeypatch)
