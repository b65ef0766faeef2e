"""Notebook 11's checkers: the learner's search is served and rescanned; the ownership check is judged on
real orders. The right answers are the notebook's folded solutions; the wrong ones are what learners write."""

from __future__ import annotations

import sqlite3
from typing import Any

import pytest

from labapp import Lab
from labapp.exercises import check_order_access, check_safe_search


def _verdict(capsys: pytest.CaptureFixture[str], passed: bool, *needles: str) -> None:
    out = capsys.readouterr().out
    assert out.startswith("✓ " if passed else "✗ "), out
    for needle in needles:
        assert needle in out, out


# -- exercise 1: a search that binds its values ------------------------------------------------


def bound(db: sqlite3.Connection, q: str, limit: int) -> list[Any]:  # the notebook's solution
    sql = "SELECT id, name, price_cents FROM products WHERE name LIKE ? LIMIT ?"
    return db.execute(sql, (f"%{q}%", limit)).fetchall()


def pasted(db: sqlite3.Connection, q: str, limit: int) -> list[Any]:  # the seed's f-string, as planted
    return db.execute(f"SELECT id, name, price_cents FROM products WHERE name LIKE '%{q}%' LIMIT {limit}").fetchall()  # noqa: S608


def exact(db: sqlite3.Connection, q: str, limit: int) -> list[Any]:  # bound, but the % signs forgotten
    return db.execute("SELECT id, name, price_cents FROM products WHERE name LIKE ? LIMIT ?", (q, limit)).fetchall()


def escaped_by_hand(db: sqlite3.Connection, q: str, limit: int) -> list[Any]:  # quotes doubled: still pasted
    safe = q.replace("'", "''")
    return db.execute(f"SELECT id, name, price_cents FROM products WHERE name LIKE '%{safe}%' LIMIT {limit}").fetchall()  # noqa: S608


def test_a_bound_search_passes(lab: Lab, capsys: pytest.CaptureFixture[str]) -> None:
    assert check_safe_search(lab, bound) is True
    _verdict(capsys, True, "no injection")
    assert "ex11_shop" not in lab.extras  # the checker's own shop is gone


@pytest.mark.parametrize(
    ("search", "needles"),
    [
        (pasted, ("the rescan still finds", "put a ? where each value goes")),
        (exact, ("found", "products, the shop's own search")),
    ],
    ids=["pasted", "exact"],
)
def test_wrong_searches_get_a_hint(
    lab: Lab, capsys: pytest.CaptureFixture[str], search: Any, needles: tuple[str, ...]
) -> None:
    assert check_safe_search(lab, search) is False
    _verdict(capsys, False, *needles)


def test_a_search_escaped_by_hand_is_judged_by_what_it_does(lab: Lab, capsys: pytest.CaptureFixture[str]) -> None:
    # Doubled quotes stop this injection, and the checker judges what the search does, not its style
    # (bandit's B608 is the notebook's tool for the style: it flags any SQL built from strings).
    assert check_safe_search(lab, escaped_by_hand) is True
    _verdict(capsys, True, "no injection")


def test_a_search_with_the_wrong_signature_is_refused(lab: Lab, capsys: pytest.CaptureFixture[str]) -> None:
    assert check_safe_search(lab, lambda q: []) is False  # type: ignore[arg-type,misc]
    _verdict(capsys, False, "(db, q, limit)")


# -- exercise 2: whose order is it? ------------------------------------------------------------


@pytest.mark.parametrize(
    ("can_read", "passed", "needle"),
    [
        (lambda order, customer: order["owner"] is not None and order["owner"] == customer, True, "nothing else"),
        (lambda order, customer: customer is not None, False, "a valid key is not the right key"),
        (lambda order, customer: order["owner"] in (customer, None), False, "an anonymous order"),
        (lambda order, customer: False, False, "cannot read their own order"),
        ("owner", False, "must be a function"),
    ],
    ids=["owner-only", "any-key", "anonymous-for-all", "nobody", "not-a-function"],
)
def test_order_access(capsys: pytest.CaptureFixture[str], can_read: Any, passed: bool, needle: str) -> None:
    assert check_order_access(can_read) is passed
    _verdict(capsys, passed, needle)
