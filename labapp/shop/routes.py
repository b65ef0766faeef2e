"""The shop's business routes: product page and checkout (the item list is in items.py)."""

from __future__ import annotations

import logging
import math
from typing import Any

from circuitbreaker import CircuitBreakerError
from fastapi import APIRouter, HTTPException, Query, Request
from opentelemetry.trace import Span, StatusCode, Tracer
from pydantic import BaseModel, Field

from .accounts import customer_of
from .downstream import Downstream, DownstreamError
from .store import SEARCH_LIMIT

__all__ = ["PUBLIC_PRODUCT_FIELDS", "CheckoutRequest", "router"]

# What a customer may see of the catalog's record; the rest (cost, supplier) stays inside.
PUBLIC_PRODUCT_FIELDS = ("id", "name", "price_cents")

log = logging.getLogger("labapp.shop")
router = APIRouter()


def _downstream(request: Request) -> Downstream:
    return request.app.state.downstream


def _step(request: Request, name: str) -> Any:
    """A manual span for one business step. Exceptions are not errors by
    themselves (a 404 is an answer): each step sets its own error status."""
    tracer: Tracer = request.app.state.tracer
    return tracer.start_as_current_span(name, record_exception=False, set_status_on_exception=False)


def _failed(span: Span, exc: DownstreamError) -> None:
    span.record_exception(exc)  # a span event with the exception's type and message
    span.set_status(StatusCode.ERROR, f"{exc.service} {exc.outcome}")


async def _catalog_product(request: Request, product_id: int) -> dict[str, Any]:
    """The catalog's record, or the HTTP error the shop's caller should get."""
    with _step(request, "load product") as span:
        span.set_attribute("product.id", product_id)
        try:
            response = await _downstream(request).call(
                "catalog", "GET", f"/products/{product_id}", expect=(200, 404), fields=PUBLIC_PRODUCT_FIELDS
            )
        except DownstreamError as exc:
            _failed(span, exc)
            # Essential dependency: without the catalog there is no page and no price.
            raise HTTPException(
                503, f"catalog unavailable ({exc.outcome}); try again shortly", headers={"Retry-After": "1"}
            ) from exc
    if response.status_code == 404:
        raise HTTPException(404, f"no product {product_id}")
    record = dict(response.json())
    if "product-internal-fields" in request.app.state.flaws:
        return record  # the planted flaw: whatever the catalog knows, the customer sees
    return {field: record[field] for field in PUBLIC_PRODUCT_FIELDS}


@router.get("/products/{product_id}")
async def product_page(request: Request, product_id: int) -> dict[str, object]:
    """A product page: catalog data (essential) plus recommendations (nice to have)."""
    if not 1 <= product_id <= 1_000_000_000:
        raise HTTPException(422, "product_id must be a positive integer")
    page = await _catalog_product(request, product_id)
    with _step(request, "recommendations") as span:
        if request.app.state.controls.skips("recommender"):
            # Degraded mode, switched on by a responder: do not even try.
            page.update(_fallback_recommendations(request, product_id))
            served = str(page["recommendations_source"])
            span.add_event("skipped: degraded mode", {"served": served})
            request.app.state.metrics.fallbacks.labels("recommender", served).inc()
            return page
        try:
            recs = await _downstream(request).call(
                "recommender", "GET", f"/recommendations/{product_id}", fields=("items",)
            )
            page.update(recommendations=recs.json()["items"], degraded=False, recommendations_source="live")
            if request.app.state.recommendations_cache is not None:
                request.app.state.recommendations_cache.put(product_id, page["recommendations"])
        except DownstreamError as exc:
            # Nice to have: serve the page anyway, with what we have, and say so.
            _failed(span, exc)
            page.update(_fallback_recommendations(request, product_id))
            served = page["recommendations_source"]
            span.add_event("fallback", {"reason": exc.outcome, "served": served})
            request.app.state.metrics.fallbacks.labels("recommender", served).inc()
            log.warning("recommendations unavailable for product %s (%s): served %s", product_id, exc, served)
    return page


def _fallback_recommendations(request: Request, product_id: int) -> dict[str, object]:
    """The last good recommendations if the shop kept them (stale, with their age), else none."""
    cache = request.app.state.recommendations_cache
    cached = cache.get(product_id) if cache is not None else None
    if cached is None:
        return {"recommendations": [], "degraded": True, "recommendations_source": "none"}
    items, age_s = cached
    return {"recommendations": items, "degraded": True, "recommendations_source": "cache", "age_s": round(age_s, 1)}


@router.get("/search")
async def search(request: Request, q: str = Query(min_length=1, max_length=100)) -> dict[str, object]:
    """Products whose name contains ``q``, from the shop's SQLite index."""
    store = request.app.state.store
    unsafe = "search-sqli" in request.app.state.flaws
    found = store.search_unsafe(q) if unsafe else store.search(q)
    return {"q": q, "items": found, "limit": SEARCH_LIMIT}


class CheckoutRequest(BaseModel):
    product_id: int = Field(ge=1, le=1_000_000_000)
    quantity: int = Field(1, ge=1, le=10)
    card: str = Field("4242424242424242", min_length=12, max_length=19, pattern=r"^[0-9]+$")


@router.post("/checkout")
async def checkout(request: Request, order: CheckoutRequest) -> dict[str, object]:
    """Price the order from the catalog, then charge it through payments.

    With an API key the order is the customer's (GET /orders/{id}); without, it is anonymous."""
    customer = customer_of(request, required=False)
    item = await _catalog_product(request, order.product_id)
    amount = item["price_cents"] * order.quantity
    with _step(request, "charge card") as span:
        # Business facts, never the card number: spans are read by many people.
        span.set_attributes({"order.quantity": order.quantity, "order.amount_cents": amount})
        try:
            charge = await request.app.state.charge({"amount_cents": amount, "card": order.card})
        except CircuitBreakerError as exc:
            # Fail fast, honestly: nothing was sent to payments, nothing was queued.
            span.add_event("circuit open: payments not called")
            retry_after = max(1, math.ceil(request.app.state.payments_breaker.open_remaining))
            raise HTTPException(
                503,
                "payments paused after repeated failures; you were not charged",
                headers={"Retry-After": str(retry_after)},
            ) from exc
        except DownstreamError as exc:
            _failed(span, exc)
            status = 504 if exc.outcome == "timeout" else 502
            if exc.outcome == "invalid":  # it answered 200: the charge may have gone through
                raise HTTPException(
                    status, "payment service gave an answer the shop cannot read; check your orders before paying again"
                ) from exc
            if exc.may_have_acted:  # payments had the request and never said what it did with it
                raise HTTPException(
                    status,
                    f"payment service did not finish answering ({exc.outcome}); the charge may have gone through: "
                    "check your orders before paying again",
                ) from exc
            raise HTTPException(status, f"payment service failed ({exc.outcome}); you were not charged") from exc
    if charge.status_code == 402:
        raise HTTPException(402, "card declined")
    order_id = request.app.state.store.add_order(customer, order.product_id, order.quantity, amount, order.card)
    return {
        "order_id": order_id,
        "product_id": order.product_id,
        "quantity": order.quantity,
        "amount_cents": amount,
        **charge.json(),
    }
