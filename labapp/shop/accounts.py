"""Customers and their orders: log in for an API key, read an order back.

Two OWASP API Security Top 10 (2023) items live here, each with its planted
flaw (notebook 11): API1 broken object-level authorization (``order-bola``: a
valid key is not the right key) and API2 broken authentication
(``login-unlimited``: a password can be guessed as often as one likes).
"""

from __future__ import annotations

from collections.abc import Collection

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from pydantic import BaseModel, Field
from slowapi import Limiter

from ..ratelimit import api_key
from .store import ShopStore

__all__ = ["LOGIN_LIMIT", "Login", "customer_of", "make_accounts_router"]

# Guesses per client address; production adds a limit per account and a growing delay.
LOGIN_LIMIT = "5/minute"


class Login(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=128)


def customer_of(request: Request, *, required: bool) -> str | None:
    """The customer whose API key the request carries; 401 for a wrong key (or none, if ``required``)."""
    key = api_key(request)
    if not key and not required:
        return None
    store: ShopStore = request.app.state.store
    customer = store.customer_of_key(key) if key else None
    if customer is None:
        raise HTTPException(
            401, "send a valid API key as 'Authorization: Bearer <key>'", headers={"WWW-Authenticate": "Bearer"}
        )
    return customer


def _required_customer(request: Request) -> str:
    return str(customer_of(request, required=True))


def make_accounts_router(limiter: Limiter, flaws: Collection[str]) -> APIRouter:
    """POST /token and GET /orders/{order_id}, with or without their planted flaws."""
    router = APIRouter()

    async def token(request: Request, response: Response, login: Login) -> dict[str, str]:
        """Trade a username and password for the customer's API key."""
        key = request.app.state.store.login(login.username, login.password)
        if key is None:
            raise HTTPException(401, "wrong username or password", headers={"WWW-Authenticate": "Bearer"})
        return {"api_key": key, "token_type": "bearer"}

    # slowapi needs `request` and `response` parameters (see items.py).
    limited = token if "login-unlimited" in flaws else limiter.limit(LOGIN_LIMIT)(token)
    router.post("/token")(limited)

    @router.get("/orders/{order_id}")
    async def read_order(request: Request, order_id: int, customer: str = Depends(_required_customer)) -> dict:
        """One of the caller's orders. Someone else's is 'not found', not 'forbidden': no hint it exists."""
        order = request.app.state.store.order(order_id) if 1 <= order_id <= 2**62 else None
        if order is None or ("order-bola" not in flaws and order["owner"] != customer):
            raise HTTPException(404, f"no order {order_id} for {customer}")
        return order

    return router
