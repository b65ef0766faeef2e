"""Payments: charges a card. Checkout depends on it; later notebooks put it behind a breaker."""

from __future__ import annotations

import itertools
from collections import OrderedDict
from typing import Annotated

from fastapi import APIRouter, FastAPI, Header, HTTPException, Response
from pydantic import BaseModel, Field

from ..faults import FaultSwitch
from .base import make_service_app

__all__ = ["Charge", "DECLINED_CARD", "REMEMBERED_KEYS", "make_payments_app"]

# Like the card networks' test numbers: this one is always declined.
DECLINED_CARD = "4000000000000002"
# How many idempotency keys payments remembers (real APIs keep them ~24 h); the oldest go first.
REMEMBERED_KEYS = 10_000


class Charge(BaseModel):
    amount_cents: int = Field(gt=0, le=10_000_000)
    card: str = Field(min_length=12, max_length=19, pattern=r"^[0-9]+$")


def make_payments_app(switch: FaultSwitch) -> FastAPI:
    router = APIRouter()
    ids = itertools.count(1)
    # Idempotency key -> (the charge asked for, the charge made). A retry of a charge that timed
    # out on the caller's side may arrive after the first try went through: with the same key it
    # gets the first charge back instead of a second one.
    seen: OrderedDict[str, tuple[Charge, dict[str, object]]] = OrderedDict()

    @router.post("/charges")
    async def charge(
        body: Charge,
        response: Response,
        idempotency_key: Annotated[str | None, Header(min_length=1, max_length=255)] = None,
    ) -> dict[str, object]:
        if idempotency_key is not None and idempotency_key in seen:
            first_body, first_charge = seen[idempotency_key]
            if first_body != body:
                raise HTTPException(
                    409, "this Idempotency-Key was first used for a different charge; use a new key for a new charge"
                )
            response.headers["Idempotent-Replayed"] = "true"  # as Stripe says it
            return first_charge
        if body.card == DECLINED_CARD:
            raise HTTPException(402, "card declined")
        made = {"charge_id": f"ch_{next(ids)}", "amount_cents": body.amount_cents, "status": "captured"}
        if idempotency_key is not None:
            seen[idempotency_key] = (body, made)
            if len(seen) > REMEMBERED_KEYS:
                seen.popitem(last=False)
        return made

    return make_service_app("payments", router, switch)
