"""The item list, three ways: rate-limited per client, per API key with tiers, and queued."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response
from slowapi import Limiter

from ..config import LabConfig
from ..ratelimit import TIER_OF_KEY, Throttle, api_key
from .downstream import DownstreamError

__all__ = ["make_items_router"]


async def _catalog_page(request: Request, page: Page) -> dict[str, object]:
    try:
        answer = await request.app.state.downstream.call(
            "catalog", "GET", "/products", params={"offset": page.offset, "limit": page.limit}, fields=("items",)
        )
    except DownstreamError as exc:
        raise HTTPException(
            503, f"catalog unavailable ({exc.outcome}); try again shortly", headers={"Retry-After": "1"}
        ) from exc
    return dict(answer.json())


@dataclass(frozen=True)
class Page:
    """Which slice of the catalog: ``?offset=&limit=``, validated (a bad one is a 422, not a 500)."""

    offset: int = Query(0, ge=0, le=100_000)
    limit: int = Query(20, ge=1, le=100)


@dataclass(frozen=True)
class UnboundedPage(Page):
    """The planted flaw ``items-unbounded`` (API4:2023): any page size, so one request can ask for everything."""

    limit: int = Query(20, ge=1)


PageQuery = Annotated[Page, Depends()]


def require_api_key(request: Request) -> str:
    """401 unless the request carries a known key as ``Authorization: Bearer <key>``."""
    key = api_key(request)
    if key not in TIER_OF_KEY:
        raise HTTPException(
            401, "send a valid API key as 'Authorization: Bearer <key>'", headers={"WWW-Authenticate": "Bearer"}
        )
    return key


def make_items_router(
    config: LabConfig, limiter: Limiter, throttle: Throttle, flaws: Collection[str] = ()
) -> APIRouter:
    """Routes whose limits belong to this app's ``limiter``: a new shop starts with fresh counters."""
    router = APIRouter()
    tier_limits = dict(config.tier_limits)
    page_of = UnboundedPage if "items-unbounded" in flaws else Page

    # slowapi needs the parameters named `request` and `response`: it reads the
    # first to find the client and writes X-RateLimit headers into the second.
    @router.get("/items")
    @limiter.limit(config.items_limit)
    # A default, not Annotated[...]: annotations are strings here, and FastAPI cannot see the local page_of.
    async def list_items(
        request: Request,
        response: Response,
        page: Page = Depends(page_of),  # noqa: B008
    ) -> dict[str, object]:
        """A page of the catalog, limited per client address."""
        return await _catalog_page(request, page)

    def limit_of_tier(key: str) -> str:
        # slowapi calls this with the request's key (here the API key).
        return tier_limits[TIER_OF_KEY[key]]

    @router.get("/v1/items", dependencies=[Depends(require_api_key)])
    @limiter.limit(limit_of_tier, key_func=api_key)
    async def list_items_for_key(request: Request, response: Response, page: PageQuery) -> dict[str, object]:
        """The same page for API clients, limited per key, by the key's tier."""
        return await _catalog_page(request, page)

    @router.get("/items/queued", dependencies=[Depends(throttle)])
    async def list_items_queued(request: Request, page: PageQuery) -> dict[str, object]:
        """The same page, paced by a queue instead of rejected (see Throttle)."""
        return await _catalog_page(request, page)

    return router
