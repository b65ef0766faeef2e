"""The catalog: product data. The shop cannot show a product page without it (essential)."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI, HTTPException, Query

from ..faults import FaultSwitch
from .base import make_service_app

__all__ = ["PRODUCT_COUNT", "internal_fields", "make_catalog_app", "product"]

PRODUCT_COUNT = 1000
_ADJECTIVES = ["Sturdy", "Quiet", "Bright", "Compact", "Classic", "Rapid", "Gentle", "Bold"]
_NOUNS = ["Kettle", "Lamp", "Backpack", "Notebook", "Teapot", "Umbrella", "Chair", "Bicycle bell"]


def product(product_id: int) -> dict[str, object]:
    """The catalog's record for ``product_id`` (1..PRODUCT_COUNT), computed, not stored."""
    name = f"{_ADJECTIVES[product_id % len(_ADJECTIVES)]} {_NOUNS[(product_id // 8) % len(_NOUNS)]}"
    return {"id": product_id, "name": name, "price_cents": 500 + (product_id * 37) % 9500}


def internal_fields(product_id: int) -> dict[str, object]:
    """What the catalog knows that customers must not see: cost and supplier (API3:2023 if shown)."""
    price = 500 + (product_id * 37) % 9500
    return {"cost_cents": price * 55 // 100, "supplier": f"supplier-{product_id % 17:02d}@wholesale.example"}


def make_catalog_app(switch: FaultSwitch) -> FastAPI:
    router = APIRouter()

    @router.get("/products/{product_id}")
    async def get_product(product_id: int) -> dict[str, object]:
        if not 1 <= product_id <= PRODUCT_COUNT:
            raise HTTPException(404, f"no product {product_id}; ids run 1..{PRODUCT_COUNT}")
        return {**product(product_id), **internal_fields(product_id)}

    @router.get("/products")
    async def list_products(offset: int = Query(0, ge=0), limit: int = Query(20, ge=1)) -> dict[str, object]:
        # No upper bound here: an internal service, at most all its products. The shop bounds pages (API4).
        ids = range(offset + 1, min(offset + limit, PRODUCT_COUNT) + 1)
        return {"items": [product(i) for i in ids], "total": PRODUCT_COUNT}

    return make_service_app("catalog", router, switch)
