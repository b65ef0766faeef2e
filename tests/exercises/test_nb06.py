"""Notebook 06's checker: the checkout error % and a failed trace, from log lines alone."""

from __future__ import annotations

import pandas as pd
import pytest

from labapp.exercises import check_checkout_answers
from labapp.logs import logs_frame


def _frame() -> pd.DataFrame:
    def line(i: int, route: str, status: int, service: str = "shop") -> dict[str, object]:
        stamp = pd.Timestamp(1_700_000_000 + i, unit="s", tz="UTC").isoformat()
        return {"timestamp": stamp, "message": "request", "service": service, "route": route, "status": status,
                "trace_id": f"{i:032x}"}  # fmt: skip

    lines = [line(i, "/checkout", 502 if i % 4 == 0 else 200) for i in range(20)]
    lines += [line(100 + i, "/products/{product_id}", 503) for i in range(5)]  # not checkouts
    lines += [line(200, "/charges", 500, service="payments")]  # a dependency's line, not the shop's
    return logs_frame(lines)


def test_right_answers_pass(capsys: pytest.CaptureFixture[str]) -> None:
    assert check_checkout_answers(_frame(), 25.0, f"{4:032x}")
    assert capsys.readouterr().out.startswith("✓ 25.0% of 20 checkouts")


@pytest.mark.parametrize(
    ("pct", "trace", "hint"),
    [
        (0.25, f"{4:032x}", "multiply by 100"),
        (40.0, f"{4:032x}", "only the shop's access lines"),
        (25.0, f"{1:032x}", "did not fail"),
        (25.0, "nope", "copy a trace_id"),
        (None, f"{4:032x}", "a number of percent"),
    ],
)
def test_wrong_answers_get_a_hint(capsys: pytest.CaptureFixture[str], pct: object, trace: object, hint: str) -> None:
    assert not check_checkout_answers(_frame(), pct, trace)
    out = capsys.readouterr().out
    assert out.startswith("✗ ") and hint in out, out


def test_no_checkouts_in_the_logs(capsys: pytest.CaptureFixture[str]) -> None:
    frame = _frame()
    assert not check_checkout_answers(frame[frame["route"] != "/checkout"], 25.0, "x")
    assert "targets=checkout()" in capsys.readouterr().out
