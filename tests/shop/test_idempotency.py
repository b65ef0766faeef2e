"""A retried charge cannot charge twice: checkout sends an Idempotency-Key, payments honours it.

Notebook 09 warns that a charge which timed out may have gone through, so retrying it can
charge the card twice. The lab's checkout sends one key per checkout, the same on every try,
and the lab's payments answers a key it has seen with the charge it made then.
"""

from __future__ import annotations

import asyncio

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from labapp import Lab, LabConfig
from labapp.runner import ServerThread
from labapp.shop import make_shop_app

ORDER = {"amount_cents": 1200, "card": "4242424242424242"}


def _charge(lab: Lab, key: str | None, order: dict[str, object] = ORDER) -> httpx.Response:
    headers = {"Idempotency-Key": key} if key is not None else {}
    return httpx.post(lab.service_urls["payments"] + "/charges", json=order, headers=headers, timeout=5)


def test_payments_answers_a_repeated_key_with_the_first_charge(lab: Lab) -> None:
    first, again = _charge(lab, "order-1"), _charge(lab, "order-1")
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true" and "idempotent-replayed" not in first.headers


def test_a_new_key_or_no_key_is_a_new_charge(lab: Lab) -> None:
    ids = [_charge(lab, key).json()["charge_id"] for key in ("order-2", "order-3", None, None)]
    assert len(set(ids)) == 4, ids


def test_a_key_reused_for_another_charge_is_refused_clearly(lab: Lab) -> None:
    assert _charge(lab, "order-4").status_code == 200
    reused = _charge(lab, "order-4", {**ORDER, "amount_cents": 999})
    assert reused.status_code == 409
    assert "different charge" in reused.json()["detail"]


def test_a_key_too_long_is_a_4xx(lab: Lab) -> None:
    assert _charge(lab, "k" * 256).status_code == 422


class SlowFirstPayments:
    """A payments stand-in that takes its time over the first try only, and records every key it gets."""

    def __init__(self, first_try_s: float) -> None:
        self.first_try_s = first_try_s
        self.keys: list[str | None] = []

    async def charges(self, request: Request) -> Response:
        self.keys.append(request.headers.get("idempotency-key"))
        if len(self.keys) == 1:
            await asyncio.sleep(self.first_try_s)  # the charge goes through, but after the shop gave up
        return JSONResponse({"charge_id": "ch_1", "status": "captured"})

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/charges", self.charges, methods=["POST"])])


def test_every_try_of_one_checkout_sends_the_same_key_and_a_new_checkout_a_new_one(lab: Lab) -> None:
    config = LabConfig(payments_timeout_s=0.3, payments_retry="immediate", payments_retry_attempts=3)
    payments = SlowFirstPayments(first_try_s=1.0)
    server = ServerThread(payments.app(), name="slow_first_payments").start()
    try:
        shop = lab.serve(make_shop_app({**lab.service_urls, "payments": server.url}, config=config), "retrying_shop")
        retried = httpx.post(f"{shop}/checkout", json={"product_id": 7}, timeout=5)
        assert retried.status_code == 200, retried.text  # the second try was answered
        again = httpx.post(f"{shop}/checkout", json={"product_id": 7}, timeout=5)
        assert again.status_code == 200, again.text
    finally:
        server.stop()
    first, retry, second = payments.keys
    assert first is not None and retry == first, payments.keys
    assert second is not None and second != first, payments.keys
