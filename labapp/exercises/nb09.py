"""Exercises for notebook 09 (circuit breaker and retries): an honest fallback, a breaker tuned
for an outage, and retries with exponential backoff and full jitter inside a breaker.

Each checker judges what the learner's code causes: the answers customers get, and how many
calls reached a dead payments service and in what order. None judges milliseconds that a slow,
shared machine could stretch; the one time bound (recovery after an outage) has a wide margin.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import itertools
import json
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import httpx
from circuitbreaker import CircuitBreaker
from fastapi import HTTPException
from starlette.responses import Response

from ..aio import run_sync
from ..config import LabConfig
from ..faults import Scenario, outage
from ..lab import Lab
from ..load import LoadResult, checkout, run_open_loop
from ..services.payments import DECLINED_CARD
from ..shop import make_shop_app
from ..shop.downstream import Downstream, DownstreamError
from ..telemetry import ShopMetrics
from .calls import as_function, parameters
from .feedback import fail, ok

__all__ = ["check_breaker_tuning", "check_honest_fallback", "check_retries_in_breaker"]

GOOD_CARD = "4242424242424242"
_names = itertools.count(1)


# -- Exercise 1: an honest fallback -------------------------------------------------------------


def _seed_call_payment_api(payments_url: str, http: httpx.Client) -> Callable[[dict[str, object]], dict[str, Any]]:
    """The seed's ``call_payment_api`` under a breaker (3 failures, stays open for the check),
    counting only the service's failures, so declined cards do not open it."""

    def server_failure(_type: type, exc: BaseException) -> bool:
        return not (isinstance(exc, httpx.HTTPStatusError) and exc.response.status_code < 500)

    @CircuitBreaker(failure_threshold=3, recovery_timeout=60, expected_exception=server_failure,
                    name=f"ex09-payments-{next(_names)}")  # fmt: skip
    def call_payment_api(order: dict[str, object]) -> dict[str, Any]:
        response = http.post(f"{payments_url}/charges", json=order)
        response.raise_for_status()  # raises on failure, as the seed's payment client does
        return dict(response.json())

    return call_payment_api


def _answer(result: object) -> tuple[int, object, dict[str, str]] | BaseException:
    """What the customer would get from FastAPI: (status, body, headers), or the exception."""
    if isinstance(result, BaseException):
        if isinstance(result, HTTPException):
            return result.status_code, result.detail, dict(result.headers or {})
        return result
    if isinstance(result, Response):
        try:
            body: object = json.loads(bytes(result.body))
        except ValueError:
            body = bytes(result.body).decode(errors="replace")
        return result.status_code, body, {k.lower(): v for k, v in result.headers.items()}
    return 200, result, {}  # a dict (or anything) returned from a route is a 200


def check_honest_fallback(lab: Lab, my_charge: object) -> bool:
    """The exercise: ``my_charge(call_payment_api, order)`` answers each customer truthfully:
    a charge (2xx) when it went through, a 4xx for a declined card, a 5xx "not charged" when
    payments fails, and a 503 with Retry-After while the breaker is open. Under a second."""
    function = as_function(my_charge)
    if function is None:
        return fail(
            f"expected a function, got {type(my_charge).__name__}",
            "def my_charge(call_payment_api, order): ... returning a response",
        )
    if len(parameters(function)) != 2:
        return fail("my_charge must take two arguments", "def my_charge(call_payment_api, order): ...")
    steps = [
        ("a good card, payments up", None, GOOD_CARD),
        ("a declined card", None, DECLINED_CARD),
        *[("a good card, payments down", "down", GOOD_CARD)] * 3,  # three failures open the breaker
        ("a good card, breaker open", "down", GOOD_CARD),
    ]
    answers: list[tuple[str, tuple[int, object, dict[str, str]] | BaseException]] = []
    lab.heal("payments")  # start from a healthy payments service, whatever an earlier cell left
    with httpx.Client(timeout=2) as http:
        call_payment_api = _seed_call_payment_api(lab.service_urls["payments"], http)
        try:
            for what, fault, card in steps:
                if fault:
                    lab.inject("payments", outage())
                try:
                    result: object = function(call_payment_api, {"amount_cents": 1299, "card": card})
                except Exception as error:  # the learner's code, or an exception it let through
                    result = error
                answers.append((what, _answer(result)))
        finally:
            lab.heal("payments")
    for what, answer in answers:
        if not isinstance(answer, BaseException) and answer[1] is None:
            return fail(
                f"for {what}, my_charge returned nothing",
                "return a JSONResponse (or raise HTTPException) whose status tells the customer what happened",
            )
        if isinstance(answer, BaseException):
            return fail(
                f"for {what}, my_charge raised {type(answer).__name__}: the customer gets a bare 500 error page",
                "catch what call_payment_api raises and turn each case into an answer that says what happened",
            )
        status, body, headers = answer
        if what == "a good card, payments up" and not 200 <= status < 300:
            return fail(
                f"a good card with payments up got {status} {body!r}",
                "when call_payment_api returns, the charge went through: answer with it",
            )
        if what == "a declined card" and not 400 <= status < 500:
            told = "thinks they paid" if status < 300 else "is told the shop failed"
            return fail(
                f"a declined card got {status} {body!r}: the customer {told}",
                "a decline is payments' answer about the card (an HTTPStatusError with a 4xx): "
                "tell the customer with a 4xx of your own, so they can use another card",
            )
        if what.endswith("payments down") and not 500 <= status < 600:
            return fail(
                f"{what} got {status} {body!r}, but nothing was charged",
                "a failure of payments is the shop's problem, not the customer's: a 5xx that says "
                "they were not charged",
            )
        if what.endswith("breaker open"):
            if not 500 <= status < 600:
                return fail(
                    f"while the breaker was open, a good card got {status} {body!r}; nothing was charged or queued",
                    "CircuitBreakerError means payments was not called: say so with a 5xx",
                )
            if "retry-after" not in headers:
                return fail(
                    f"while the breaker was open the answer was {status} without a Retry-After header",
                    "tell the client when it is worth trying again (notebook 08: Retry-After)",
                )
    statuses = [a[0] for _, a in answers if not isinstance(a, BaseException)]
    retry_after = answers[-1][1][2]["retry-after"]  # type: ignore[index]
    return ok(
        f"charged: {statuses[0]}; declined: {statuses[1]}; payments down: {statuses[2]}; "
        f"breaker open: {statuses[-1]} with Retry-After {retry_after}"
    )


# -- Exercise 2: tune the breaker ---------------------------------------------------------------

OUTAGE_START_S, OUTAGE_S, RUN_S = 0.5, 2.0, 4.0
RATE_PER_S = 20
MAX_CALLS_DURING_OUTAGE = 15
MAX_REFUSED_AFTER = RATE_PER_S  # checkouts refused after payments is back: one second's worth


def check_breaker_tuning(lab: Lab, failure_threshold: object, recovery_timeout_s: object) -> bool:
    """The exercise: at 20 checkouts/s through a 2 s payments outage, fewer than 15 calls
    reach payments during it, and after it ends at most one second's worth of checkouts
    (20) is refused before one succeeds. About 4 s."""
    if not isinstance(failure_threshold, int) or isinstance(failure_threshold, bool) or failure_threshold < 1:
        return fail(f"failure_threshold = {failure_threshold!r}", "a whole number (at least 1) of failures in a row")
    if not isinstance(recovery_timeout_s, (int, float)) or recovery_timeout_s <= 0:
        return fail(
            f"recovery_timeout_s = {recovery_timeout_s!r}", "a positive number of seconds the breaker stays open"
        )
    config = LabConfig(payments_breaker_threshold=failure_threshold, payments_breaker_recovery_s=recovery_timeout_s)
    lab.heal("payments")  # the outage below must be the only payments fault in the window
    url = lab.serve(make_shop_app(lab.service_urls, config=config), "ex09_shop")
    arrivals = lab.switches["payments"].arrivals
    try:
        lab.play(Scenario().at(OUTAGE_START_S, "payments", outage(), for_s=OUTAGE_S))
        result = run_open_loop(
            url, rate=RATE_PER_S, duration_s=RUN_S, targets=checkout(), progress=False, seed=lab.config.seed
        )
    finally:
        lab.heal("payments")
        lab.extras.pop("ex09_shop").stop()
    assert isinstance(result, LoadResult)  # not a background run
    # The outage as it really happened (the scenario's clock, not the plan), in Unix seconds.
    window = next(w for w in lab.fault_windows(since=result.started) if w.service == "payments")
    start, end = window.start, window.end if window.end is not None else time.time()
    during = sum(1 for t in arrivals if start <= t < end)
    stoppable = _calls_the_breaker_could_stop(arrivals, result, failure_threshold, start, end)
    after = sorted((r for r in result.records if r.sent >= end), key=lambda r: r.sent)
    refused = next((i for i, r in enumerate(after) if r.status == 200), None)
    if stoppable >= MAX_CALLS_DURING_OUTAGE:
        return fail(
            f"{stoppable} calls reached payments during its {OUTAGE_S:g} s outage "
            f"({during} in all, not counting those already on their way when {failure_threshold} had failed)",
            "the breaker should open soon after failures start, and while open let through only "
            "an occasional trial call",
        )
    if refused is None or refused > MAX_REFUSED_AFTER:
        waited = "none of the" if refused is None else f"{refused} of the"
        return fail(
            f"once payments was back, {waited} {len(after)} checkouts sent before the first success were refused",
            "the breaker notices that payments is back only when its trial call succeeds, "
            "and it waits recovery_timeout_s before each trial",
        )
    return ok(
        f"{stoppable} calls reached payments during the outage; after it, {refused} checkouts were refused "
        "before one succeeded"
    )


def _calls_the_breaker_could_stop(
    arrivals: Iterable[float], result: LoadResult, threshold: int, start: float, end: float
) -> int:
    """Calls to payments in the outage, less those already on their way when the breaker had seen
    ``threshold`` failures: the threshold's own calls, plus every call after it.

    The breaker counts a failure when the call comes back, at about the time the checkout ends in a
    5xx. On a busy machine a stall holds checkouts back and lets them go together, all on their way
    before the first failure returns: 17 calls for a breaker that opened at its fifth failure.
    """
    calls = sorted(t for t in arrivals if start <= t < end)
    failed = sorted(r.sent + r.service_time_s for r in result.records if r.status >= 500 and r.sent < end)
    opened = failed[threshold - 1] if len(failed) >= threshold else end
    return min(sum(t <= opened for t in calls), threshold) + sum(t > opened for t in calls)


# -- Exercise 3: retries with backoff and jitter, inside a breaker -------------------------------

BURST = 16  # concurrent checkouts per burst: enough to see whether retries are spread
MAX_TRIES = 4
DEADLINE_S = 8.0


class _Recorder:
    """The ``call_payments`` given to the learner: a real call to payments, recording when each
    try of each checkout began and ended (a checkout is known by its ``amount_cents``)."""

    def __init__(self, downstream: Downstream) -> None:
        self.downstream = downstream
        self.tries: dict[int, list[tuple[float, float]]] = {}
        self.runaway = asyncio.Event()  # set when a checkout goes far past the tries allowed

    async def __call__(self, payload: dict[str, Any]) -> httpx.Response:
        key = int(payload.get("amount_cents", 0))
        tries = self.tries.setdefault(key, [])
        began = time.monotonic()
        if len(tries) >= 3 * MAX_TRIES:
            self.runaway.set()
            await asyncio.sleep(0.01)  # a retry loop without a bound: yield, so it can be stopped
            tries.append((began, time.monotonic()))
            raise DownstreamError("payments", "error", "HTTP 503 (not sent: too many tries)", may_have_acted=False)
        try:
            return await self.downstream.call("payments", "POST", "/charges", json=payload, expect=(200, 402))
        finally:
            tries.append((began, time.monotonic()))


def _upper_quartile(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, (3 * len(ordered)) // 4)]


def _rank_agreement(first: Sequence[float], second: Sequence[float]) -> float:
    """Kendall's tau between two orderings of the same items: 1 = same order, about 0 = shuffled."""
    pairs = [(i, j) for i in range(len(first)) for j in range(i + 1, len(first))]
    if not pairs:
        return 0.0
    score = sum(1 if (first[i] - first[j]) * (second[i] - second[j]) > 0 else -1 for i, j in pairs)
    return score / len(pairs)


async def _bursts(make_charge: Callable[..., Any], payments_url: str, go_down: Callable[[], None]) -> dict[str, Any]:
    """One checkout with payments up; then payments goes down and two bursts of checkouts follow."""
    downstream = Downstream({"payments": payments_url}, {"payments": 2.0}, ShopMetrics())
    recorder = _Recorder(downstream)
    report: dict[str, Any] = {"recorder": recorder}
    try:
        try:
            charge = make_charge(recorder)
        except Exception as error:  # the learner's factory
            report["error"] = f"make_my_charge raised {type(error).__name__}: {error}"
            return report
        if as_function(charge) is None:
            report["error"] = f"make_my_charge returned {charge!r}, not a function"
            return report
        healthy = charge({"amount_cents": 1, "card": GOOD_CARD})
        if not inspect.isawaitable(healthy):
            report["error"] = "the charge it returned is not async: calling it gave no awaitable"
            return report
        try:
            report["healthy"] = await asyncio.wait_for(healthy, DEADLINE_S)
        except Exception as error:
            report["healthy"] = error
            return report
        go_down()
        async with asyncio.timeout(DEADLINE_S):
            for burst, base in (("first", 100), ("second", 200)):
                checkouts = asyncio.gather(
                    *(charge({"amount_cents": base + i, "card": GOOD_CARD}) for i in range(BURST)),
                    return_exceptions=True,
                )
                runaway: asyncio.Future[Any] = asyncio.ensure_future(recorder.runaway.wait())
                await asyncio.wait([checkouts, runaway], return_when=asyncio.FIRST_COMPLETED)
                runaway.cancel()
                if not checkouts.done():  # retrying without end: stop it here
                    checkouts.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await checkouts
                    report["timeout"] = True
                    return report
                report[burst] = checkouts.result()
    except TimeoutError:
        report["timeout"] = True
    finally:
        await downstream.aclose()
    return report


def check_retries_in_breaker(lab: Lab, make_my_charge: object) -> bool:
    """The exercise: ``make_my_charge(call_payments)`` returns an async ``charge(payload)`` that
    retries the service's failures (at most 4 tries in all) with exponential backoff and full
    jitter, inside a circuit breaker. Judged by the calls that reach a dead payments service:
    how many per checkout, in what order they come back, and how many once the breaker has
    seen enough. About 1 s."""
    function = as_function(make_my_charge)
    if function is None:
        return fail(
            f"expected a function, got {type(make_my_charge).__name__}",
            "def make_my_charge(call_payments): ... returning an async charge(payload)",
        )
    lab.heal("payments")
    try:
        report = run_sync(
            _bursts, function, lab.service_urls["payments"], lambda: lab.inject("payments", outage()),
            name="lab-ex09-retries",
        )  # fmt: skip
    finally:
        lab.heal("payments")
    return _judge_retries(report)


def _judge_retries(report: dict[str, Any]) -> bool:
    if "error" in report:
        return fail(report["error"], "make_my_charge returns the async def charge(payload) it built")
    recorder: _Recorder = report["recorder"]
    healthy = report.get("healthy")
    if not isinstance(healthy, httpx.Response) or healthy.status_code != 200:
        what = (
            f"raised {type(healthy).__name__}: {healthy}"
            if isinstance(healthy, BaseException)
            else f"returned {healthy!r}"
        )
        return fail(
            f"with payments up, charge {what}",
            "return what call_payments returns when it succeeds",
        )
    if len(recorder.tries.get(1, [])) != 1:
        return fail(
            f"a charge that succeeded made {len(recorder.tries.get(1, []))} calls",
            "retry only when a try failed",
        )
    tries = {key: recorder.tries.get(key, []) for key in range(100, 100 + BURST)}
    most = max(len(t) for t in tries.values())
    if "first" not in report and not report.get("timeout"):
        return fail("the checkouts did not finish", "let every checkout end, with an answer or an exception")
    if report.get("timeout") or most > MAX_TRIES:
        return fail(
            f"a checkout made {most} tries to a dead service{' and was still going' if report.get('timeout') else ''}",
            "stop after a number of attempts (tenacity's default is to retry forever)",
        )
    fewest = min(len(t) for t in tries.values())
    if fewest < 2:
        return fail(
            f"some checkouts made only {fewest} try to a service that failed",
            "retry the service's failures, and put the retrying inside the breaker, so that a breaker "
            "opening does not cut a checkout's retries short",
        )
    returned = [r for r in report["first"] if not isinstance(r, BaseException)]
    if returned:
        return fail(
            f"{len(returned)} checkouts returned {returned[0]!r} though every try failed",
            "after the last try, let its exception through (reraise=True), so the checkout can say it failed",
        )
    # Jitter: with the same wait for everyone, retries come back in the order the tries failed.
    steps = range(1, fewest)
    agreement = sum(
        _rank_agreement([t[step - 1][1] for t in tries.values()], [t[step][0] for t in tries.values()])
        for step in steps
    ) / len(steps)
    if agreement > 0.8:
        return fail(
            f"the retries reached payments in the same order as the tries that failed (rank agreement "
            f"{agreement:.2f}): clients that fail together retry together",
            "wait a random time before each retry (full jitter: anywhere between no wait and the backoff)",
        )
    # Exponential: the waits before the last retry are longer than before the first. Compared by
    # their upper quartiles, not their maxima: on a busy machine one late wake-up stretches a
    # maximum, and a flat random wait must not pass for a growing one by luck.
    if fewest >= 3:
        first_waits = [t[1][0] - t[0][1] for t in tries.values()]
        last_waits = [t[fewest - 1][0] - t[fewest - 2][1] for t in tries.values()]
        if _upper_quartile(last_waits) < 2 * _upper_quartile(first_waits):
            return fail(
                "the waits before later retries were no longer than before the first",
                "let the range of the random wait grow with each try (exponential backoff, with a cap)",
            )
    sent = sum(len(t) for t in tries.values())
    second = sum(len(recorder.tries.get(key, [])) for key in range(200, 200 + BURST))
    if second > MAX_TRIES:
        return fail(
            f"the next {BURST} checkouts sent {second} calls to payments, which had just failed {sent} in a row",
            "wrap the retrying call in a circuit breaker that counts the service's failures: "
            "an open breaker calls nothing",
        )
    return ok(
        f"{BURST} checkouts made {sent} calls, retries spread out (rank agreement {agreement:.2f}) "
        f"with growing waits; the next {BURST} made {second}"
    )
