"""Checkers for notebook 03 (health checks): each runs the learner's function against the lab's
real services, with faults injected and healed, and judges what it answered.

The learner's function runs in a thread with a generous deadline: a check that hangs
is reported (and the fault healed, which releases it), never left blocking the notebook.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from ..faults import Fault, latency, outage
from ..lab import Lab
from .calls import as_function
from .feedback import fail, ok

__all__ = ["check_health_check", "check_probe_timeout", "check_readiness"]

DEADLINE_S = 8.0  # how long a learner's check may take before the checker calls it hung


@dataclass
class _Outcome:
    value: object = None
    error: BaseException | None = None
    elapsed_s: float = 0.0
    finished: bool = False


def _call(fn: Callable[..., object], arg: object, lab: Lab, deadline_s: float = DEADLINE_S) -> _Outcome:
    """Run ``fn(arg)`` in a thread; past ``deadline_s``, heal the lab (which releases held requests)."""
    outcome = _Outcome()
    done = threading.Event()

    def run() -> None:
        start = time.perf_counter()
        try:
            outcome.value = fn(arg)
        except BaseException as exc:  # noqa: BLE001  # the learner's code: report anything it raises
            outcome.error = exc
        outcome.elapsed_s = time.perf_counter() - start
        outcome.finished = True
        done.set()

    threading.Thread(target=run, name="lab-exercise-check", daemon=True).start()
    if not done.wait(deadline_s):
        lab.heal()
        done.wait(5.0)
    return outcome


def _under(lab: Lab, faults: dict[str, Fault], fn: Callable[..., object], arg: object) -> _Outcome:
    """``fn(arg)`` while ``faults`` are injected; the lab is healed afterwards whatever happens."""
    try:
        for service, fault in faults.items():
            lab.inject(service, fault)
        return _call(fn, arg, lab)
    finally:
        lab.heal()


def _function(fn: object, example: str) -> Callable[..., object] | None:
    """``fn`` as a function, or None after saying what it is instead."""
    function = as_function(fn)
    if function is not None:
        return function
    fail(f"expected a function, got {type(fn).__name__}", f"define it with def, e.g. {example}, then pass it")
    return None


def _problem(outcome: _Outcome, case: str) -> str | None:
    """What is wrong with an outcome before looking at its value: it raised, hung or is not a bool."""
    if not outcome.finished:
        return f"{case}: your check was still running after {DEADLINE_S:g} s"
    if outcome.error is not None:
        return f"{case}: your check raised {type(outcome.error).__name__}: {outcome.error}"
    if not isinstance(outcome.value, bool):
        return f"{case}: your check returned {outcome.value!r}, not True or False"
    return None


def check_health_check(fn: object, lab: Lab) -> bool:
    """Exercise 1: the seed's check, fixed: ``fn(endpoint)`` is True for a healthy endpoint, else False.

    Judged on the shop's /health (healthy), the catalog's /health during an outage (503),
    a port where nothing listens, and the seed's own empty endpoint.
    """
    if (fn := _function(fn, "def endpoint_health_check(endpoint): ...")) is None:
        return False
    healthy = _call(fn, f"{lab.url}/health", lab)
    if (problem := _problem(healthy, "the healthy shop")) is not None:
        hint = "a check that says nothing when all is well looks like one that never ran: return True out loud"
        if healthy.finished and healthy.value is None and healthy.error is None:
            hint = "the seed's test never holds: look at what raise_for_status() returns when the status is fine"
        return fail(problem, hint)
    if healthy.value is not True:
        return fail("the healthy shop was called unhealthy", "which status codes mean success?")
    cases = {
        "the catalog in an outage (HTTP 503)": ({"catalog": outage()}, f"{lab.service_urls['catalog']}/health"),
        "a port where nothing listens": ({}, "http://127.0.0.1:1/health"),
        "the seed's empty endpoint": ({}, ""),
    }
    for case, (faults, endpoint) in cases.items():
        outcome = _under(lab, faults, fn, endpoint)
        if (problem := _problem(outcome, case)) is not None:
            return fail(
                problem,
                "a check reports a failure, it never crashes the scheduler that runs it: catch httpx's errors",
            )
        if outcome.value is not False:
            return fail(f"{case} was called healthy", "an answer is not health: its status code says whether it is")
    return ok("healthy shop: True; 503, refused connection and empty endpoint: False, and nothing raised")


def check_readiness(fn: object, lab: Lab) -> bool:
    """Exercise 2: ``fn(service_urls)`` is the shop's readiness: False without the catalog, True without
    the recommender (a nice-to-have). Judged with outages injected into the lab's real services."""
    if (fn := _function(fn, "def is_ready(service_urls): ...")) is None:
        return False
    urls = dict(lab.service_urls)
    cases: list[tuple[str, dict[str, Fault], bool, str]] = [
        ("every dependency healthy", {}, True, "ready means able to do the job; nothing is wrong here"),
        (
            "the catalog down",
            {"catalog": outage()},
            False,
            "without the catalog no product page can be served: send the traffic to a replica that can",
        ),
        (
            "the recommender down",
            {"recommender": outage()},
            True,
            "the product page still works without recommendations; if every replica went unready for it, "
            "a nice-to-have outage would become a full outage",
        ),
        (
            "catalog and recommender down",
            {"catalog": outage(), "recommender": outage()},
            False,
            "without the catalog no product page can be served",
        ),
    ]
    for case, faults, expected, hint in cases:
        outcome = _under(lab, faults, fn, urls)
        if (problem := _problem(outcome, f"with {case}")) is not None:
            return fail(
                problem, "readiness answers True or False, and treats a dependency that fails to answer as down"
            )
        if outcome.value is not expected:
            verdict = "ready" if outcome.value else "not ready"
            return fail(f"with {case}, your check said {verdict}", hint)
    return ok("ready when healthy and without the recommender; not ready without the catalog")


def check_probe_timeout(fn: object, lab: Lab) -> bool:
    """Exercise 3: ``fn(url)`` probes the catalog's /health and calls a slow answer down, without waiting for it.

    Judged by order of events, not by milliseconds: a slow answer must be called down,
    and the probe must return before a 1.5 s answer arrives.
    """
    if (fn := _function(fn, "def probe(url): ...")) is None:
        return False
    url = f"{lab.service_urls['catalog']}/health"
    for i in range(3):
        healthy = _call(fn, url, lab)
        if (problem := _problem(healthy, "a healthy catalog")) is not None:
            return fail(problem, "a probe answers True or False, and catches httpx's errors")
        if healthy.value is not True:
            return fail(
                f"a healthy catalog was called down (probe {i + 1} of 3)",
                "a deadline must leave room for a normal answer on a busy machine",
            )
    slow = _under(lab, {"catalog": latency(0.8)}, fn, url)
    if (problem := _problem(slow, "a catalog answering in 0.8 s")) is not None:
        return fail(problem, "a timeout raises an httpx error: catch it and call the dependency down")
    if slow.value is not False:
        return fail(
            "a catalog answering in 0.8 s was called healthy",
            "for a caller with a short budget, an answer that comes too late is no answer: give the request a deadline",
        )
    slower = _under(lab, {"catalog": latency(1.5)}, fn, url)
    if (problem := _problem(slower, "a catalog answering in 1.5 s")) is not None:
        return fail(problem, "a timeout raises an httpx error: catch it and call the dependency down")
    if slower.value is not False or slower.elapsed_s >= 1.5:
        return fail(
            "with a catalog answering in 1.5 s, your probe waited for the answer before deciding",
            "a probe that waits as long as the slowness hangs with it: stop waiting at a deadline (a timeout on the "
            "request), do not time the answer afterwards",
        )
    down = _under(lab, {"catalog": outage()}, fn, url)
    if (problem := _problem(down, "the catalog in an outage")) is not None or down.value is not False:
        return fail(problem or "a catalog answering 503 was called healthy", "a 503 is an answer, and it says down")
    return ok(
        f"healthy: up; 0.8 s and 1.5 s answers: down, the second decided after {slower.elapsed_s:.2f} s; 503: down"
    )
