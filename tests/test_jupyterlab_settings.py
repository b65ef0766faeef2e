"""JupyterLab starts without its first-run pop-ups (news, update check): by the README's command locally, and
by binder/postBuild on Binder, where repo2docker starts JupyterLab with no options of ours."""

from __future__ import annotations

import os
import re
import subprocess
import sys
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


@pytest.mark.timeout(90)
def test_binder_postbuild_installs_the_overrides_where_jupyterlab_reads_them(tmp_path: Path) -> None:
    # A copy of this environment's JupyterLab application folder, as Binder's image has one of its own.
    app_dir = tmp_path / "app"
    real = Path(sys.prefix) / "share" / "jupyter" / "lab"
    for part in ("schemas", "static", "themes"):
        (app_dir / part).parent.mkdir(parents=True, exist_ok=True)
        (app_dir / part).symlink_to(real / part)
    env = {"JUPYTERLAB_DIR": str(app_dir), "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    done = subprocess.run(["bash", "binder/postBuild"], cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert (app_dir / "settings" / "overrides.json").read_text() == (ROOT / "jupyter" / "overrides.json").read_text()
    with jupyterlab(ROOT, tmp_path / "runtime", "notebooks/", env=env) as lab:  # no settings option: as on Binder
        properties = lab.get(SETTING).json()["schema"]["properties"]
    assert properties["fetchNews"]["default"] == "false"
    assert properties["checkForUpdates"]["default"] is False
