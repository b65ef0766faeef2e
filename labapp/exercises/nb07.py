"""Exercises for notebook 07 (graceful degradation): write the fallback, set the timeout from
the dependency's own latency, and bound a stale cache by age.

Each checker serves a small product page around the learner's code, injects faults into the
lab's real recommender, and judges the pages that come back (status, ``degraded``, what was
served), counts and calls rather than milliseconds.
"""

from __future__ import annotations

import inspect
import logging
import statistics
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

import httpx
from fastapi import FastAPI
from fastapi.responses import JSONResponse
from prometheus_client import CollectorRegistry, Counter

from ..config import LabConfig
from ..faults import Fault, latency, outage
from ..lab import Lab
from ..shop import make_shop_app
from .feedback import fail, ok
from .puzzle import puzzle_rng

__all__ = [
    "PAGE_BUDGET_S",
    "STALLED_RECOMMENDER_S",
    "check_fallback",
    "check_recommender_timeout",
    "check_stale_cache",
    "healthy_recommender",
]

STALLED_RECOMMENDER_S = 2.0
PAGE_BUDGET_S = 0.25
_MAX_DEGRADED_WHEN_HEALTHY = 0.05
_NOMINAL_FAST_PAGE_S = 0.02  # a page whose recommender fails at once, on an idle machine
_CLIENT_TIMEOUT_S = 0.2  # the recommender client the fallback exercise hands the learner
_OTHER_LOGGERS = ("uvicorn", "httpx", "httpcore", "asyncio")


def healthy_recommender(learner: str | None = None) -> Fault:
    """This learner's recommender on a normal day: its own base latency and jitter.

    Different for each learner (so a neighbour's timeout is no answer), the same on re-runs.
    """
    rng = puzzle_rng("nb07-recommender-latency", learner)
    return latency(round(rng.uniform(0.02, 0.06), 3), jitter_s=round(rng.uniform(0.02, 0.05), 3))


# -- Exercise 1: the fallback -------------------------------------------------------------


def check_fallback(lab: Lab, recommendations_for: object) -> bool:
    """The exercise: ``async def recommendations_for(client, product_id, fallbacks) -> dict``.

    Served inside a product page, with the recommender healthy, down, then stalled
    (its client gives up after 0.2 s): every page must come back, with live
    recommendations when healthy and ``degraded: True`` otherwise; each fallback is
    counted on ``fallbacks`` (a prometheus Counter) and logged as a warning.
    """
    if not inspect.iscoroutinefunction(recommendations_for):
        return fail(
            f"recommendations_for is {type(recommendations_for).__name__}, not an async function",
            "define it with `async def recommendations_for(client, product_id, fallbacks):` and pass the function",
        )
    fallbacks = Counter("ex07_fallbacks", "Fallbacks served", registry=CollectorRegistry())
    crashes: dict[int, str] = {}  # product id -> what the learner's function did wrong

    async def part(client: httpx.AsyncClient, product_id: int) -> dict[str, Any]:
        try:
            answer = await recommendations_for(client, product_id, fallbacks)  # type: ignore[operator]
        except Exception as exc:
            crashes[product_id] = f"{type(exc).__name__}: {exc}"
            raise
        if not isinstance(answer, dict):
            crashes[product_id] = f"it returned {type(answer).__name__}, not a dict"
            raise TypeError("not a dict")
        return answer

    url = lab.serve(_page_app(lab, part, _CLIENT_TIMEOUT_S), "ex07_fallback")
    try:
        with _warnings() as warned:
            phases = {
                "healthy": _pages(lab, url, None, range(1, 9)),
                "down": _pages(lab, url, outage(), range(11, 19)),
                "stalled": _pages(lab, url, latency(STALLED_RECOMMENDER_S), range(21, 25)),
            }
    finally:
        lab.heal("recommender")
        lab.extras.pop("ex07_fallback").stop()
    for phase, pages in phases.items():
        failed = [p for p in pages if p.get("status") != 200]
        if failed:
            crash = crashes.get(failed[0]["id"], "")
            return fail(
                f"recommender {phase}: {len(failed)} of {len(pages)} pages failed, "
                f"e.g. HTTP {failed[0]['status']}" + (f" ({crash})" if crash else ""),
                _hint_for(phase, crash),
            )
    for page in phases["healthy"]:
        if page.get("degraded") is not False or not page.get("recommendations"):
            return fail(
                "with a healthy recommender a page came back without live recommendations: "
                f"degraded={page.get('degraded')!r}, recommendations={page.get('recommendations')!r}",
                "on success return the recommender's items and degraded=False; fall back only when the call fails",
            )
    for phase in ("down", "stalled"):
        for page in phases[phase]:
            if page.get("degraded") is not True:
                return fail(
                    f"recommender {phase}: the page came back with degraded={page.get('degraded')!r}",
                    "a fallback the client cannot see is a silent outage: the answer must say degraded=True",
                )
            if not isinstance(page.get("recommendations"), list):
                return fail(
                    f"recommender {phase}: recommendations={page.get('recommendations')!r}",
                    "still give the page a list (empty is fine), so its template has nothing new to handle",
                )
    served = len(phases["down"]) + len(phases["stalled"])
    counted = int(fallbacks._value.get())
    if counted != served:
        return fail(
            f"{served} pages were served a fallback, fallbacks counted {counted}",
            "call fallbacks.inc() once for each fallback, and only then: a dashboard plots its rate",
        )
    if len(warned) < served:
        return fail(
            f"{served} fallbacks, {len(warned)} warnings logged",
            "log a warning with the reason each time you fall back (as the seed does), so someone can find out why",
        )
    return ok(
        f"all {sum(map(len, phases.values()))} pages came back: live when healthy, degraded when the recommender "
        f"was down or stalled; {counted} fallbacks counted and logged"
    )


def _hint_for(phase: str, crash: str) -> str:
    if phase == "healthy":
        return "a healthy recommender answers {'items': [...]}: return those items, with degraded=False"
    if "Timeout" in crash:
        return "a stall surfaces as a timeout exception: catch it like any other failure of the call"
    return "wrap the call in try/except and return a fallback; a 503 is not an exception until raise_for_status()"


# -- Exercise 2: the timeout ---------------------------------------------------------------


def check_recommender_timeout(lab: Lab, timeout_s: object) -> bool:
    """The exercise: with ``timeout_s``, healthy pages keep their recommendations and a stall stays in budget.

    A shop with that timeout gets 40 pages while the recommender has this learner's
    normal latency (:func:`healthy_recommender`): at most 5% may be degraded. Then 10
    pages while it fails at once (the page's own cost on this machine, now) and 10
    while it stalls for 2 s: the stalled pages may take at most the budget, plus however
    much slower than usual the fast pages were (so a busy machine does not fail you).
    """
    if isinstance(timeout_s, bool) or not isinstance(timeout_s, (int, float)) or timeout_s <= 0:
        return fail(f"timeout_s = {timeout_s!r}", "a positive number of seconds (a float), set from what you measured")
    shop = lab.serve(make_shop_app(lab.service_urls, config=LabConfig(recommender_timeout_s=timeout_s)), "ex07_shop")
    healthy = healthy_recommender()
    try:
        healthy_pages = _pages(lab, shop, healthy, range(1, 41))
        fast = _pages(lab, shop, outage(), range(41, 51))
        stalled = _pages(lab, shop, latency(STALLED_RECOMMENDER_S), range(51, 61))
    finally:
        lab.heal("recommender")
        lab.extras.pop("ex07_shop").stop()
    degraded = sum(bool(p.get("degraded")) for p in healthy_pages) / len(healthy_pages)
    fast_p50 = statistics.median(p["elapsed_s"] for p in fast)
    stalled_p50 = statistics.median(p["elapsed_s"] for p in stalled)
    allowed = PAGE_BUDGET_S + max(0.0, fast_p50 - _NOMINAL_FAST_PAGE_S)
    if degraded > _MAX_DEGRADED_WHEN_HEALTHY:
        return fail(
            f"with {timeout_s:.3g} s, {degraded:.0%} of pages lost their recommendations with a healthy recommender",
            "the timeout must sit above the recommender's normal latency, including its slowest ordinary answers: "
            "measure them (a high percentile, not the average) and leave room",
        )
    if stalled_p50 > allowed:
        return fail(
            f"with {timeout_s:.3g} s, pages took {stalled_p50 * 1000:.0f} ms (median) while the recommender stalled; "
            f"the budget allows {allowed * 1000:.0f} ms on this machine right now",
            "during a stall every page waits out the whole timeout, on top of the catalog: "
            "the timeout must fit in the page budget minus what the rest of the page costs",
        )
    return ok(
        f"{timeout_s:.3g} s: {degraded:.0%} degraded when healthy; pages in {stalled_p50 * 1000:.0f} ms (median) "
        f"during the stall, within {allowed * 1000:.0f} ms"
    )


# -- Exercise 3: a stale cache with a maximum age ------------------------------------------


class _FakeClock:
    """A clock the checker moves by hand: ages without waiting, the same on any machine."""

    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


def check_stale_cache(lab: Lab, cache_class: object, max_age_s: float = 60.0) -> bool:
    """The exercise: ``cache_class(max_age_s, clock)`` with ``put(key, value)`` and
    ``get(key) -> (value, age_s) | None``, where ``clock()`` is the time in seconds.

    Served behind a product page: pages warm it while the recommender is healthy; during
    an outage the warmed products must be served from the cache with their age, the
    others with nothing; once the entries are older than ``max_age_s`` (the checker moves
    the clock) nothing stale may be served, and a recovered recommender refreshes them.
    """
    if not isinstance(cache_class, type):
        return fail(f"cache_class is {type(cache_class).__name__}", "pass the class itself, not an instance")
    clock = _FakeClock()
    try:
        cache = cache_class(max_age_s, clock)
    except Exception as exc:
        return fail(
            f"{cache_class.__name__}(max_age_s, clock) raised {type(exc).__name__}: {exc}",
            "its __init__ takes the maximum age in seconds and a clock function (time.monotonic by default)",
        )
    if not callable(getattr(cache, "put", None)) or not callable(getattr(cache, "get", None)):
        return fail(f"{cache_class.__name__} lacks put() or get()", "write put(key, value) and get(key)")
    crashes: list[str] = []

    async def part(client: httpx.AsyncClient, product_id: int) -> dict[str, Any]:
        try:
            response = await client.get(f"/recommendations/{product_id}")
            response.raise_for_status()
            items = response.json()["items"]
        except httpx.HTTPError:
            try:
                hit = cache.get(product_id)
                if hit is None:
                    return {"recommendations": [], "degraded": True, "source": "none"}
                value, age_s = hit
            except Exception as exc:
                crashes.append(f"get() raised or returned something else: {type(exc).__name__}: {exc}")
                raise
            return {"recommendations": value, "degraded": True, "source": "cache", "age_s": age_s}
        try:
            cache.put(product_id, items)
        except Exception as exc:
            crashes.append(f"put() raised {type(exc).__name__}: {exc}")
            raise
        return {"recommendations": items, "degraded": False, "source": "live"}

    warm, cold = range(1, 11), range(11, 16)
    url = lab.serve(_page_app(lab, part, 1.0), "ex07_cache")
    try:
        _pages(lab, url, None, warm)  # visited on a good day
        clock.now += max_age_s / 2
        half = _pages(lab, url, outage(), [*warm, *cold])
        clock.now += max_age_s  # now 1.5 × max_age since they were stored
        old = _pages(lab, url, outage(), warm)
        fresh = _pages(lab, url, None, warm[:3])  # the recommender is back: live again, cache refreshed
        after = _pages(lab, url, outage(), warm[:3])
    finally:
        lab.heal("recommender")
        lab.extras.pop("ex07_cache").stop()
    every = [*half, *old, *fresh, *after]
    if any(p.get("status") != 200 for p in every):
        return fail(f"some pages failed ({crashes[-1] if crashes else 'HTTP 500'})",
                    "get() returns (value, age_s) or None, and put() stores; neither should raise")  # fmt: skip
    warmed, unseen = half[: len(warm)], half[len(warm) :]
    if any(p["source"] != "cache" for p in warmed):
        return fail(
            "during the outage a product visited before it, and younger than max_age, got no recommendations",
            "put() keeps what the recommender said; get() gives it back while it is younger than max_age_s",
        )
    ages = [p.get("age_s") for p in warmed]
    if any(not isinstance(a, (int, float)) or abs(a - max_age_s / 2) > 1e-6 * max(1.0, max_age_s) for a in ages):
        return fail(
            f"the cache said its entries were {ages[0]!r} s old; by its clock they were {max_age_s / 2:g} s",
            "store the clock's time with each value (clock(), not time.time()) and return now - stored",
        )
    if any(p["source"] != "none" for p in unseen):
        return fail("a product never seen before got cached recommendations", "get() of an unknown key returns None")
    if any(p["source"] != "none" for p in old):
        return fail(
            f"entries {1.5 * max_age_s:g} s old were still served (max_age_s={max_age_s:g})",
            "get() must refuse entries older than max_age_s: stale beyond the bound is wrong, not just old",
        )
    if any(p["source"] != "live" for p in fresh) or any(p["source"] != "cache" or p["age_s"] != 0 for p in after):
        return fail(
            "after the recommender came back, its new answers did not replace the old entries",
            "every success must overwrite the entry and its time",
        )
    return ok(
        f"warm products served from the cache at {max_age_s / 2:g} s old, none past {max_age_s:g} s, "
        "unknown products got none, and fresh answers replaced old ones"
    )


# -- shared: a small product page around one recommendations part -------------------------


_Part = Callable[[httpx.AsyncClient, int], Any]


def _page_app(lab: Lab, part: _Part, recommender_timeout_s: float) -> FastAPI:
    """A product page: the catalog (essential) and ``part`` (recommendations), over real HTTP."""
    clients: dict[str, httpx.AsyncClient] = {}

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        clients["catalog"] = httpx.AsyncClient(base_url=lab.service_urls["catalog"], timeout=1.0)
        clients["recommender"] = httpx.AsyncClient(
            base_url=lab.service_urls["recommender"], timeout=recommender_timeout_s
        )
        yield
        for client in clients.values():
            await client.aclose()

    app = FastAPI(lifespan=lifespan)

    @app.get("/products/{product_id}")
    async def page(product_id: int) -> Any:
        product = (await clients["catalog"].get(f"/products/{product_id}")).json()
        try:
            return {"product": product, **await part(clients["recommender"], product_id)}
        except Exception as exc:  # the learner's code failed: a 500 with its reason, no traceback in the notebook
            return JSONResponse({"error": f"{type(exc).__name__}: {exc}"}, status_code=500)

    return app


def _pages(lab: Lab, url: str, fault: Fault | None, ids: Any) -> list[dict[str, Any]]:
    """Set the recommender's fault (None: healthy), fetch each product page in turn."""
    if fault is None:
        lab.heal("recommender")
    else:
        lab.inject("recommender", fault)
    pages = []
    with httpx.Client(timeout=10) as client:
        for i in ids:
            started = time.perf_counter()
            response = client.get(f"{url}/products/{i}")
            body = response.json() if response.headers.get("content-type", "").startswith("application/json") else {}
            page = body if isinstance(body, dict) else {}
            pages.append({**page, "id": i, "status": response.status_code, "elapsed_s": time.perf_counter() - started})
    return pages


@contextmanager
def _warnings() -> Iterator[list[logging.LogRecord]]:
    """Warnings logged by anyone but the servers and HTTP libraries, while it runs."""
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if record.levelno >= logging.WARNING and not record.name.startswith(_OTHER_LOGGERS):
                records.append(record)

    root, handler = logging.getLogger(), Keep(logging.WARNING)
    level = root.level
    root.addHandler(handler)
    root.setLevel(min(level or logging.WARNING, logging.WARNING))
    try:
        yield records
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
