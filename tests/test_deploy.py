"""deploy/: the hub admins' configs say the same thing, name real paths, and stay in step with the README.

Zero to JupyterHub's own schema is not on this machine at test time (it ships with the Helm chart); the
values were checked against chart 4.4.0's values.schema.yaml once (deploy/README.md). Here: what we own.
"""

from __future__ import annotations

import re
import shlex
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
VALUES = yaml.safe_load((DEPLOY / "z2jh" / "values.yaml").read_text())
SETUP = (DEPLOY / "tljh" / "setup.sh").read_text()
GUIDE = (DEPLOY / "README.md").read_text()


def tljh_settings() -> dict[str, str]:
    """Every `tljh-config set KEY VALUE` in setup.sh."""
    found = re.findall(r"^sudo tljh-config set (\S+) (\S+)$", SETUP, flags=re.MULTILINE)
    return dict(found)


def gib(size: str) -> float:
    """JupyterHub's byte sizes: K, M, G, T are powers of 1024."""
    number, unit = re.fullmatch(r"([\d.]+)([KMGT])", size).groups()  # type: ignore[union-attr]
    return float(number) * 1024 ** "KMGT".index(unit) / 1024**2


def test_both_hubs_set_the_same_limits() -> None:
    single = VALUES["singleuser"]
    tljh = tljh_settings()
    assert tljh["limits.memory"] == single["memory"]["limit"]
    assert float(tljh["limits.cpu"]) == single["cpu"]["limit"]
    assert int(tljh["services.cull.timeout"]) == VALUES["cull"]["timeout"]
    assert tljh["user_environment.default_app"] == "jupyterlab"


def test_guarantees_cover_the_measured_peak_and_sit_below_the_limits() -> None:
    single = VALUES["singleuser"]
    # The busiest notebook's peak per learner, as deploy/README.md reports it (the top of its range).
    peak_mib = max(int(n) for n in re.search(r"\| (\d+)-(\d+) MiB \|\n", GUIDE).groups())  # type: ignore[union-attr]
    assert gib(single["memory"]["guarantee"]) * 1024 >= peak_mib
    assert gib(single["memory"]["guarantee"]) < gib(single["memory"]["limit"])
    assert 0 < single["cpu"]["guarantee"] < single["cpu"]["limit"]
    assert f"CPU guarantee {single['cpu']['guarantee']}" in GUIDE
    assert f"Memory guarantee {single['memory']['guarantee']}" in GUIDE


def test_the_image_path_and_the_copied_folders_exist() -> None:
    single = VALUES["singleuser"]
    hook = " ".join(single["lifecycleHooks"]["postStart"]["exec"]["command"])
    copied = re.findall(r"/srv/lab/(\w+)", hook)
    assert copied and all((ROOT / name).is_dir() for name in copied)
    assert "--target-repo-dir /srv/lab" in GUIDE
    first = single["defaultUrl"].removeprefix("/lab/tree/")
    assert (ROOT / first).is_file(), single["defaultUrl"]
    assert re.findall(r'"\$LAB/(\w+)"', SETUP) and all((ROOT / n).is_dir() for n in re.findall(r'"\$LAB/(\w+)"', SETUP))


def test_the_apt_packages_are_binders() -> None:
    apt = re.search(r"apt-get install -y (.+)", SETUP).group(1)  # type: ignore[union-attr]
    assert sorted(shlex.split(apt)) == sorted((ROOT / "binder" / "apt.txt").read_text().split())


def test_setup_script_is_valid_bash() -> None:
    done = subprocess.run(["bash", "-n", str(DEPLOY / "tljh" / "setup.sh")], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("vcpu,mem_gib,expected", [(4, 16, 7), (8, 32, 15), (16, 32, 31)])
def test_the_learners_per_node_table_follows_its_formula(vcpu: int, mem_gib: int, expected: int) -> None:
    single = VALUES["singleuser"]
    by_cpu = int((vcpu - 0.5) // single["cpu"]["guarantee"])
    by_memory = int((mem_gib - 2) // gib(single["memory"]["guarantee"]))
    assert min(by_cpu, by_memory) == expected
    row = re.search(rf"^\| {vcpu} vCPU, {mem_gib} GiB.*\| \*\*(\d+)\*\* \|", GUIDE, flags=re.MULTILINE)
    assert row is not None and int(row.group(1)) == expected
