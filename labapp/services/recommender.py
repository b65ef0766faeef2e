"""The recommender: "you may also like". Nice to have: the page works without it."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI

from ..faults import FaultSwitch
from .base import make_service_app
from .catalog import PRODUCT_COUNT

__all__ = ["make_recommender_app"]


def make_recommender_app(switch: FaultSwitch) -> FastAPI:
    router = APIRouter()

    @router.get("/recommendations/{product_id}")
    async def recommendations(product_id: int) -> dict[str, object]:
        related = [(product_id * k) % PRODUCT_COUNT + 1 for k in (3, 7, 11)]
        return {"product_id": product_id, "items": related}

    return make_service_app("recommender", router, switch)
