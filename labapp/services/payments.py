"""Payments: charges a card. Checkout depends on it; later notebooks put it behind a breaker."""

from __future__ import annotations

import itertools

from fastapi import APIRouter, FastAPI, HTTPException
from pydantic import BaseModel, Field

from ..faults import FaultSwitch
from .base import make_service_app

__all__ = ["Charge", "DECLINED_CARD", "make_payments_app"]

# Like the card networks' test numbers: this one is always declined.
DECLINED_CARD = "4000000000000002"


class Charge(BaseModel):
    amount_cents: int = Field(gt=0, le=10_000_000)
    card: str = Field(min_length=12, max_length=19, pattern=r"^[0-9]+$")


def make_payments_app(switch: FaultSwitch) -> FastAPI:
    router = APIRouter()
    ids = itertools.count(1)

    @router.post("/charges")
    async def charge(body: Charge) -> dict[str, object]:
        if body.card == DECLINED_CARD:
            raise HTTPException(402, "card declined")
        return {"charge_id": f"ch_{next(ids)}", "amount_cents": body.amount_cents, "status": "captured"}

    return make_service_app("payments", router, switch)
