"""Exercise for notebook 05 (tracing): find the slow hop from a trace alone."""

from __future__ import annotations

import random

from ..faults import latency
from ..lab import Lab
from .feedback import fail, ok

__all__ = ["MYSTERY_DELAY_S", "check_slow_hop", "inject_mystery_latency"]

MYSTERY_DELAY_S = 0.3
_SUSPECTS = ("catalog", "recommender", "payments")


def inject_mystery_latency(lab: Lab) -> None:
    """Make one dependency (which one is the puzzle) 0.3 s slower per request."""
    if lab.tracing is None:
        raise ValueError("the exercise needs traces: start the lab with Lab(tracing=True)")
    lab.heal()
    suspect = random.Random(lab.config.seed + 5).choice(_SUSPECTS)
    lab.inject(suspect, latency(MYSTERY_DELAY_S))
    print("One of catalog, recommender and payments is now slow. Which one?")


def check_slow_hop(lab: Lab, answer: object) -> bool:
    """The exercise: name the slow service, having traced requests that reached it."""
    slow = [name for name, switch in lab.switches.items() if switch.fault]
    if len(slow) != 1:
        return fail("no mystery fault is on", "run inject_mystery_latency(lab) first")
    (culprit,) = slow
    if not isinstance(answer, str) or answer not in _SUSPECTS:
        return fail(f"slow_service = {answer!r}", f"name one service: one of {list(_SUSPECTS)}")
    assert lab.tracing is not None  # inject_mystery_latency checked
    since = lab.switches[culprit].history[-1].at
    seen = {
        r.service
        for r in lab.tracing.records()
        if r.kind == "SERVER" and r.start >= since and r.duration_ms >= MYSTERY_DELAY_S * 1000
    }
    if answer != culprit:
        if culprit not in seen:
            return fail(
                f"not {answer}; and none of your traces since the fault reached the slow service",
                "trace both a product page and a checkout: together they reach all three dependencies",
            )
        return fail(
            f"not {answer}: its spans are short",
            "a parent's bar includes its children's time; look for the longest bar with no long child",
        )
    if culprit not in seen:
        return fail("right, but no trace shows it", "send the requests through lab.tracing.client() and draw them")
    return ok(f"{culprit} it is: its server span takes about {MYSTERY_DELAY_S * 1000:.0f} ms in your traces")
