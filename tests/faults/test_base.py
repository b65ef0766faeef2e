"""Fault values: composition with +, argument checks, and their effect over real HTTP."""

from __future__ import annotations

import math
import time

import httpx
import pytest

from labapp import Fault, Lab, error_rate, latency, outage
from labapp.faults import NO_FAULT, FaultSwitch

# -- values ------------------------------------------------------------------


def test_no_fault_is_falsy_and_healthy() -> None:
    assert not NO_FAULT
    assert NO_FAULT == Fault()
    assert NO_FAULT.describe() == "healthy"
    assert latency(0.1)
    assert outage()


def test_factories_build_the_documented_fields() -> None:
    assert latency(0.2, jitter_s=0.05) == Fault(latency_s=0.2, jitter_s=0.05)
    assert error_rate(0.1) == Fault(error_rate=0.1, error_status=500)
    assert error_rate(0.1, status=503) == Fault(error_rate=0.1, error_status=503)
    assert outage() == Fault(outage=True)


def test_plus_stacks_latency_errors_and_outage() -> None:
    fault = latency(0.2, jitter_s=0.1) + latency(0.1) + error_rate(0.1, status=503)
    assert math.isclose(fault.latency_s, 0.3)
    assert math.isclose(fault.jitter_s, 0.1)
    assert math.isclose(fault.error_rate, 0.1)
    assert fault.error_status == 503  # kept through the latency-only operand
    assert not fault.outage
    assert (fault + outage()).outage
    assert fault.describe() == "latency 0.3 ±0.1 s + 10% errors"


def test_plus_combines_error_chances_as_independent_events() -> None:
    fault = error_rate(0.5) + error_rate(0.5)
    assert math.isclose(fault.error_rate, 0.75)  # 1 - (1 - 0.5)(1 - 0.5)
    assert (error_rate(0.1, 500) + error_rate(0.1, 429)).error_status == 429


def test_plus_with_a_non_fault_is_a_type_error() -> None:
    with pytest.raises(TypeError):
        latency(0.1) + 1  # type: ignore[operator]


def test_sum_works_from_no_fault() -> None:
    total = sum([latency(0.1), error_rate(0.2), outage()], NO_FAULT)
    assert total.outage and math.isclose(total.latency_s, 0.1) and math.isclose(total.error_rate, 0.2)


def test_error_rate_as_a_percentage_suggests_the_fraction() -> None:
    with pytest.raises(ValueError, match=r"between 0 and 1, got 5 \(did you mean 0\.05\?\)"):
        error_rate(5)
    with pytest.raises(ValueError, match=r"did you mean 0\.5\?"):
        error_rate(50)


@pytest.mark.parametrize("fraction", [-0.1, 150, float("nan"), "0.1"])
def test_error_rate_rejects_non_fractions(fraction: object) -> None:
    with pytest.raises(ValueError, match="fraction between 0 and 1"):
        error_rate(fraction)  # type: ignore[arg-type]


@pytest.mark.parametrize("status", [200, 302, 600, "500"])
def test_error_rate_rejects_non_error_statuses(status: object) -> None:
    with pytest.raises(ValueError, match="HTTP error status 400-599"):
        error_rate(0.1, status=status)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((-1,), "seconds must be a number of seconds >= 0"),
        ((float("nan"),), "seconds must be a number of seconds >= 0"),
        (("0.2",), "seconds must be a number of seconds >= 0"),
        ((61,), "longer than any lab needs"),
        ((0.1, -0.1), "jitter_s must be a number of seconds >= 0"),
    ],
)
def test_latency_rejects_bad_seconds(args: tuple[object, ...], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        latency(*args)  # type: ignore[arg-type]


def test_switch_draw_follows_the_fault() -> None:
    switch = FaultSwitch("catalog", seed=1)
    assert switch.draw() == (0.0, None)
    switch.set(outage() + latency(0.2))
    assert switch.draw() == (0.2, 503)
    switch.set(error_rate(1.0, status=429))
    assert switch.draw() == (0.0, 429)
    switch.clear()
    assert switch.draw() == (0.0, None)
    assert [bool(e.fault) for e in switch.history] == [True, True, False]


def test_switch_error_rate_is_seeded_and_near_the_fraction() -> None:
    def draws(seed: int) -> list[int | None]:
        switch = FaultSwitch("catalog", seed=seed)
        switch.set(error_rate(0.25))
        return [switch.draw()[1] for _ in range(2000)]

    first = draws(7)
    assert first == draws(7)
    assert 0.20 < first.count(500) / len(first) < 0.30


def test_switch_rejects_a_non_fault() -> None:
    with pytest.raises(TypeError, match="expected a Fault"):
        FaultSwitch("catalog").set(0.5)  # type: ignore[arg-type]


# -- effect over real HTTP, through the Lab's own services ---------------------


def test_latency_fault_is_measurable_and_clears(lab: Lab, http: httpx.Client) -> None:
    url = lab.urls["catalog"] + "/health"
    lab.inject("catalog", latency(0.2))
    start = time.perf_counter()
    assert http.get(url).status_code == 200
    faulted = time.perf_counter() - start
    assert faulted >= 0.2  # a lower bound: holds on any machine
    lab.heal("catalog")
    start = time.perf_counter()
    assert http.get(url).status_code == 200
    assert time.perf_counter() - start < faulted  # ordering: healed is faster (benchmarks/load_timing.py times it)


def test_error_rate_fault_answers_its_status(lab: Lab, http: httpx.Client) -> None:
    url = lab.urls["recommender"] + "/recommendations/3"
    lab.inject("recommender", error_rate(1.0, status=418))
    response = http.get(url)
    assert response.status_code == 418
    assert response.json() == {"detail": "injected fault in recommender"}

    lab.inject("recommender", error_rate(0.5))
    statuses = {http.get(url).status_code for _ in range(40)}
    assert statuses == {200, 500}


def test_outage_answers_503_everywhere_and_heal_restores_200(lab: Lab, http: httpx.Client) -> None:
    base = lab.urls["payments"]
    lab.inject("payments", outage())
    assert http.get(base + "/health").status_code == 503
    assert http.post(base + "/charges", json={"amount_cents": 100, "card": "4242424242424242"}).status_code == 503
    lab.heal()
    assert http.get(base + "/health").status_code == 200
    assert lab.faults()["payments"] == "healthy"
