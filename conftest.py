"""nbval runs every numbered notebook twice in a row in one kernel, as learners do.

Learners re-run notebooks: a second run meets re-registered metrics, a replaced
lab, ports still bound. nbval checks one clean run of a notebook; here its
collector yields every code cell twice ("Cell 3", then "Cell 3 (run 2)") so
one kernel runs the notebook top to bottom two times. That is two runs per
notebook in the suite instead of three (one nbval run plus a separate rerun
test), which keeps the suite inside its time budget.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

NUMBERED = re.compile(r"^\d\d_.*\.ipynb$")

# Every lab a test or a notebook kernel starts writes a small file for the JupyterLab launcher
# (labapp/hosted.py): into a temp folder for this session, not the user's Jupyter runtime folder.
os.environ.setdefault("LABAPP_PAGES_DIR", tempfile.mkdtemp(prefix="labapp-pages-"))


def _twice_collector() -> type:
    from nbval.plugin import IPyNbCell, IPyNbFile

    class TwiceNotebook(IPyNbFile):  # type: ignore[misc]
        """An nbval notebook whose cells run once, then once more in the same kernel."""

        def collect(self) -> Iterator[Any]:
            first = list(super().collect())
            yield from first
            for item in first:
                yield IPyNbCell.from_parent(
                    self, name=f"{item.name} (run 2)", cell_num=item.cell_num, cell=item.cell, options=item.options
                )

    return TwiceNotebook


@pytest.hookimpl(wrapper=True)
def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> Any:
    collected = yield
    option = parent.config.option
    if (getattr(option, "nbval", False) or getattr(option, "nbval_lax", False)) and NUMBERED.match(file_path.name):
        return [_twice_collector().from_parent(parent, path=file_path)]
    return collected
