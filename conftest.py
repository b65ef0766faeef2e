"""nbval runs every numbered notebook twice in a row in one kernel, as learners do;
pytest-xdist hands out the longest files first and keeps the CPU-heavy ones apart.

Learners re-run notebooks: a second run meets re-registered metrics, a replaced
lab, ports still bound. nbval checks one clean run of a notebook; here its
collector yields every code cell twice ("Cell 3", then "Cell 3 (run 2)") so
one kernel runs the notebook top to bottom two times. That is two runs per
notebook in the suite instead of three (one nbval run plus a separate rerun
test), which keeps the suite inside its time budget.

Three workers share two cores. Most files wait on the clock (a notebook's traffic
runs for a fixed time and keeps a core about a third busy): with two workers the
machine was busy 44% of the time and the suite took 15-17 minutes. A few files keep
a core busy or need a quiet machine (a spinning neighbour, live game days, promtool,
a browser, a hub). Those run as one unit, one after another on one worker, so no
two of them meet; every other file is its own unit. Units go out longest first,
by the test-seconds in tests/durations.json (written by
``python -m pytest -p tools.cpu_by_file --save-durations tests/durations.json``),
so no long file starts last. Three workers took 9.7 minutes. Four took 8.4-11, but
with four on two cores the machine stalled long enough for the lab's requests to
time out, and every one of five such runs failed a test (README).
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

NUMBERED = re.compile(r"^\d\d_.*\.ipynb$")
HERE = Path(__file__).parent
DURATIONS = HERE / "tests" / "durations.json"
UNKNOWN_FILE_S = 5.0  # a file new since durations.json was written

# Files that keep a core busy for most of their run (CPU-seconds near their test-seconds in
# tools/cpu_by_file.py's table) or judge timing against a quiet baseline (the live game days).
CPU_HEAVY = frozenset({
    "tests/exercises/test_busy_machine.py",
    "tests/gameday/test_live_dependencies.py",
    "tests/gameday/test_live_shop.py",
    "tests/data/test_rules.py",
    "tests/test_browser.py",
    "tests/test_classroom.py",
    "tests/ratelimit/test_limits.py",
    "tests/security/test_scanner.py",
    "tests/test_suite_runs.py",
    "tests/test_jupyterlab_settings.py",
    "tests/telemetry/test_middleware.py",
})  # fmt: skip
CPU_HEAVY_UNIT = "the CPU-heavy files, one at a time"

# Every lab a test or a notebook kernel starts writes a small file for the JupyterLab launcher
# (labapp/hosted.py): into a temp folder for this session, not the user's Jupyter runtime folder.
os.environ.setdefault("LABAPP_PAGES_DIR", tempfile.mkdtemp(prefix="labapp-pages-"))


def _twice_collector() -> type:
    import nbval.kernel
    from nbval.plugin import IPyNbCell, IPyNbFile

    from tests.kernels import IpcKernelManager

    # nbval 0.11 has no option for the kernel manager: its module-level name is the one seam.
    nbval.kernel.KernelManager = IpcKernelManager

    class TwiceNotebook(IPyNbFile):  # type: ignore[misc]
        """An nbval notebook whose cells run once, then once more in the same kernel."""

        def teardown(self) -> None:
            # nbval opens /dev/null for each kernel's stderr and never closes it; the garbage
            # collector's ResourceWarning then lands in whichever test runs next on this worker.
            manager = getattr(self.kernel, "km", None)
            stderr = (getattr(manager, "_launch_args", None) or {}).get("stderr")
            super().teardown()
            if stderr is not None:
                stderr.close()

        def collect(self) -> Iterator[Any]:
            first = list(super().collect())
            yield from first
            for item in first:
                yield IPyNbCell.from_parent(
                    self, name=f"{item.name} (run 2)", cell_num=item.cell_num, cell=item.cell, options=item.options
                )

    return TwiceNotebook


def _unit(nodeid: str) -> str:
    path = nodeid.split("::", 1)[0]
    return CPU_HEAVY_UNIT if path in CPU_HEAVY else path


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Longest unit first, and within the CPU-heavy unit the longest file first; a file's tests keep their order."""
    seconds = json.loads(DURATIONS.read_text()) if DURATIONS.exists() else {}

    def file_s(nodeid: str) -> float:
        return float(seconds.get(nodeid.split("::", 1)[0], UNKNOWN_FILE_S))

    unit_s: dict[str, float] = {}
    for path in {item.nodeid.split("::", 1)[0] for item in items}:
        unit_s[_unit(path)] = unit_s.get(_unit(path), 0.0) + file_s(path)
    order = {id(item): i for i, item in enumerate(items)}
    items.sort(key=lambda item: (-unit_s[_unit(item.nodeid)], -file_s(item.nodeid), order[id(item)]))


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """``--dist loadfile`` with the CPU-heavy files as one unit, units in collection order (longest first)."""
    if config.getvalue("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    class LongestFirst(LoadFileScheduling):  # type: ignore[misc]
        def _split_scope(self, nodeid: str) -> str:
            return _unit(nodeid)

    config.option.loadscopereorder = False  # keep pytest_collection_modifyitems' order, not "most tests first"
    return LongestFirst(config, log)


@pytest.hookimpl(wrapper=True)
def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> Any:
    collected = yield
    option = parent.config.option
    if (getattr(option, "nbval", False) or getattr(option, "nbval_lax", False)) and NUMBERED.match(file_path.name):
        return [_twice_collector().from_parent(parent, path=file_path)]
    return collected


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """A failed notebook cell's printed output goes into the report: nbval shows only the traceback,
    and a checker's ``assert check_...(...)`` says why it failed in what it printed."""
    report = yield
    outputs = getattr(item, "test_outputs", None)  # nbval's IPyNbCell keeps what the kernel sent
    if report.failed and call.when == "call" and outputs:
        printed = "".join(out.get("text", "") for out in outputs if out.get("output_type") == "stream")
        if printed:
            report.sections.append(("Captured cell output", printed[-3000:]))
    return report
