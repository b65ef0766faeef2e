"""Notebook 00's checkers: they judge what a fault causes, and what a function returns."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import pytest

from labapp import Lab, LoadResult, error_rate, latency, outage
from labapp.exercises import check_bad_seconds, check_checkout_broken
from labapp.exercises.nb00 import _made_up_run, _reference_bad_seconds
from labapp.faults import Fault
from labapp.load import Record


def _verdict(capsys: pytest.CaptureFixture[str], passed: bool, *needles: str) -> str:
    out = capsys.readouterr().out
    assert out.startswith("✓ " if passed else "✗ "), out
    if not passed:
        assert "\n  hint: " in out, out
    for needle in needles:
        assert needle in out, out
    return out


# -- exercise 1: checkout fails, product pages whole ------------------------------------------


@pytest.mark.parametrize(
    ("service", "fault", "passed", "needles"),
    [
        ("payments", outage(), True, ("all 8 checkouts failed", "all product pages whole")),
        ("payments", error_rate(1.0), True, ("all 8 checkouts failed",)),
        ("catalog", outage(), False, ("8 of 8 product pages failed", "break a service only checkout calls")),
        ("recommender", outage(), False, ("product pages came back degraded", "not one checkout calls")),
        ("payments", error_rate(0.5), False, ("checkouts still succeeded", "only some calls")),
        ("payments", latency(0.2), False, ("all 8 checkouts succeeded", "costs time, not errors")),
        (None, None, False, ("all 8 checkouts succeeded", "faults were: none")),
    ],
)
def test_checkout_broken_judges_what_the_fault_causes(
    lab: Lab,
    capsys: pytest.CaptureFixture[str],
    service: str | None,
    fault: Fault | None,
    passed: bool,
    needles: tuple[str, ...],
) -> None:
    if service and fault is not None:
        lab.inject(service, fault)
    assert check_checkout_broken(lab) is passed
    out = _verdict(capsys, passed, *needles)
    hint = out.split("hint:")[-1] if not passed else ""
    assert "outage" not in hint and "payments" not in hint  # the idea, never the answer
    assert not any(lab.switches[name].fault for name in lab.switches), "the checker heals the lab"


def test_checkout_broken_wants_the_lab(capsys: pytest.CaptureFixture[str]) -> None:
    assert check_checkout_broken("lab") is False
    _verdict(capsys, False, "expected the running Lab, got str")


# -- exercise 2: bad_seconds over a LoadResult -------------------------------------------------


def _frame_based(failed: Callable[[pd.DataFrame], pd.Series], slow: bool = True, fixed: float | None = None) -> object:
    def bad_seconds(result: LoadResult, slow_s: float = 0.25) -> list[int]:
        frame = result.to_frame()
        hurt = failed(frame)
        if slow:
            hurt = hurt | (frame["latency_s"] > (fixed if fixed is not None else slow_s))
        return sorted(set(frame.loc[hurt, "t"].astype(int)))

    return bad_seconds


RIGHT = _frame_based(lambda f: (f["status"] >= 500) | (f["status"] == 0))


def _clock_times(result: LoadResult, slow_s: float = 0.25) -> list[int]:
    return sorted({int(r.scheduled) for r in result.records if r.status >= 500 or r.latency_s > slow_s})


def _rounded_times(result: LoadResult, slow_s: float = 0.25) -> list[int]:
    frame = result.to_frame()
    hurt = (frame["status"] >= 500) | (frame["status"] == 0) | (frame["latency_s"] > slow_s)
    return sorted(set(frame.loc[hurt, "t"].round().astype(int)))


def _raises(result: LoadResult, slow_s: float = 0.25) -> list[int]:
    raise KeyError("latency")


@pytest.mark.parametrize("learner", ["ada", "grace", "linus"])
def test_bad_seconds_right_for_every_learner(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], learner: str
) -> None:
    monkeypatch.setenv("LAB_LEARNER", learner)
    assert check_bad_seconds(RIGHT) is True
    _verdict(capsys, True, "right on made-up runs")


def test_made_up_runs_differ_between_learners(monkeypatch: pytest.MonkeyPatch) -> None:
    answers = set()
    for learner in ("ada", "grace", "linus", "margaret"):
        monkeypatch.setenv("LAB_LEARNER", learner)
        run, trouble = _made_up_run("nb00-bad-seconds")
        assert _reference_bad_seconds(run, 0.25) == sorted(s for s, kind in trouble.items() if kind != "not found")
        answers.add(tuple(_reference_bad_seconds(run, 0.25)))
    assert len(answers) > 1


@pytest.mark.parametrize(
    ("function", "needles"),
    [
        (_frame_based(lambda f: f["status"] >= 500), ("got no answer (status 0", "no answer came at all")),
        (_frame_based(lambda f: (f["status"] >= 400) | (f["status"] == 0)), ("a 404", "correct answer")),
        (_frame_based(lambda f: (f["status"] >= 500) | (f["status"] == 0), slow=False), ("slow answer", "slow 200")),
        (
            _frame_based(lambda f: (f["status"] >= 500) | (f["status"] == 0), fixed=0.25),
            ("slow_s=1.0", "the slow_s you were given"),
        ),
        (_clock_times, ("clock times", "result.started")),
        (_rounded_times, ("rounded", "cut the fraction off")),
        (_raises, ("it raised KeyError",)),
        (lambda result, slow_s=0.25: None, ("returned NoneType",)),
        (None, ("expected your function, got NoneType", "without ()")),
    ],
)
@pytest.mark.parametrize("learner", ["ada", "grace", "linus"])
def test_bad_seconds_wrong(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    function: object,
    needles: tuple[str, ...],
    learner: str,
) -> None:
    monkeypatch.setenv("LAB_LEARNER", learner)
    assert check_bad_seconds(function) is False
    out = _verdict(capsys, False, *needles)
    run, _ = _made_up_run("nb00-bad-seconds")
    assert str(_reference_bad_seconds(run)) not in out  # never the expected list


def test_bad_seconds_also_judged_on_a_real_run(capsys: pytest.CaptureFixture[str]) -> None:
    t0 = 1_700_000_000.0
    statuses = [503 if i == 25 else 200 for i in range(40)]
    records = [Record(t0 + i / 10, t0 + i / 10, 0.01, 0.01, s, "GET", "/", "c") for i, s in enumerate(statuses)]
    real = LoadResult(records, mode="open", started=t0, duration_s=4, target_rate=10)
    assert check_bad_seconds(RIGHT, real) is True
    _verdict(capsys, True, "the seconds that hurt: [2]")

    def ignores_the_real_run(result: LoadResult, slow_s: float = 0.25) -> list[int]:
        return RIGHT(result, slow_s) if len(result) == 120 else []  # type: ignore[operator]

    assert check_bad_seconds(ignores_the_real_run, real) is False
    _verdict(capsys, False, "on your run it returned []")
    assert check_bad_seconds(RIGHT, "result") is False
    _verdict(capsys, False, "expected a LoadResult")
