"""SeriesStore's memory: a lab left running keeps every scrape, so a sample must stay small."""

from __future__ import annotations

import tracemalloc

from labapp.observe.store import SeriesStore


def test_a_sample_costs_under_24_bytes() -> None:
    # Half an hour of 1 s scrapes of 50 series: 43 bytes a sample as lists of floats, ~17 as arrays of doubles.
    store = SeriesStore()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for t in range(1_800):
            samples = [(f"m{k}", {"route": f"/r{k % 5}"}, float(t * k)) for k in range(50)]
            store.add(1_000.0 + t, samples, {"job": "shop"})
        grown = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert grown / (50 * 1_800) < 24


def test_old_samples_are_dropped_past_the_bound() -> None:
    store = SeriesStore(max_samples_per_series=100)
    for t in range(500):
        store.add(float(t), [("m", {}, float(t))], {})
    (series,) = store.series("m")
    assert 100 <= len(series.times) <= 110 and series.times[-1] == 499.0
