"""Checkers for notebook 11 (security scanning).

``check_order_access``: the ownership check that BOLA (API1) forgets.
``check_safe_search``: the learner rewrites the injectable product search. The
checker puts the function into a shop of its own (with the flaw planted, so
the shop uses it), rescans it with the lab's injection and error probes, and
compares its answers with the store's own search: it must be safe *and* still
find what customers look for.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import httpx

from ..lab import Lab
from ..runner import quiet_server_errors
from ..security.probes import ScanTarget, probe_error_disclosure, probe_sql_injection
from ..shop import make_shop_app
from ..shop.store import SearchFunction, ShopStore
from .feedback import fail, ok

__all__ = ["check_order_access", "check_safe_search"]

_QUERIES = ("Kettle", "quiet", "Bicycle bell", "zzz", "50%", "O'Brien")


def check_safe_search(lab: Lab, search: SearchFunction) -> bool:
    """``search(db, q, limit)`` must bind ``q`` and ``limit`` as parameters and still find products."""
    if not callable(search) or len(inspect.signature(search).parameters) != 3:
        return fail("search must be a function of (db, q, limit)", "keep the signature of search_products")
    mine = ShopStore(search=search)
    # A hardened shop whose search is the learner's function; nothing else differs.
    app = make_shop_app(lab.service_urls, store=mine)
    url = lab.serve(app, "ex11_shop")
    target = ScanTarget(url, app)
    try:
        with quiet_server_errors():
            leaks = probe_sql_injection(target) + probe_error_disclosure(target)
            answers = {q: target.inside.get("/search", params={"q": q}) for q in _QUERIES}
    finally:
        target.close()
        lab.extras.pop("ex11_shop").stop()
    if leaks:
        seen = leaks[0]
        return fail(
            f"the rescan still finds: {seen.title}\n  request: {seen.request}\n  answer:  {seen.response}",
            "put a ? where each value goes and pass the values separately: db.execute(sql, (pattern, limit))",
        )
    return _same_results(answers)


def _same_results(answers: dict[str, httpx.Response]) -> bool:
    reference = ShopStore()
    for q, response in answers.items():
        if response.status_code != 200:
            return fail(f"searching {q!r} answered {response.status_code}", "every plain word must search, not fail")
        got = [item["id"] for item in response.json()["items"]]
        want = [row["id"] for row in reference.search(q)]
        if sorted(got) != sorted(want):
            return fail(
                f"searching {q!r} found {len(got)} products, the shop's own search {len(want)}",
                "match names containing q anywhere (LIKE with % on both sides of the value, inside the parameter);"
                " '%' and '_' typed by a customer are plain characters (ESCAPE)",
            )
    return ok("no injection, no leak in errors, and the same products as the shop's own search")


def check_order_access(can_read: Callable[[dict[str, Any], str], bool]) -> bool:
    """``can_read(order, customer)``: the object-level check of GET /orders/{id} (API1:2023).

    Judged on real orders in a shop store: each customer must read their own
    orders and no one else's; an anonymous order (no owner) is no one's.
    """
    if not callable(can_read):
        return fail("can_read must be a function (order, customer) -> bool", "def can_read(order, customer): ...")
    store = ShopStore()
    orders = [store.order(store.add_order(owner, 3, 1, 537, "4242424242424242")) for owner in ("ada", "bob", None)]
    for order in orders:
        assert order is not None  # just added
        for customer in ("ada", "bob", "cyd"):
            allowed = bool(can_read(dict(order), customer))
            if order["owner"] == customer and not allowed:
                return fail(f"{customer} cannot read their own order {order['id']}", "compare the order's owner field")
            if order["owner"] != customer and allowed:
                whose = f"{order['owner']}'s" if order["owner"] else "an anonymous"
                return fail(
                    f"{customer} can read {whose} order {order['id']}: a valid key is not the right key",
                    "allow only when order['owner'] is the customer (and an order without owner is no one's)",
                )
    return ok("each customer reads their own orders and nothing else")
