"""Checkers for notebook 00 (start here).

1. ``check_checkout_broken``: break the lab so that checkout fails while product
   pages stay whole. The checker sends both kinds of request and judges what the
   learner's fault caused, then heals the lab.
2. ``check_bad_seconds``: a function over a LoadResult that finds the seconds of a
   run in which users were let down (an error, no answer, or a slow answer). The
   checker runs it on made-up runs (different for each learner) and on a real one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx

from ..lab import Lab
from ..load import LoadResult, Record
from .feedback import fail, ok
from .puzzle import puzzle_rng

__all__ = ["check_bad_seconds", "check_checkout_broken"]

_PAGES = 8  # product pages and checkouts the checker sends, each


# -- exercise 1: checkout down, product pages whole ---------------------------------------


def _send(client: httpx.Client, method: str, path: str, body: dict[str, Any] | None) -> tuple[int, dict[str, Any]]:
    """(status, JSON body) of one request; status 0 when no answer came."""
    try:
        answer = client.request(method, path, json=body)
    except httpx.HTTPError:
        return 0, {}
    try:
        data = answer.json()
    except ValueError:
        data = {}
    return answer.status_code, data if isinstance(data, dict) else {}


def check_checkout_broken(lab: object) -> bool:
    """The exercise: inject one fault so that every checkout fails and product pages stay whole.

    Sends a few product pages and checkouts at once, judges what came back, then heals the lab.
    """
    if not isinstance(lab, Lab):
        return fail(f"expected the running Lab, got {type(lab).__name__}", "pass your lab: check_checkout_broken(lab)")
    if not lab.running:
        return fail("the lab is not running", "start it again with lab = Lab().start()")
    faults = {name: text for name, text in lab.faults().items() if text != "healthy"}
    calls: list[tuple[str, str, dict[str, Any] | None]] = [
        ("GET", f"/products/{i}", None) for i in range(1, _PAGES + 1)
    ]
    calls += [("POST", "/checkout", {"product_id": i, "quantity": 1}) for i in range(1, _PAGES + 1)]
    try:
        # Every slower dependency call ends at a shop timeout (a few seconds at most).
        with httpx.Client(base_url=lab.url, timeout=10.0) as client, ThreadPoolExecutor(len(calls)) as pool:
            answers = list(pool.map(lambda call: _send(client, *call), calls))
    finally:
        lab.heal()
    pages, checkouts = answers[:_PAGES], answers[_PAGES:]
    note = f"(faults were: {faults or 'none'}; the checker healed the lab afterwards)"
    failed_pages = [status for status, _ in pages if status != 200]
    if failed_pages:
        return fail(
            f"{len(failed_pages)} of {_PAGES} product pages failed (statuses {sorted(set(failed_pages))}) {note}",
            "the product page needs one of the services you broke; draw both call paths "
            "(the diagram under 'What the lab is') and break a service only checkout calls",
        )
    degraded = sum(1 for _, page in pages if page.get("degraded"))
    if degraded:
        return fail(
            f"{degraded} of {_PAGES} product pages came back degraded, without recommendations {note}",
            "the page survived, but not whole: that dependency is not one checkout calls",
        )
    ok_checkouts = sum(1 for status, _ in checkouts if status == 200)
    if ok_checkouts == _PAGES:
        return fail(
            f"all {_PAGES} checkouts succeeded {note}",
            "which service does checkout call that a product page does not? "
            "A slow dependency costs time, not errors, until the shop stops waiting for it",
        )
    if ok_checkouts:
        return fail(
            f"{ok_checkouts} of {_PAGES} checkouts still succeeded {note}",
            "right service; but a fault that hits only some calls lets the others through",
        )
    statuses = sorted({status for status, _ in checkouts})
    return ok(f"all {_PAGES} checkouts failed (statuses {statuses}), all product pages whole {note}")


# -- exercise 2: the seconds that hurt -------------------------------------------------------


def _reference_bad_seconds(result: LoadResult, slow_s: float = 0.25) -> list[int]:
    """Seconds since the run started (0, 1, ...) holding a request that failed (5xx, or no answer)
    or took longer than ``slow_s``, counted by each request's scheduled time."""
    bad = {
        int(r.scheduled - result.started)
        for r in result.records
        if r.status >= 500 or r.status == 0 or r.latency_s > slow_s
    }
    return sorted(bad)


def _made_up_run(seed_topic: str) -> tuple[LoadResult, dict[int, str]]:
    """A 12 s run at 10 req/s, healthy but for a few seconds, each with one kind of trouble."""
    rng = puzzle_rng(seed_topic)
    started = 1_700_000_000.0 + rng.randint(0, 10_000)
    kinds = ["error", "no answer", "slow", "not found", "slow", "error"]
    seconds = rng.sample(range(12), len(kinds))
    trouble = dict(zip(seconds, kinds, strict=True))
    culprit = {second: second * 10 + rng.randrange(10) for second in trouble}  # one request each
    records = []
    for i in range(120):
        second = i // 10
        scheduled = started + i / 10 + rng.uniform(0, 0.05)
        status, latency_s, error = 200, rng.uniform(0.005, 0.03), ""
        if culprit.get(second) == i:
            kind = trouble[second]
            if kind == "error":
                status = rng.choice([500, 502, 503, 504])
            elif kind == "no answer":
                status, latency_s, error = 0, rng.uniform(0.001, 0.004), "refused"
            elif kind == "slow":
                latency_s = rng.uniform(0.4, 0.9)
            else:
                status = 404
        path = f"/products/{rng.randint(1, 100)}"
        records.append(Record(scheduled, scheduled, latency_s, latency_s, status, "GET", path, "client-0", error))
    result = LoadResult(records, mode="open", started=started, duration_s=12.0, target_rate=10.0)
    return result, trouble


def _as_seconds(value: object) -> list[int] | str:
    """The learner's answer as a sorted list of ints, or what is wrong with it."""
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        return f"it returned {type(value).__name__}, not a list of seconds"
    items = list(value)
    if not all(isinstance(x, (int, float)) and not isinstance(x, bool) and float(x).is_integer() for x in items):
        return f"it returned {items[:5]}..., not whole seconds (0, 1, 2, ...)"
    return sorted({int(x) for x in items})


def _call(function: Callable[..., object], result: LoadResult, slow_s: float) -> list[int] | str:
    try:
        return _as_seconds(function(result, slow_s))
    except Exception as exc:  # the learner's code: report, never a traceback
        return f"it raised {type(exc).__name__}: {exc}"


def check_bad_seconds(bad_seconds: object, real: object = None) -> bool:
    """The exercise: ``bad_seconds(result, slow_s)`` lists the seconds of a run that let users down.

    Judged on made-up runs (seeded per learner) and, if given, on a real LoadResult.
    """
    function: Any = bad_seconds  # any object: judged below, never trusted
    if not callable(function):
        return fail(
            f"expected your function, got {type(bad_seconds).__name__}",
            "define def bad_seconds(result, slow_s=0.25): ... and pass the function itself, without ()",
        )
    if real is not None and not isinstance(real, LoadResult):
        return fail(f"expected a LoadResult to try it on, got {type(real).__name__}", "pass result from lab.load(...)")
    made_up, trouble = _made_up_run("nb00-bad-seconds")
    for slow_s in (0.25, 1.0):
        got = _call(function, made_up, slow_s)
        if isinstance(got, str):
            return fail(f"on a made-up run, {got}", "return a list of ints: int(seconds since result.started)")
        want = _reference_bad_seconds(made_up, slow_s)
        if got == want:
            continue
        if got == _rounded(made_up, slow_s):
            return fail(
                f"with slow_s={slow_s}, your seconds are rounded: a request at t = 2.7 s landed in second 3",
                "a second holds everything from its start up to the next one: cut the fraction off, int(t)",
            )
        if got and min(got) > 10 * made_up.duration_s:
            return fail(
                f"it returned seconds like {got[0]}: clock times, not seconds into the run",
                "subtract result.started from each request's scheduled time (the table's t column)",
            )
        for second in sorted(set(want) - set(got)):
            return fail(
                f"with slow_s={slow_s}, second {second} is missing; in it, the trouble was {_trouble(trouble[second])}",
                _HINTS[trouble[second]],
            )
        for second in sorted(set(got) - set(want)):
            kind = trouble.get(second)
            what = f"the only oddity was {_trouble(kind)}" if kind else "every request was quick and answered"
            hint = _HINTS.get(kind or "", "count a second only when a request in it failed or was slow")
            if kind == "slow":
                hint = "compare each latency with the slow_s you were given, not a fixed number"
            return fail(f"with slow_s={slow_s}, second {second} is listed, but {what}", hint)
    if isinstance(real, LoadResult):
        got = _call(function, real, 0.25)
        want = _reference_bad_seconds(real, 0.25)
        if got != want:
            return fail(
                f"right on made-up runs, but on your run it returned {got}",
                "count by each request's scheduled time, in whole seconds since result.started",
            )
        return ok(f"right on made-up runs; on your run, the seconds that hurt: {want}")
    return ok(f"right on made-up runs ({len(trouble)} seconds of trouble, each of one kind)")


def _rounded(result: LoadResult, slow_s: float) -> list[int]:
    """What a learner gets who rounds each request's time instead of cutting it to its second."""
    return sorted(
        {
            round(r.scheduled - result.started)
            for r in result.records
            if r.status >= 500 or r.status == 0 or r.latency_s > slow_s
        }
    )


def _trouble(kind: str | None) -> str:
    return {
        "error": "a 5xx answer",
        "no answer": "a request that got no answer (status 0: connection refused)",
        "slow": "one slow answer (status 200)",
        "not found": "a 404 (a product that does not exist)",
    }.get(kind or "", "nothing")


_HINTS = {
    "error": "a 5xx status is the shop failing: count it",
    "no answer": "status 0 means no answer came at all: for the user, that is the worst failure",
    "slow": "a slow 200 still lets the user down: compare latency_s with slow_s",
    "not found": "a 404 is a correct answer to a wrong question, not a failure of the shop",
}
