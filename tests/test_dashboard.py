"""The projector dashboard: controls inject faults; a background thread refreshes the numbers and the chart,
in this process and in a real Jupyter kernel (ipykernel 7 drops thread output; widget updates must arrive)."""

from __future__ import annotations

import json

import nbformat
import pytest
from kernels import AsyncIpcKernelManager
from nbclient import NotebookClient
from nbformat.v4 import new_code_cell, new_notebook

from conftest import WaitUntil
from labapp import Lab


def test_controls_inject_and_heal(lab: Lab) -> None:
    dash = lab.dashboard()
    latency, errors, outage = dash.controls["payments"]
    errors.value = 0.5
    assert lab.faults()["payments"] == "50% errors"
    outage.value = True
    assert "outage" in lab.faults()["payments"]
    dash.heal()
    assert set(lab.faults().values()) == {"healthy"}
    assert (latency.value, errors.value, outage.value) == (0.0, 0.0, False)


def test_refreshes_from_its_thread_while_traffic_runs(lab: Lab, wait_until: WaitUntil) -> None:
    dash = lab.dashboard(interval_s=0.5).start()
    run = lab.start_load(rate=30, duration_s=3)
    wait_until(lambda: dash.frames >= 3 and dash.ticks[-1].rate > 0, timeout_s=10, what="three refreshes under load")
    first_chart, first_numbers = bytes(dash.chart.value), dash.numbers.value
    frames = dash.frames
    wait_until(lambda: dash.frames > frames, timeout_s=5, what="another refresh")
    chart = bytes(dash.chart.value)
    assert chart != first_chart and chart.startswith(b"\x89PNG")
    assert "req/s" in first_numbers and "payments breaker" in first_numbers
    run.wait()
    dash.stop()
    assert not dash.running
    dash.stop()  # twice is fine
    with pytest.raises(ValueError, match="interval_s"):
        lab.dashboard(interval_s=0)


@pytest.mark.timeout(90)
def test_widget_updates_from_the_thread_reach_the_frontend_in_a_real_kernel() -> None:
    """nbclient plays the browser: it keeps the widget state the kernel sends, from any thread."""
    cells = [
        "from labapp import Lab\nlab = Lab().start()\ndash = lab.dashboard(interval_s=0.5)\ndash",
        "dash.start()\nrun = lab.start_load(rate=30, duration_s=3)",
        "import time\ndeadline = time.monotonic() + 20\n"
        "while dash.frames < 3 and time.monotonic() < deadline:\n    time.sleep(0.1)\n"
        "run.wait()\nprint('frames', dash.frames)",
        "dash.stop()\nlab.stop()",
    ]
    nb = new_notebook(cells=[new_code_cell(source) for source in cells])
    NotebookClient(
        nb, timeout=60, kernel_name="python3", kernel_manager_class=AsyncIpcKernelManager, store_widget_state=True
    ).execute()
    assert not [o for c in nb.cells for o in c.outputs if o.output_type == "error"]
    printed = "".join(o.get("text", "") for o in nb.cells[2].outputs)
    assert int(printed.split()[-1]) >= 3
    state = nb.metadata.widgets["application/vnd.jupyter.widget-state+json"]["state"]
    models = [m["state"] for m in state.values()]
    html = [m["value"] for m in models if m.get("_model_name") == "HTMLModel"]
    assert any("req/s" in value for value in html), json.dumps(html)[:300]
    nbformat.validate(nb)  # the stored widget state is valid notebook metadata
