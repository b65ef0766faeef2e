"""Fault windows read back from the switches' history: one per fault, ended by the next change."""

from __future__ import annotations

from labapp.faults import NO_FAULT, Fault, FaultEvent, FaultSwitch, FaultWindow, fault_windows, latency, outage


def _switch(service: str, *changes: tuple[float, Fault]) -> FaultSwitch:
    """A switch whose history has these changes at these (made-up) times."""
    switch = FaultSwitch(service)
    switch.history = [FaultEvent(at, service, fault) for at, fault in changes]
    return switch


def test_each_fault_is_a_window_ended_by_the_next_change() -> None:
    catalog = _switch("catalog", (10.0, latency(0.2)), (12.0, outage()), (15.0, NO_FAULT))
    payments = _switch("payments", (11.0, outage()))
    assert fault_windows([catalog, payments]) == [
        FaultWindow("catalog", "latency 0.2 s", 10.0, 12.0),
        FaultWindow("payments", "outage", 11.0, None),  # still on
        FaultWindow("catalog", "outage", 12.0, 15.0),  # healed at 15
    ]


def test_since_drops_windows_that_ended_before_it() -> None:
    catalog = _switch("catalog", (10.0, outage()), (12.0, NO_FAULT), (20.0, outage()))
    assert [w.start for w in fault_windows([catalog], since=12.0)] == [10.0, 20.0]
    assert [w.start for w in fault_windows([catalog], since=12.5)] == [20.0]


def test_a_switch_never_set_has_no_windows() -> None:
    assert fault_windows([FaultSwitch("catalog")]) == []
