"""Notebook 05's checker: the slow hop, named from traces that reached it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from labapp import Lab
from labapp.exercises import check_slow_hop, inject_mystery_latency


@pytest.fixture
def traced(no_shared_lab: None) -> Iterator[Lab]:
    with Lab(tracing=True) as lab:
        yield lab


def _culprit(lab: Lab) -> str:
    (name,) = [name for name, switch in lab.switches.items() if switch.fault]
    return name


def _trace_both_requests(lab: Lab) -> None:
    """Inject the mystery, then trace a product page and a checkout: together they reach every suspect."""
    inject_mystery_latency(lab)
    assert lab.tracing is not None
    with lab.tracing.client() as client:
        client.get(f"{lab.url}/products/7")
        client.post(f"{lab.url}/checkout", json={"product_id": 7})


def _out(capsys: pytest.CaptureFixture[str]) -> str:
    return capsys.readouterr().out


def test_the_right_service_after_tracing_both_requests_passes(traced: Lab, capsys: pytest.CaptureFixture[str]) -> None:
    _trace_both_requests(traced)
    assert check_slow_hop(traced, _culprit(traced))
    assert "✓" in _out(capsys)


def test_a_wrong_service_gets_a_hint_about_nested_bars(traced: Lab, capsys: pytest.CaptureFixture[str]) -> None:
    _trace_both_requests(traced)
    wrong = next(s for s in ("catalog", "recommender", "payments") if s != _culprit(traced))
    assert not check_slow_hop(traced, wrong)
    assert "longest bar with no long child" in _out(capsys)


def test_the_right_name_without_a_trace_is_not_enough(traced: Lab, capsys: pytest.CaptureFixture[str]) -> None:
    inject_mystery_latency(traced)
    assert not check_slow_hop(traced, _culprit(traced))
    assert "no trace shows it" in _out(capsys)


@pytest.mark.parametrize("answer", [None, "shop", 3])
def test_an_answer_that_is_not_a_dependency_says_which_names_count(
    traced: Lab, capsys: pytest.CaptureFixture[str], answer: object
) -> None:
    inject_mystery_latency(traced)
    assert not check_slow_hop(traced, answer)
    assert "one of ['catalog', 'recommender', 'payments']" in _out(capsys)


def test_the_exercise_needs_a_traced_lab(lab: Lab) -> None:
    with pytest.raises(ValueError, match="tracing=True"):
        inject_mystery_latency(lab)
