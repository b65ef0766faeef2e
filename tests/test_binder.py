"""What Binder would build, read from repo2docker's own Dockerfile (``--no-build --debug`` needs no Docker):
the Python of runtime.txt, the optional servers from apt.txt, the lab's requirements, then postBuild."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BINDER = ROOT / "binder"

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("repo2docker") is None, reason="jupyter-repo2docker is not installed (requirements-dev)"
)


@pytest.fixture(scope="module")
def dockerfile() -> str:
    command = [sys.executable, "-m", "repo2docker", "--no-build", "--debug", str(ROOT)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout + done.stderr  # the plan goes to stderr, the Dockerfile to stdout


def test_the_python_of_runtime_txt(dockerfile: str) -> None:
    version = BINDER.joinpath("runtime.txt").read_text().strip().removeprefix("python-")
    assert f"python={version}" in dockerfile
    assert version == f"{sys.version_info.major}.{sys.version_info.minor}", "Binder runs the Python the tests ran on"


def test_the_optional_servers_from_apt_txt(dockerfile: str) -> None:
    packages = BINDER.joinpath("apt.txt").read_text().split()
    assert set(packages) == {"prometheus", "prometheus-alertmanager", "redis-server"}
    install = re.search(r"apt-get install --yes --no-install-recommends ([^&\n]+)", dockerfile)
    assert install and set(install.group(1).split()) == set(packages), install


def test_the_lab_requirements_then_postbuild(dockerfile: str) -> None:
    lines = BINDER.joinpath("requirements.txt").read_text().splitlines()
    assert "-r ../requirements.txt" in lines  # which ends with "-e .": the lab's own package
    assert "-e ." in (ROOT / "requirements.txt").read_text().splitlines()
    pip = dockerfile.index('pip install --no-cache-dir -r "binder/requirements.txt"')
    post = dockerfile.index("RUN ./binder/postBuild")
    assert pip < post, "postBuild copies JupyterLab's settings after the install"
