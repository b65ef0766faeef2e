"""The shop's business routes: product page, checkout, item list."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter, HTTPException, Query, Request
from pydantic import BaseModel, Field

from .downstream import Downstream, DownstreamError

__all__ = ["CheckoutRequest", "router"]

log = logging.getLogger("labapp.shop")
router = APIRouter()


def _downstream(request: Request) -> Downstream:
    return request.app.state.downstream


async def _catalog_product(downstream: Downstream, product_id: int) -> dict[str, Any]:
    """The catalog's record, or the HTTP error the shop's caller should get."""
    try:
        response = await downstream.call("catalog", "GET", f"/products/{product_id}", expect=(200, 404))
    except DownstreamError as exc:
        # Essential dependency: without the catalog there is no page and no price.
        raise HTTPException(503, f"catalog unavailable ({exc.outcome}); try again shortly") from exc
    if response.status_code == 404:
        raise HTTPException(404, f"no product {product_id}")
    return dict(response.json())


@router.get("/products/{product_id}")
async def product_page(request: Request, product_id: int) -> dict[str, object]:
    """A product page: catalog data (essential) plus recommendations (nice to have)."""
    if not 1 <= product_id <= 1_000_000_000:
        raise HTTPException(422, "product_id must be a positive integer")
    downstream = _downstream(request)
    page = await _catalog_product(downstream, product_id)
    try:
        recs = await downstream.call("recommender", "GET", f"/recommendations/{product_id}")
        page["recommendations"] = recs.json()["items"]
        page["degraded"] = False
    except DownstreamError as exc:
        # Nice to have: show the page without recommendations, and say so.
        log.warning("recommendations skipped for product %s: %s", product_id, exc)
        page["recommendations"] = []
        page["degraded"] = True
    return page


class CheckoutRequest(BaseModel):
    product_id: int = Field(ge=1, le=1_000_000_000)
    quantity: int = Field(1, ge=1, le=10)
    card: str = Field("4242424242424242", min_length=12, max_length=19, pattern=r"^[0-9]+$")


@router.post("/checkout")
async def checkout(request: Request, order: CheckoutRequest) -> dict[str, object]:
    """Price the order from the catalog, then charge it through payments."""
    downstream = _downstream(request)
    item = await _catalog_product(downstream, order.product_id)
    amount = item["price_cents"] * order.quantity
    try:
        charge = await downstream.call(
            "payments", "POST", "/charges", json={"amount_cents": amount, "card": order.card}, expect=(200, 402)
        )
    except DownstreamError as exc:
        status = 504 if exc.outcome == "timeout" else 502
        raise HTTPException(status, f"payment service failed ({exc.outcome}); you were not charged") from exc
    if charge.status_code == 402:
        raise HTTPException(402, "card declined")
    return {"product_id": order.product_id, "quantity": order.quantity, "amount_cents": amount, **charge.json()}


@router.get("/items")
async def list_items(
    request: Request, offset: int = Query(0, ge=0, le=100_000), limit: int = Query(20, ge=1, le=100)
) -> dict[str, object]:
    """A page of the catalog; later notebooks put a rate limit on it."""
    try:
        response = await _downstream(request).call(
            "catalog", "GET", "/products", params={"offset": offset, "limit": limit}
        )
    except DownstreamError as exc:
        raise HTTPException(503, f"catalog unavailable ({exc.outcome}); try again shortly") from exc
    return response.json()
