"""Every plot returns a Figure whose axes say what they show (Agg backend, set in conftest)."""

from __future__ import annotations

import ast
import inspect
import random
import re
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import matplotlib
import matplotlib.axes
import matplotlib.colors
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from labapp import FaultWindow, LoadResult, plots
from labapp.load import Record
from labapp.observe.frames import result_frame
from labapp.plots.respond import action_spans, alert_spans
from labapp.respond import AuditEntry
from labapp.security import Finding
from labapp.tracing import SpanRecord

STARTED = 1_700_000_000.0


@pytest.fixture(autouse=True)
def close_figures() -> Iterator[None]:
    yield
    plt.close("all")


@pytest.fixture
def result() -> LoadResult:
    rng = random.Random(0)
    records = []
    for i in range(200):
        scheduled = STARTED + i / 50
        in_fault = 1.0 <= i / 50 < 2.0
        latency = rng.uniform(0.005, 0.03) + (0.2 if in_fault else 0.0)
        status = 503 if in_fault and i % 4 == 0 else 404 if i % 37 == 0 else 0 if i == 150 else 200
        records.append(
            Record(
                scheduled,
                scheduled,
                latency,
                latency,
                status,
                "GET",
                f"/products/{i % 10 + 1}",
                "client-0",
                "timeout" if status == 0 else "",
            )
        )
    return LoadResult(records, mode="open", started=STARTED, duration_s=4.0, target_rate=50.0)


@pytest.fixture
def faults() -> list[FaultWindow]:
    return [
        FaultWindow("catalog", "latency 0.2 s", STARTED + 1.0, STARTED + 2.0),
        FaultWindow("payments", "outage", STARTED + 3.5, None),
    ]


def _figures(
    result: LoadResult, faults: list[FaultWindow], ax: matplotlib.axes.Axes | None = None
) -> dict[str, Callable[[], Figure]]:
    buckets = [(0.01, 40.0), (0.025, 120.0), (0.05, 150.0), (0.25, 195.0), (float("inf"), 200.0)]
    probes = pd.DataFrame(
        {
            "at": [STARTED + 0.5 * i for i in range(8)] * 2,
            "target": ["/health"] * 8 + ["/ready"] * 8,
            "ok": [True] * 8 + [True, True, False, False, False, True, True, True],
        }
    )
    query = result_frame(
        [(STARTED + t, (("route", route),), float(t * k)) for t in range(5) for route, k in (("/a", 1), ("/b", 2))],
        "sum by (route) (rate(x[5s]))",
    )
    return {
        "plot_latency_histogram": lambda: plots.plot_latency_histogram(result),
        "plot_latency_over_time": lambda: plots.plot_latency_over_time(result, faults=faults),
        "plot_rates": lambda: plots.plot_rates(result, faults=faults, window_s=0.5),
        "plot_status_mix": lambda: plots.plot_status_mix(result),
        "plot_request_latencies": lambda: plots.plot_request_latencies(
            {"open loop": result, "closed loop": result}, faults=faults, slow_s=0.05
        ),
        "plot_bucket_comparison": lambda: plots.plot_bucket_comparison(result, buckets),
        "plot_query": lambda: plots.plot_query(
            query,
            t0=STARTED,
            ylabel="requests per second",
            title="Which route is busier?",
            faults=faults,
            label="route",
        ),
        "plot_series_counts": lambda: plots.plot_series_counts({"raw path": 20_056, "route template": 56}),
        "plot_uptime": lambda: plots.plot_uptime(probes, interval_s=0.5, t0=STARTED, faults=faults),
        "plot_series": lambda: plots.plot_series(
            {"a": ([0, 1, 2], [1, 2, 3]), "b": ([0, 1, 2], [1, 1, 1])},
            title="Do two measurements agree?",
            ylabel="errors (%)",
            t0=STARTED,
            faults=faults,
            threshold=2,
        ),
        "plot_alert_timeline": lambda: plots.plot_alert_timeline(
            result_frame([(STARTED + t, (), 0.02 * t) for t in range(8)], "ratio"),
            result_frame(
                [(STARTED + t, (("alertstate", "pending" if t < 5 else "firing"),), 1.0) for t in range(3, 8)], "ALERTS"
            ),
            t0=STARTED,
            threshold=0.05,
            faults=faults,
            notifications=[(STARTED + 5, "firing")],
            ax=ax,
        ),
        "plot_budget_burn": lambda: plots.plot_budget_burn(result, slo=0.99, faults=faults, ax=ax),
        "plot_trace_waterfall": lambda: plots.plot_trace_waterfall(_spans()),
        "plot_service_latency": lambda: plots.plot_service_latency(_spans()),
        "plot_allowed_by_client": lambda: plots.plot_allowed_by_client(result, limit_per_s=10),
        "plot_response_timeline": lambda: plots.plot_response_timeline(
            *_incident(), t0=STARTED, threshold=0.05, faults=faults, ax=ax
        ),
        "plot_window_strategies": lambda: plots.plot_window_strategies(
            {
                "fixed-window": pd.DataFrame({"t": [0.0, 0.9, 0.9, 1.05], "status": [200, 200, 429, 200]}),
                "moving-window": pd.DataFrame({"t": [0.0, 0.9, 0.9, 1.05], "status": [200, 200, 429, 429]}),
            },
            limit=2,
        ),
        "plot_game_day": lambda: plots.plot_game_day(_golden_signals(), t0=STARTED, windows=faults),
        "plot_findings": lambda: plots.plot_findings(
            {"vulnerable": [_finding("API8:2023 Security Misconfiguration")] * 3, "hardened": []},
            ["API1:2023 Broken Object Level Authorization", "API8:2023 Security Misconfiguration"],
        ),
        "plot_breaker_timeline": lambda: plots.plot_breaker_timeline(
            [
                (STARTED, STARTED + 1, "closed"),
                (STARTED + 1, STARTED + 2, "open"),
                (STARTED + 2, STARTED + 4, "half_open"),
            ],
            [STARTED + 0.1 * i for i in range(10)] + [STARTED + 2.1],
            result,
            faults=faults,
        ),
    }


def _golden_signals() -> dict[str, pd.DataFrame]:
    """A game day's panels: steady traffic, 5xx only from t=6 (absent before), a client that rises."""
    steady = [(STARTED + t, (), 20.0) for t in range(12)]
    return {
        "requests": result_frame(steady, "requests"),
        "busiest_client": result_frame([(STARTED + t, (), 2.0 if t < 6 else 30.0) for t in range(12)], "client"),
        "errors": result_frame([(STARTED + t, (), 0.05) for t in range(6, 12)], "errors"),
        "p95": result_frame([(STARTED + t, (), 0.02) for t in range(12)], "p95"),
        "samples": result_frame([(STARTED + t, (("instance", "a"),), 100.0) for t in range(12)], "samples"),
    }


def _spans() -> list[SpanRecord]:
    """One product-page trace: the shop calls the catalog, then a failing recommender."""
    t, code = "a" * 32, {"http.response.status_code": 503}
    return [
        SpanRecord(t, "1" * 16, None, "shop", "GET /products/{product_id}", "SERVER", 0.0, 0.030, "UNSET",
                   attributes={"http.route": "/products/{product_id}", "http.request.method": "GET"}),
        SpanRecord(t, "2" * 16, "1" * 16, "shop", "GET catalog", "CLIENT", 0.001, 0.021, "UNSET"),
        SpanRecord(t, "3" * 16, "2" * 16, "catalog", "GET /products/{product_id}", "SERVER", 0.002, 0.020, "UNSET"),
        SpanRecord(t, "4" * 16, "1" * 16, "shop", "GET recommender", "CLIENT", 0.022, 0.029, "ERROR", attributes=code),
        SpanRecord(t, "5" * 16, "4" * 16, "recommender", "GET /x", "SERVER", 0.023, 0.028, "ERROR", attributes=code),
    ]  # fmt: skip


def _finding(owasp: str) -> Finding:
    return Finding("cors", "medium", owasp, "title", "GET /", "200 {}", "the fix", "cors-any-origin")


def test_findings_plot_counts_per_item_and_keeps_empty_items() -> None:
    figure = plots.plot_findings(
        {"vulnerable": [_finding("API8:2023 Security Misconfiguration")] * 3, "hardened": []},
        ["API1:2023 Broken Object Level Authorization", "API8:2023 Security Misconfiguration"],
    )
    ax = figure.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == [
        "API1:2023 Broken Object Level Authorization",
        "API8:2023 Security Misconfiguration",
    ]
    widths = [bar.get_width() for bar in ax.patches if isinstance(bar, Rectangle)]
    assert widths == [0, 3, 0, 0]  # vulnerable: API1 0, API8 3; hardened: none
    legend = ax.get_legend()
    assert legend is not None
    assert "hardened (0 findings)" in [t.get_text() for t in legend.get_texts()]
    with pytest.raises(ValueError, match="at least one scan"):
        plots.plot_findings({})


def test_agg_backend_is_in_use() -> None:
    assert matplotlib.get_backend().lower() == "agg"


def test_every_public_plot_is_covered(result: LoadResult, faults: list[FaultWindow]) -> None:
    public = {name for name, value in vars(plots).items() if name.startswith("plot_") and inspect.isfunction(value)}
    assert public == set(plots.__all__) == set(_figures(result, faults))


@pytest.mark.parametrize(
    "name",
    [
        "plot_latency_histogram",
        "plot_latency_over_time",
        "plot_rates",
        "plot_status_mix",
        "plot_bucket_comparison",
        "plot_query",
        "plot_series_counts",
        "plot_uptime",
        "plot_series",
        "plot_alert_timeline",
        "plot_budget_burn",
        "plot_trace_waterfall",
        "plot_service_latency",
        "plot_breaker_timeline",
        "plot_allowed_by_client",
        "plot_window_strategies",
        "plot_response_timeline",
        "plot_findings",
    ],
)
def test_plot_returns_a_figure_with_title_and_axis_labels(
    name: str, result: LoadResult, faults: list[FaultWindow]
) -> None:
    figure = _figures(result, faults)[name]()
    assert isinstance(figure, Figure)
    # one Axes, or two stacked panels sharing x (the second says what its x axis is)
    assert len(figure.axes) == 1 or (name in STACKED and len(figure.axes) == 2)
    ax = figure.axes[0]
    assert ax.get_title()
    assert figure.axes[-1].get_xlabel()
    assert all(a.get_ylabel() for a in figure.axes)
    figure.canvas.draw()  # renders without error


STACKED = {"plot_alert_timeline", "plot_budget_burn", "plot_response_timeline"}


@pytest.mark.parametrize("name", sorted(STACKED))
@pytest.mark.parametrize("given", [False, True])
def test_two_quantities_get_stacked_panels_not_twin_axes(
    name: str, given: bool, result: LoadResult, faults: list[FaultWindow]
) -> None:
    figures = _figures(result, faults)
    if given:  # drawn on an axes the caller made: the lower panel goes under it
        figure, ax = plt.subplots(layout="constrained")
        figures = _figures(result, faults, ax=ax)
        assert figures[name]() is figure
    else:
        figure = figures[name]()
    figure.canvas.draw()
    top, bottom = [panel for ax in figure.axes for panel in (ax, *ax.child_axes)]
    assert top.get_shared_x_axes().joined(top, bottom)
    assert bottom.get_window_extent().y1 <= top.get_window_extent().y0  # one under the other, not twins


def test_alert_states_sit_in_their_own_lane(result: LoadResult, faults: list[FaultWindow]) -> None:
    top, lane = _figures(result, faults)["plot_alert_timeline"]().axes
    assert not top.collections  # no state markers on the percentage axis
    assert [t.get_text() for t in lane.get_yticklabels()] == ["alert state", "notification"]
    assert any("notified: firing" in t.get_text() for t in lane.texts)
    assert not top.texts  # no labels crossing the ratio line


def test_the_budget_plot_says_the_run_is_the_slo_period_and_what_zero_means(
    result: LoadResult, faults: list[FaultWindow]
) -> None:
    top, budget = plots.plot_budget_burn(result, slo=0.99, faults=faults).axes
    assert "whole SLO period" in budget.get_xlabel()
    assert budget.get_ylim()[0] == 0
    (left,) = [line for line in budget.lines if line.get_label() == "budget left"]
    assert np.asarray(left.get_ydata(), dtype=float).min() >= 0  # clipped at 0, not plunging to -100 %
    assert any("every further error is over the SLO" in " ".join(t.get_text().split()) for t in budget.texts)


def test_the_package_only_re_exports_and_plots_take_data_not_a_lab() -> None:
    package = Path(plots.__file__)
    tree = ast.parse(package.read_text())
    assert not [node for node in tree.body if isinstance(node, (ast.FunctionDef, ast.ClassDef))]
    for name in plots.__all__:
        function = getattr(plots, name)
        assert function.__module__ != plots.__name__, name  # defined in a topical module
        annotations = " ".join(str(p.annotation) for p in inspect.signature(function).parameters.values())
        assert not re.search(r"\bLab\b", annotations), name
    for module in package.parent.glob("*.py"):
        assert "from ..lab import" not in module.read_text(), module.name


def test_series_counts_names_each_labelling(result: LoadResult) -> None:
    ax = plots.plot_series_counts({"raw path": 20_056, "route template": 56}).axes[0]
    assert ax.get_title() and ax.get_xlabel()
    assert [tick.get_text() for tick in ax.get_yticklabels()] == ["raw path", "route template"]
    assert ax.get_xscale() == "log"


def test_plots_draw_on_a_given_axes(result: LoadResult) -> None:
    figure, (left, right) = plt.subplots(1, 2)
    assert plots.plot_rates(result, ax=left) is figure
    assert plots.plot_status_mix(result, ax=right, title="Mine") is figure
    assert right.get_title() == "Mine"


def test_fault_windows_are_shaded_and_labelled(result: LoadResult, faults: list[FaultWindow]) -> None:
    ax = plots.plot_rates(result, faults=faults).axes[0]
    legend = ax.get_legend()
    assert legend is not None
    labels = [text.get_text() for text in legend.get_texts()]
    assert "fault: catalog: latency 0.2 s" in labels
    assert "fault: payments: outage" in labels


def test_status_mix_names_every_status(result: LoadResult) -> None:
    ax = plots.plot_status_mix(result).axes[0]
    assert [tick.get_text() for tick in ax.get_xticklabels()] == ["0", "200", "404", "503"]
    assert "errors" in ax.get_title()


def test_plot_query_of_an_empty_frame() -> None:
    empty = result_frame([], "up")
    figure = plots.plot_query(empty, t0=STARTED, ylabel="up", title="Is it up?")
    assert figure.axes[0].get_title() == "Is it up?"
    assert isinstance(empty, pd.DataFrame)


def test_the_waterfall_nests_children_and_marks_errors() -> None:
    figure = plots.plot_trace_waterfall(_spans())
    labels = [tick.get_text() for tick in figure.axes[0].get_yticklabels()]
    assert labels[0].startswith("shop: GET /products/")
    assert labels[2] == "        catalog: GET /products/{product_id}"  # depth 2
    texts = " ".join(text.get_text() for text in figure.axes[0].texts)
    assert texts.count("✗ HTTP 503") == 2


def test_service_latency_needs_server_spans() -> None:
    with pytest.raises(ValueError, match="tracing=True"):
        plots.plot_service_latency([s for s in _spans() if s.kind == "CLIENT"])


def test_window_strategies_count_the_busiest_second() -> None:
    from labapp.plots.ratelimit import busiest_window

    assert busiest_window([0.0, 0.9, 0.95, 1.05, 1.06], 1.0) == 4
    assert busiest_window([0.0, 1.0, 2.0], 1.0) == 1
    assert busiest_window([], 1.0) == 0
    figure = plots.plot_window_strategies(
        {"fixed-window": pd.DataFrame({"t": [0.0, 0.9, 0.95, 1.05, 1.06], "status": [200] * 5})}, limit=2
    )
    assert "busiest 1 s: 4 allowed (over the limit of 2)" in [t.get_text() for t in figure.axes[0].texts]


def _records(latencies_s: list[float]) -> LoadResult:
    records = [
        Record(STARTED + i / 10, STARTED + i / 10, s, s, 200, "GET", "/items", "client-0", "")
        for i, s in enumerate(latencies_s)
    ]
    return LoadResult(records, mode="open", started=STARTED, duration_s=len(records) / 10, target_rate=10.0)


def test_the_latency_histogram_is_linear_over_a_narrow_range_and_log_over_a_wide_one() -> None:
    narrow = plots.plot_latency_histogram(_records([0.005 + 0.007 * i / 99 for i in range(100)])).axes[0]
    assert narrow.get_xscale() == "linear"
    assert "linear" in narrow.get_xlabel()
    wide = plots.plot_latency_histogram(_records([0.005 * 1.1**i for i in range(60)])).axes[0]
    assert wide.get_xscale() == "log"
    wide.figure.canvas.draw()
    labels = [t.get_text() for t in wide.get_xticklabels(minor=True) if t.get_text()]
    assert labels == []  # no minor labels in another notation (6×10⁰ beside 10)


def _fault_colours(ax: matplotlib.axes.Axes) -> dict[str, tuple[float, float, float]]:
    handles, labels = ax.get_legend_handles_labels()
    return {
        label: matplotlib.colors.to_rgb(handle.get_facecolor())  # type: ignore[attr-defined]
        for handle, label in zip(handles, labels, strict=True)
        if label.startswith("fault: ")
    }


def test_each_fault_gets_its_own_colour_and_none_is_green(result: LoadResult) -> None:
    faults = [
        FaultWindow("catalog", "outage", STARTED + 0.5, STARTED + 1.0),
        FaultWindow("recommender", "outage", STARTED + 1.0, STARTED + 2.0),
        FaultWindow("recommender", "latency 5 s", STARTED + 2.0, STARTED + 3.0),
        FaultWindow("recommender", "outage", STARTED + 3.0, STARTED + 3.5),  # the same fault again
    ]
    for figure in (
        plots.plot_rates(result, faults=faults),
        plots.plot_latency_over_time(result, faults=faults),
    ):
        colours = _fault_colours(figure.axes[0])
        assert list(colours) == [
            "fault: catalog: outage",
            "fault: recommender: outage",
            "fault: recommender: latency 5 s",
        ]  # each labelled once
        assert len(set(colours.values())) == 3
        for label, (r, g, b) in colours.items():
            assert not (g > r and g > b), f"{label} is shaded green"


@pytest.mark.parametrize("name", ["plot_rates", "plot_latency_over_time"])
def test_windowed_values_are_steps_from_the_window_start(
    name: str, result: LoadResult, faults: list[FaultWindow]
) -> None:
    ax = _figures(result, faults)[name]().axes[0]
    assert ax.lines
    for line in ax.lines:
        assert line.get_drawstyle() == "steps-post"
        assert np.asarray(line.get_xdata(), dtype=float)[0] == 0.0  # the first window starts at 0, not at its middle


@pytest.mark.parametrize(
    "name",
    [
        "plot_latency_histogram",
        "plot_latency_over_time",
        "plot_rates",
        "plot_bucket_comparison",
        "plot_query",
        "plot_series",
        "plot_uptime",
        "plot_alert_timeline",
        "plot_budget_burn",
        "plot_breaker_timeline",
        "plot_request_latencies",
    ],
)
def test_legends_sit_outside_the_data(name: str, result: LoadResult, faults: list[FaultWindow]) -> None:
    figure = _figures(result, faults)[name]()
    figure.canvas.draw()
    renderer = figure.canvas.get_renderer()  # type: ignore[attr-defined]
    legends = [legend for ax in figure.axes if (legend := ax.get_legend()) is not None] + list(figure.legends)
    assert legends, name
    for legend in legends:
        box = legend.get_window_extent(renderer)
        for ax in figure.axes:
            assert not box.overlaps(ax.get_window_extent(renderer)), f"{name}: the legend covers the data"


def test_side_by_side_panels_keep_their_legends_below_and_their_y_range(result: LoadResult) -> None:
    figure, axes = plt.subplots(1, 2, figsize=(12, 3.8), sharey=True, layout="constrained")
    for ax in axes:
        plots.plot_latency_over_time(result, ax=ax)
    figure.canvas.draw()
    for ax in axes:
        legend = ax.get_legend()
        assert legend is not None
        assert legend.get_window_extent().y1 < ax.get_window_extent().y0  # below the panel
        top = max(np.asarray(line.get_ydata(), dtype=float).max() for line in ax.lines)
        assert ax.get_ylim()[1] < top * 1.5  # no headroom stretching the axis


def test_thresholds_carry_their_unit(result: LoadResult, faults: list[FaultWindow]) -> None:
    ax = _figures(result, faults)["plot_series"]().axes[0]
    assert "threshold 2%" in ax.get_legend_handles_labels()[1]
    bare = plots.plot_series({"a": ([0, 1], [1, 2])}, title="t?", ylabel="latency (ms)", threshold=250,
                             threshold_unit=" ms")  # fmt: skip
    assert "threshold 250 ms" in bare.axes[0].get_legend_handles_labels()[1]


def test_shared_y_panels_fit_every_panels_lines(result: LoadResult) -> None:
    figure, (slow, fast) = plt.subplots(1, 2, sharey=True, layout="constrained")
    plots.plot_latency_over_time(result, ax=slow)  # up to ~230 ms during the fault
    plots.plot_latency_over_time(_records([0.005 + 0.001 * (i % 5) for i in range(40)]), ax=fast)  # 5-9 ms
    highest = max(np.asarray(line.get_ydata(), dtype=float).max() for line in slow.lines)
    assert slow.get_ylim()[1] >= highest  # the second panel did not cut the first one's top off


def test_plot_series_draws_per_window_values_as_steps_when_told_the_window() -> None:
    lines: dict[str, tuple[Sequence[float], Sequence[float]]] = {"calls/s": ([0.0, 0.25, 0.5], [20.0, 80.0, 0.0])}
    plain = plots.plot_series(lines, title="How many?", ylabel="calls (per s)").axes[0]
    assert plain.lines[0].get_drawstyle() == "default"
    stepped = plots.plot_series(lines, title="How many?", ylabel="calls (per s)", window_s=0.25).axes[0]
    assert stepped.lines[0].get_drawstyle() == "steps-post"
    x = np.asarray(stepped.lines[0].get_xdata(), dtype=float)
    assert x.tolist() == [0.0, 0.25, 0.5, 0.75]  # the last window drawn to its end


def _incident() -> tuple[pd.DataFrame, list[AuditEntry], pd.DataFrame]:
    """An error ratio, a responder's audit and the alert notifications of a short incident."""
    t0 = STARTED
    ratio = pd.DataFrame({"time": [t0 + i for i in range(10)], "value": [0, 0, 0.3, 0.3, 0.1, 0, 0, 0, 0, 0]})
    notes = pd.DataFrame(
        [
            {"time": t0 + 2, "alertname": "AbusiveClient", "status": "firing"},
            {"time": t0 + 3, "alertname": "AbusiveClient", "status": "firing"},  # a repeat
            {"time": t0 + 6, "alertname": "AbusiveClient", "status": "resolved"},
        ]
    )
    audit = [
        AuditEntry(t0 + 2, "applied", "block", "127.0.0.9", "AbusiveClient", ""),
        AuditEntry(t0 + 2, "refused", "block", "127.0.0.1", "AbusiveClient", "protected"),
        AuditEntry(t0 + 6, "reverted", "block", "127.0.0.9", "AbusiveClient", ""),
        AuditEntry(t0 + 7, "applied", "shed", "shop", "ShopSaturated", ""),
    ]
    return ratio, audit, notes


def test_response_timeline_draws_alerts_actions_and_refusals() -> None:
    ratio, audit, notes = _incident()
    assert alert_spans(notes, STARTED + 9) == [("AbusiveClient", STARTED + 2, STARTED + 6)]
    assert action_spans(audit, STARTED + 9) == [
        ("block 127.0.0.9", STARTED + 2, STARTED + 6),
        ("shed shop", STARTED + 7, STARTED + 9),
    ]
    _, lane = plots.plot_response_timeline(ratio, audit, notes, t0=STARTED, threshold=0.05).axes
    assert [t.get_text() for t in lane.get_yticklabels()] == [
        "alert AbusiveClient",
        "block 127.0.0.9",
        "shed shop",
        "block 127.0.0.1",
    ]


def test_game_day_has_a_panel_per_signal_zero_errors_before_any_and_the_windows_named(
    faults: list[FaultWindow],
) -> None:
    figure = plots.plot_game_day(_golden_signals(), t0=STARTED, windows=faults)
    assert len(figure.axes) == 5 and figure.axes[0].get_title() == "What changed, and when?"
    assert all(ax.get_ylabel() for ax in figure.axes) and figure.axes[-1].get_xlabel()
    line = figure.axes[2].get_lines()[0]
    x, y = np.asarray(line.get_xdata(), dtype=float), np.asarray(line.get_ydata(), dtype=float)
    assert list(x[:2]) == [0.0, 1.0] and list(y[:2]) == [0.0, 0.0]
    assert y.max() == pytest.approx(5.0)  # in %
    legend = figure.axes[-1].get_legend()
    assert legend is not None and len(legend.get_texts()) == len(faults)
    assert plots.plot_game_day({"p95": _golden_signals()["p95"]}, t0=STARTED).axes[0].get_legend() is None
    with pytest.raises(ValueError, match="give at least one of"):
        plots.plot_game_day({}, t0=STARTED)
    figure.canvas.draw()


def test_request_latencies_get_a_panel_per_run_that_counts_the_slow_ones(
    result: LoadResult, faults: list[FaultWindow]
) -> None:
    slow = int((result.to_frame()["latency_s"] > 0.05).sum())
    figure = plots.plot_request_latencies({"open loop": result, "closed loop": result}, faults=faults, slow_s=0.05)
    assert [ax.get_title().splitlines() for ax in figure.axes] == [
        [name, f"{slow} of {len(result.records)} requests above 0.05 s"] for name in ("open loop", "closed loop")
    ]
    assert figure.axes[0].get_ylabel() and all(ax.get_xlabel() for ax in figure.axes)
    assert [np.asarray(ax.lines[0].get_xydata()).shape[0] for ax in figure.axes] == [len(result.records)] * 2
    with pytest.raises(TypeError, match="runs maps a name to a LoadResult"):
        plots.plot_request_latencies([result])  # type: ignore[arg-type]
