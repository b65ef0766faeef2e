"""The README's lab command starts JupyterLab without its first-run pop-ups (news, update check)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from running_jupyterlab import jupyterlab

ROOT = Path(__file__).resolve().parents[1]
SETTING = "/lab/api/settings/@jupyterlab/apputils-extension:notification"


def test_the_readme_command_names_the_settings_folder() -> None:
    readme = (ROOT / "README.md").read_text()
    assert re.search(r"jupyter lab --LabApp\.app_settings_dir=jupyter notebooks/", readme)
    assert (ROOT / "jupyter" / "overrides.json").is_file()


@pytest.mark.timeout(90)
def test_jupyterlab_reads_the_overrides(tmp_path: Path) -> None:
    with jupyterlab(ROOT, tmp_path, "--LabApp.app_settings_dir=jupyter", "notebooks/") as lab:
        properties = lab.get(SETTING).json()["schema"]["properties"]
    assert properties["fetchNews"]["default"] == "false"
    assert properties["checkForUpdates"]["default"] is False
