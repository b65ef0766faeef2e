"""Exercises for notebook 08 (rate limiting): a client that honours Retry-After, a slowapi key
and limit for API-key tiers, and a limit that holds at the window edge and against a spoofed header.

Each checker judges what the learner's code causes: requests a scripted server saw, or the
statuses a real slowapi app answered to bursts from several client identities. Bursts are
concurrent and limits are moving windows, so counts do not depend on how fast the machine is.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import httpx
from fastapi import Depends, FastAPI, Request
from limits import parse_many
from slowapi import Limiter, _rate_limit_exceeded_handler
from slowapi.errors import RateLimitExceeded
from starlette.responses import JSONResponse, Response

from ..aio import run_sync
from ..config import LabConfig
from ..lab import Lab
from ..load import LoadResult, run_open_loop, send_bursts
from ..shop import make_shop_app
from ..shop.items import require_api_key
from .calls import as_function, parameters
from .feedback import fail, ok

__all__ = ["check_limit_config", "check_polite_client", "check_tier_keys"]

LIMIT_PER_S = 10
RETRY_AFTER_S = 2  # what the scripted server asks a polite client to wait
EARLY_SLACK_S = 0.05  # a timer may wake a few ms early; a real early retry is a second or more early
TIER_LIMITS = dict(LabConfig().tier_limits)  # the shop's tiers: {"free": "5/second", "paid": "50/second"}
STUBBORN_CAP = 20  # the "never" round ends after this many requests, so a loop without a bound still stops


# -- Exercise 1: a client that honours Retry-After ----------------------------------------------


class _Doorman:
    """A scripted server: "wait" answers 429 + Retry-After once, then 200 to the first request that
    waited long enough (an earlier one is counted and refused again); "never" refuses every request
    with ``Retry-After: 0`` (come back whenever you like: still no), up to ``STUBBORN_CAP``."""

    def __init__(self) -> None:
        self.mode = "wait"
        self.requests = 0
        self.early = 0
        self.blocked_until: float | None = None

    def reset(self, mode: str) -> None:
        self.mode, self.requests, self.early, self.blocked_until = mode, 0, 0, None

    def answer(self) -> Response:
        now = time.monotonic()
        self.requests += 1
        if self.mode == "never":
            if self.requests >= STUBBORN_CAP:
                return JSONResponse({"items": []})
            return JSONResponse({"detail": "busy"}, 429, headers={"Retry-After": "0"})
        if self.blocked_until is None:
            self.blocked_until = now + RETRY_AFTER_S
            return JSONResponse({"detail": "too many requests"}, 429, headers={"Retry-After": str(RETRY_AFTER_S)})
        if now < self.blocked_until - EARLY_SLACK_S:
            self.early += 1
            remaining = str(math.ceil(self.blocked_until - now))
            return JSONResponse({"detail": "too many requests"}, 429, headers={"Retry-After": remaining})
        return JSONResponse({"items": []})


def _doorman_app(doorman: _Doorman) -> FastAPI:
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)

    @app.get("/items")
    def items() -> Response:  # a plain def: its requests are handled one at a time, in order
        return doorman.answer()

    return app


def check_polite_client(lab: Lab, get_politely: object) -> bool:
    """The exercise: ``get_politely(client, url)`` GETs ``url``; after a 429 it waits what
    ``Retry-After`` says before asking again, gives up after a few refusals, and returns the
    last response. Judged by what a scripted server sees (about 2 s)."""
    function = as_function(get_politely)
    if function is None:
        return fail(
            f"expected a function, got {type(get_politely).__name__}",
            "def get_politely(client, url): ... returning the response",
        )
    doorman = _Doorman()
    url = lab.serve(_doorman_app(doorman), "ex08_doorman") + "/items"
    try:
        with httpx.Client(timeout=10) as client:
            doorman.reset("wait")
            waited = _call(function, client, url)
            requests, early = doorman.requests, doorman.early
            if not _waited_well(waited, requests, early):
                return False
            doorman.reset("never")
            refused = _call(function, client, url)
            never_requests = doorman.requests
    finally:
        lab.extras.pop("ex08_doorman").stop()
    if never_requests >= STUBBORN_CAP:
        return fail(
            f"against a server that kept answering 429, it asked {never_requests} times and would have gone on",
            "give up after a few tries and return the last answer: the caller decides what to do next",
        )
    if isinstance(refused, BaseException) and not isinstance(refused, httpx.HTTPStatusError):
        return fail(
            f"when the server kept refusing, get_politely raised {type(refused).__name__}: {refused}",
            "after the last try, return the last response (or raise_for_status() on it)",
        )
    return ok(
        f"it waited out Retry-After ({requests} requests, none early), and gave up after "
        f"{never_requests} tries when the server kept refusing"
    )


def _waited_well(waited: object, requests: int, early: int) -> bool:
    """The "wait" round: True if it went right, else False with what went wrong printed."""
    if isinstance(waited, BaseException):
        return fail(
            f"get_politely raised {type(waited).__name__}: {waited}",
            "a 429 is an answer, not a crash: read its Retry-After header, wait, and ask again",
        )
    if not isinstance(waited, httpx.Response):
        return fail(
            f"get_politely returned {waited!r}, not a response",
            "return the last httpx.Response it got, so the caller can read it",
        )
    if early:
        return fail(
            f"{early} of {requests} requests came back before the {RETRY_AFTER_S} s of Retry-After had passed",
            "read the number of seconds in the 429's Retry-After header and wait that long before the next try",
        )
    if waited.status_code != 200:
        return fail(
            f"it returned a {waited.status_code} after {requests} request(s), though the server said when to come back",
            "after a 429, wait what Retry-After says, then ask again",
        )
    return True


def _call(function: Callable[..., Any], *args: object) -> Any:
    try:
        return function(*args)
    except Exception as error:  # the learner's code: report it, never a traceback
        return error


# -- Exercise 2: a key function and a limit function for tiers -----------------------------------


def _fake_request(key: str, address: str) -> Request:
    """A request as slowapi's functions see it: ``Authorization: Bearer <key>`` from ``address``."""
    scope = {
        "type": "http",
        "method": "GET",
        "path": "/v1/items",
        "headers": [(b"authorization", f"Bearer {key}".encode())],
        "client": (address, 40000),
        "query_string": b"",
    }
    return Request(scope)


def _tier_app(key_of: Callable[..., str], limit_for: Callable[..., str]) -> FastAPI:
    # A moving window: a burst counts the same wherever it falls in the second.
    limiter = Limiter(key_func=key_of, strategy="moving-window")
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    app.state.limiter = limiter
    app.add_exception_handler(RateLimitExceeded, _rate_limit_exceeded_handler)  # type: ignore[arg-type]

    @app.get("/v1/items", dependencies=[Depends(require_api_key)])
    @limiter.limit(limit_for, key_func=key_of)
    async def items(request: Request) -> dict[str, object]:
        return {"items": []}

    return app


def check_tier_keys(lab: Lab, key_of: object, limit_for: object) -> bool:
    """The exercise: slowapi's key function ``key_of(request)`` and limit function
    ``limit_for(key)`` give each API key its own budget, by its tier (free 5/s, paid 50/s).
    Judged by bursts from three keys, one of them on two addresses (about 1 s)."""
    key_func, limit_func = as_function(key_of), as_function(limit_for)
    for name, given, function, parameter in (
        ("key_of", key_of, key_func, "request"),
        ("limit_for", limit_for, limit_func, "key"),
    ):
        if function is None:
            return fail(f"{name} is {given!r}, not a function", f"def {name}({parameter}): ...")
        if parameter not in parameters(function):
            return fail(
                f"{name} has no parameter called {parameter!r}",
                f"slowapi passes the {parameter} only to a parameter with exactly that name",
            )
    assert key_func is not None and limit_func is not None
    key = _call(key_func, _fake_request("free-key-ada", "127.0.0.71"))
    if not isinstance(key, str) or not key:
        what = f"raised {type(key).__name__}: {key}" if isinstance(key, BaseException) else f"returned {key!r}"
        return fail(
            f"key_of {what} for a request with 'Authorization: Bearer free-key-ada'",
            "return a non-empty string that names the client; slowapi counts one budget per distinct string",
        )
    limit = _call(limit_func, key)
    try:
        parse_many(limit)  # type: ignore[arg-type]
    except Exception:
        what = f"raised {type(limit).__name__}: {limit}" if isinstance(limit, BaseException) else f"returned {limit!r}"
        return fail(
            f"limit_for({key!r}) {what}",
            "return a limit in the limits notation ('N/second') for the tier of the key key_of found "
            "(TIER_OF_KEY maps a key to its tier)",
        )
    base = lab.serve(_tier_app(key_func, limit_func), "ex08_tiers")
    url = base + "/v1/items"

    def bearer(key: str) -> dict[str, str]:
        return {"authorization": f"Bearer {key}"}

    try:
        # Sequential bursts, each concurrent: ada from two addresses at once, then bob, then cyd.
        ada = _burst(url, [("127.0.0.71", bearer("free-key-ada"))] * 6 + [("127.0.0.72", bearer("free-key-ada"))] * 6)
        bob = _burst(url, [("127.0.0.73", bearer("free-key-bob"))] * 12)
        cyd = _burst(url, [("127.0.0.74", bearer("paid-key-cyd"))] * 12)
    finally:
        lab.extras.pop("ex08_tiers").stop()
    passed = {name: statuses.count(200) for name, statuses in (("ada", ada), ("bob", bob), ("cyd", cyd))}
    errors = sorted({s for s in ada + bob + cyd if s >= 500})
    if errors:
        return fail(
            f"the app answered {errors}: key_of or limit_for raised for one of the requests",
            "key_of must return the API key for every request with a known key, and limit_for must accept it",
        )
    free_limit = _per_second(TIER_LIMITS["free"])
    if passed["ada"] > free_limit:
        return fail(
            f"free-key-ada, sending 12 at once from two addresses, got {passed['ada']} through",
            "one budget per key: key_of must return the API key itself (not the address), and limit_for must "
            "give a free key its tier's limit",
        )
    if passed["bob"] == 0:
        return fail(
            "free-key-bob got nothing through after free-key-ada's burst: the two keys share one budget",
            "key_of must return something that differs from key to key (the key itself, not its tier)",
        )
    if passed["cyd"] < 12:
        return fail(
            f"paid-key-cyd got {passed['cyd']} of 12 through, like a free key",
            "limit_for(key) must look up the key's tier (TIER_OF_KEY) and return that tier's limit",
        )
    return ok(
        f"free-key-ada {passed['ada']} of 12 from two addresses, free-key-bob {passed['bob']} of 12, "
        f"paid-key-cyd {passed['cyd']} of 12"
    )


def _per_second(limit: str) -> int:
    item = parse_many(limit)[0]
    return int(item.amount / item.get_expiry())


def _burst(url: str, requests: Sequence[tuple[str, Mapping[str, str]]]) -> list[int]:
    """One GET per (source address, headers), all at once; the statuses, in order.

    Each source address is its own client, connected before the burst, so the burst itself
    lands within milliseconds even on a busy machine.
    """

    async def run() -> list[int]:
        sources = sorted({source for source, _ in requests})
        clients = {
            s: httpx.AsyncClient(transport=httpx.AsyncHTTPTransport(local_address=s), timeout=10) for s in sources
        }
        try:
            for client in clients.values():
                await client.get(httpx.URL(url).join("/health"))  # connect first (a 404 is fine)
            answers = await asyncio.gather(*(clients[s].get(url, headers=dict(h)) for s, h in requests))
            return [a.status_code for a in answers]
        finally:
            for client in clients.values():
                await client.aclose()

    return run_sync(run, name="lab-ex08-burst")


# -- Exercise 3: a limit that holds -------------------------------------------------------------


def check_limit_config(lab: Lab, config: object) -> bool:
    """The exercise: with ``config``, /items lets no client through more than 10 times in any
    second (even bursting at a window boundary), never rejects a client sending 7 per second,
    and gives a spoofed X-Forwarded-For nothing extra. Measured against a shop built from it."""
    if not isinstance(config, LabConfig):
        return fail(f"expected a LabConfig, got {type(config).__name__}", "my_config = LabConfig(items_limit=..., ...)")
    base = lab.serve(make_shop_app(lab.service_urls, config=config), "ex08_shop")
    url = base + "/items"
    try:
        bursts = send_bursts(url, [(0, 1), (0.9, 15), (1.05, 15)], source="127.0.0.30")
        steady = run_open_loop(base, rate=7, duration_s=2, targets="/items", progress=False, seed=lab.config.seed)
        # 30 at once from one address, each with a different made-up X-Forwarded-For.
        sent = time.monotonic()
        spoofed = _burst(url, [("127.0.0.32", {"x-forwarded-for": f"10.0.0.{i}"}) for i in range(30)])
        # On a busy machine the 30 may take over a second to serve, and a limit that holds then lets
        # another 10 through in each further second: the bound counts the seconds the burst took.
        spoof_bound = LIMIT_PER_S * (1 + int(time.monotonic() - sent))
    finally:
        lab.extras.pop("ex08_shop").stop()
    assert isinstance(steady, LoadResult)  # not a background run
    # The two late bursts are sent 0.15 s apart, so in any limit that holds they share one second:
    # at most 10 of their 30 may pass. On a busy machine they can take longer to serve (the second
    # waits for the first): each request was let in between its send and its answer, so the bound
    # counts the seconds from the first send to the last answer, as for the spoofed burst below.
    late = bursts[bursts["t"] >= 0.5]
    span = float((late["t"] + late["latency_s"]).max() - late["t"].min())
    peak = int((late["status"] == 200).sum())
    if peak > LIMIT_PER_S * (1 + int(span)):
        return fail(
            f"{peak} requests of one client got through within {span:.2f} s, across a window edge",
            "how the limit counts matters at a window's edge: compare the rate_limit_strategy options",
        )
    rejected = sum(1 for r in steady.records if r.status == 429)
    if rejected:
        return fail(
            f"a client sending 7 requests per second got {rejected} 429s",
            "the limit is tighter than the task asks: an honest client must fit in it",
        )
    if spoofed.count(200) > spoof_bound:
        return fail(
            f"{spoofed.count(200)} of 30 requests with made-up X-Forwarded-For headers got through",
            "key the limit by the connection's address, and trust the header only from known proxies",
        )
    return ok(
        f"{peak} of the 30 at the window edge; 7/s never rejected; spoofing got {spoofed.count(200)} of 30 through"
    )
