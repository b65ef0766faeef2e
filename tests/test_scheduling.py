"""The suite's schedule (the root conftest.py): longest files first, the CPU-heavy ones as one unit.

A stale name in its lists would quietly do nothing: a CPU-heavy file renamed would
run beside the others again, and a long file missing from tests/durations.json
would start last. These read the real lists and the order pytest really collects.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _root_conftest() -> object:
    """The root conftest.py as a module of its own (``conftest`` here is tests/conftest.py)."""
    spec = importlib.util.spec_from_file_location("root_conftest", ROOT / "conftest.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_SCHEDULE = _root_conftest()
CPU_HEAVY: frozenset[str] = _SCHEDULE.CPU_HEAVY  # type: ignore[attr-defined]
DURATIONS: Path = _SCHEDULE.DURATIONS  # type: ignore[attr-defined]


def _collected_files() -> list[str]:
    """Test files in the order pytest collects them (the order xdist hands them out), each once."""
    command = [sys.executable, "-m", "pytest", "--collect-only", "-q", "-n", "0", "-p", "no:cacheprovider"]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120, check=True)
    files: list[str] = []
    for line in done.stdout.splitlines():
        if "::" in line and line.split("::", 1)[0] not in files:
            files.append(line.split("::", 1)[0])
    return files


def test_every_named_file_exists() -> None:
    seconds = json.loads(DURATIONS.read_text())
    missing = sorted(name for name in (*CPU_HEAVY, *seconds) if not (ROOT / name).exists())
    assert not missing, f"named in conftest.py or tests/durations.json but gone: {missing}"


def test_the_heavy_files_come_first_then_the_longest() -> None:
    files = _collected_files()
    seconds = json.loads(DURATIONS.read_text())
    heavy = files[: len(CPU_HEAVY)]
    assert set(heavy) == CPU_HEAVY, heavy
    assert [seconds[name] for name in heavy] == sorted((seconds[name] for name in heavy), reverse=True)
    rest = [seconds.get(name, 0.0) for name in files[len(CPU_HEAVY) :]]
    known = [s for s in rest if s]
    assert known == sorted(known, reverse=True), "the other files are not longest first"
    # The files that decide the suite's wall time are all in the table.
    unknown = [name for name in files if name not in seconds]
    assert len(unknown) <= 10, f"re-run tools/cpu_by_file.py --save-durations: {len(unknown)} files not in it"
