"""Notebook 04's checkers: an error ratio, an alert rule, a fast-burn page, each judged on synthetic counters."""

from __future__ import annotations

import pytest

from labapp.exercises import check_error_rate_rule, check_error_ratio, check_fast_burn_alert

C = "shop_http_requests_total"


def _ratio(window: str, errors: str = '{status=~"5.."}') -> str:
    return f"sum(rate({C}{errors}[{window}])) / sum(rate({C}[{window}]))"


RULE = f"""
groups:
  - name: shop
    rules:
      - alert: ShopHighErrorRate
        expr: {_ratio("5m")} > 0.05
        for: 5m
"""

RECORDED_RULE = f"""
groups:
  - name: shop
    rules:
      - record: job:errors:ratio_rate1m
        expr: {_ratio("1m")}
      - alert: Errors
        expr: job:errors:ratio_rate1m > 0.05
        for: 5m
"""


def _out(capsys: pytest.CaptureFixture[str]) -> str:
    return capsys.readouterr().out


def test_error_ratio_right(capsys: pytest.CaptureFixture[str]) -> None:
    assert check_error_ratio(_ratio("30s"))
    assert check_error_ratio(f'sum(increase({C}{{status=~"5.."}}[20s])) / sum(increase({C}[20s]))')
    assert "✓" in _out(capsys)


@pytest.mark.parametrize(
    ("query", "says"),
    [
        (_ratio("30s", '{status=~"[45].."}'), "only a 5xx"),
        (_ratio("30s", '{status!~"2.."}'), "only a 5xx"),
        (_ratio("30s", '{status="503"}'), "every code from 500 to 599"),
        (f'sum({C}{{status=~"5.."}}) / sum({C})', "remembers the old incident"),
        (_ratio("5m"), "remembers the old incident"),
        (f'rate({C}{{status=~"5.."}}[30s]) / rate({C}[30s])', "sum(...) on BOTH sides"),
        ("100 * " + _ratio("30s"), "that is a percentage"),
        ("sum(", "does not run"),
        (None, "as a string"),
        (5, "as a string"),
    ],
)
def test_error_ratio_wrong(capsys: pytest.CaptureFixture[str], query: object, says: str) -> None:
    assert not check_error_ratio(query)
    out = _out(capsys)
    assert "✗" in out and says in out and "hint:" in out
    assert "0.05" not in out.split("hint:")[1]


def test_rule_right(capsys: pytest.CaptureFixture[str]) -> None:
    assert check_error_rate_rule(RULE)
    assert check_error_rate_rule(RECORDED_RULE)
    assert "✓" in _out(capsys)


@pytest.mark.parametrize(
    ("rule", "says"),
    [
        (RULE.replace("for: 5m", "for: 0m"), "at every evaluation for 5 minutes"),
        (RULE.replace("for: 5m", "for: 3m"), "at every evaluation for 5 minutes"),
        (RULE.replace("[1m]", "[1m]").replace("        for: 5m\n", ""), "at every evaluation for 5 minutes"),
        (RULE.replace("5..", "[45].."), "count only status 5xx"),
        (RULE.replace("0.05", "0.03"), "ALL requests"),
        (RULE.replace("0.05", "5"), "never fires"),
        (RULE.replace("sum(", "("), "ALL requests"),
        (RULE.replace("[5m]", "[30m]"), "a long rate window"),
        (RECORDED_RULE.replace("for: 5m", "for: 3m"), "at every evaluation for 5 minutes"),
        (RECORDED_RULE.replace("for: 5m", "for: 4m").replace("[1m]", "[30s]"), "at every evaluation"),
        (
            RULE.replace(_ratio("5m"), "job:shop_http_request_errors:ratio_rate5m"),
            "never fires",
        ),
        ("groups: []", "no rules found"),
        ("groups: [", "not valid YAML"),
        (RULE + "      - alert: Other\n        expr: up == 0\n", "exactly one rule"),
        (RULE.replace("expr:", "exp:"), "do not load"),
        (RULE.replace("> 0.05", "> > 0.05"), "do not load"),
        (None, "YAML string"),
    ],
)
def test_rule_wrong(capsys: pytest.CaptureFixture[str], rule: object, says: str) -> None:
    assert not check_error_rate_rule(rule)
    out = _out(capsys)
    assert "✗" in out and says in out and "hint:" in out
    assert "5m" not in out.split("hint:")[1] and "0.05" not in out.split("hint:")[1]


R1, R5 = _ratio("1h"), _ratio("5m")


@pytest.mark.parametrize(
    "expr",
    [
        f"{R1} > 14.4 * 0.005 and {R5} > 14.4 * 0.005",
        f"{R1} > (14.4 * 0.005) and {R5} > (14.4 * 0.005)",
        "job:shop_http_request_errors:ratio_rate1h > 0.072 and job:shop_http_request_errors:ratio_rate5m > 0.072",
    ],
)
def test_fast_burn_right(capsys: pytest.CaptureFixture[str], expr: str) -> None:
    assert check_fast_burn_alert(expr)
    assert "✓" in _out(capsys)


@pytest.mark.parametrize(
    ("expr", "says"),
    [
        (f"{R1} > 14.4 * 0.005", "the incident is over"),
        (f"{R5} > 14.4 * 0.005", "3-minute spike"),
        (f"{R1} > 14.4 * 0.005 or {R5} > 14.4 * 0.005", "the incident is over"),
        (f"{R1} > 14.4 * 0.001 and {R5} > 14.4 * 0.001", "3-minute spike"),
        (f"{R1} > 14.4 * 0.01 and {R5} > 14.4 * 0.01", "10% errors for the last 70 minutes"),
        (f"{R1} > 0.06 and {R5} > 0.06", "just under 14.4x"),
        ("sum(", "does not run"),
        ("", "as a string"),
        (None, "as a string"),
    ],
)
def test_fast_burn_wrong(capsys: pytest.CaptureFixture[str], expr: object, says: str) -> None:
    assert not check_fast_burn_alert(expr)
    out = _out(capsys)
    assert "✗" in out and says in out and "hint:" in out
    assert "0.072" not in out and "14.4 * 0.005" not in out
