"""Per-client counts on fake time, and the top-talkers metric that stays small whatever the traffic."""

from __future__ import annotations

import pytest
from prometheus_client import CollectorRegistry, generate_latest

from labapp.shop.clients import ClientTracker, TopClientsCollector


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_counts_cover_whole_past_seconds_only() -> None:
    clock = FakeClock()
    tracker = ClientTracker(clock)
    for second in range(5):
        clock.now = 1000 + second
        for _ in range(10):
            tracker.note("10.0.0.1")
        tracker.note("10.0.0.2")
    assert tracker.counts(10) == {"10.0.0.1": 40, "10.0.0.2": 4}  # the 5th second is still filling
    assert tracker.top(1, window_s=4) == [("10.0.0.1", 10.0)]
    clock.now = 1070
    assert tracker.clients_seen() == 0  # a minute later, nobody is remembered


def test_the_metric_exports_only_the_top_k_clients() -> None:
    clock = FakeClock()
    tracker = ClientTracker(clock)
    for i in range(200):
        for _ in range(i % 7 + 1):
            tracker.note(f"10.0.{i // 250}.{i % 250}")
    clock.now += 1
    registry = CollectorRegistry()
    registry.register(TopClientsCollector(tracker, top=3))
    lines = [line for line in generate_latest(registry).decode().splitlines() if not line.startswith("#")]
    assert len(lines) == 3  # not 200 series
    assert all(line.endswith(" 0.7") for line in lines)  # 7 requests over a 10 s window


def test_bad_windows_say_what_is_allowed() -> None:
    with pytest.raises(ValueError, match="from 1 to 60 seconds"):
        ClientTracker().counts(0)
