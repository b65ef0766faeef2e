"""JupyterLab in a real browser: notebook 00 run through the UI, and the live dashboard changing on screen.

nbval checks what the kernel computes; this checks what a learner sees. It
starts JupyterLab on loopback with a token, drives Debian's chromium with
playwright (never playwright's own browser download, which cannot be fetched
here or in CI), runs every cell with JupyterLab's own "run all" command, waits
for the kernel to go idle, and reads the page. Screenshots at a projector's
1280×720 go to test-artifacts/.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import running_jupyterlab

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

pytestmark = [
    pytest.mark.skipif(CHROMIUM is None, reason="no chromium on PATH (Debian/Ubuntu: apt-get install chromium)"),
    pytest.mark.timeout(180),
]
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install playwright)")

DASHBOARD_NOTEBOOK = {
    "cells": [
        {"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [], "source": source}
        for source in (
            "from labapp import Lab\nlab = Lab().start()\ndash = lab.dashboard(interval_s=0.5)\ndash",
            "dash.start()\nrun = lab.start_load(rate=30, duration_s=20)",
        )
    ],
    "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
    "nbformat": 4,
    "nbformat_minor": 5,
}


@pytest.fixture(scope="module")
def jupyterlab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """JupyterLab serving a copy of notebook 00 and a dashboard notebook; yields its base URL with the token."""
    folder = tmp_path_factory.mktemp("lab")
    shutil.copy(ROOT / "notebooks" / "00_start_here.ipynb", folder)
    (folder / "dashboard.ipynb").write_text(json.dumps(DASHBOARD_NOTEBOOK))
    runtime = tmp_path_factory.mktemp("runtime")
    # The lab's settings, plus every cell in the page (JupyterLab 4 only renders the cells on
    # screen by default), so the test can read every output and image.
    settings = json.loads((ROOT / "jupyter" / "overrides.json").read_text())
    settings["@jupyterlab/notebook-extension:tracker"] = {"windowingMode": "none"}
    (runtime / "settings").mkdir()
    (runtime / "settings" / "overrides.json").write_text(json.dumps(settings))
    options = [f"--ServerApp.root_dir={folder}", f"--LabApp.app_settings_dir={runtime / 'settings'}"]
    with running_jupyterlab.jupyterlab(folder, runtime, *options, "--LabApp.expose_app_in_browser=True") as lab:
        yield f"{lab.base}|{lab.token}"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_api.sync_playwright() as playwright:
        args = ["--no-sandbox"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []
        launched = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=args)
        yield launched
        launched.close()


def _open(browser: Browser, jupyterlab: str, notebook: str) -> Page:
    base, token = jupyterlab.split("|")
    page = browser.new_page(viewport={"width": 1280, "height": 720})
    # A workspace of its own, reset: nothing restored from another test's page.
    workspace = Path(notebook).stem.replace("_", "-")
    page.goto(f"{base}/lab/workspaces/{workspace}/tree/{notebook}?token={token}&reset")
    page.wait_for_function("() => window.jupyterapp && document.querySelector('.jp-Notebook .jp-Cell')", timeout=60_000)
    # The kernel is ready when the toolbar's status says idle.
    page.wait_for_function(
        "() => window.jupyterapp.shell.currentWidget?.sessionContext?.session?.kernel?.status === 'idle'",
        timeout=60_000,
    )
    return page


def _run_all_and_wait(page: Page, timeout_s: float) -> None:
    # The command's promise resolves only when every cell has run: fire it, then poll the prompts.
    page.evaluate("() => { window.jupyterapp.commands.execute('notebook:run-all-cells'); }")
    page.wait_for_function(
        """() => {
            const panel = window.jupyterapp.shell.currentWidget;
            const cells = [...panel.content.model.cells].filter(c => c.type === 'code');
            const kernel = panel.sessionContext?.session?.kernel?.status;
            return cells.length > 0 && cells.every(c => c.executionCount !== null) && kernel === 'idle';
        }""",
        timeout=timeout_s * 1000,
        polling=500,
    )


def test_notebook_00_runs_in_jupyterlab_without_errors_and_draws_its_figures(browser: Browser, jupyterlab: str) -> None:
    page = _open(browser, jupyterlab, "00_start_here.ipynb")
    _run_all_and_wait(page, timeout_s=150)
    errors = page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.error']")
    stderr = page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
    assert errors.count() == 0, errors.first.inner_text()[:500]
    assert stderr.count() == 0, stderr.first.inner_text()[:500]
    images = page.locator(".jp-RenderedImage img")
    assert images.count() >= 3
    widths = images.evaluate_all("imgs => imgs.map(img => img.naturalWidth)")
    assert all(width > 100 for width in widths), widths  # each figure really rendered
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "00_start_here-top.png"))
    images.first.scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "00_start_here-first-figure.png"))


def test_the_live_dashboard_changes_on_screen_while_traffic_runs(browser: Browser, jupyterlab: str) -> None:
    page = _open(browser, jupyterlab, "dashboard.ipynb")
    _run_all_and_wait(page, timeout_s=60)
    numbers = page.locator(".widget-html-content")
    numbers.filter(has_text="req/s").first.wait_for(timeout=15_000)
    first = numbers.filter(has_text="req/s").first.inner_text()
    deadline = time.monotonic() + 10
    second = first
    while second == first and time.monotonic() < deadline:
        time.sleep(0.5)
        second = numbers.filter(has_text="req/s").first.inner_text()
    assert second != first, f"the dashboard did not change in 10 s: {first!r}"
    chart = page.locator(".widget-image")
    assert chart.count() == 1
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "dashboard.png"))
    kernel = "window.jupyterapp.shell.currentWidget.sessionContext.session.kernel"
    page.evaluate(f"() => {kernel}.requestExecute({{code: 'run.cancel(); lab.stop()'}}).done")
