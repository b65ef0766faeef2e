"""Notebook 06's checkers: answers from log lines, a log alert done right, a redacting filter."""

from __future__ import annotations

import logging
import re
from datetime import datetime
from typing import Any

import pandas as pd
import pytest

from labapp.exercises import check_checkout_answers, check_log_alert, check_redactor
from labapp.exercises.nb06 import ALERT_THRESHOLD_PCT, ALERT_WINDOW_S, _alert_cases
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
        (True, f"{4:032x}", "a number of percent"),
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


# -- the log alert -------------------------------------------------------------------------


def _shop_requests(records: list[dict[str, Any]], now: float) -> list[dict[str, Any]]:
    recent = []
    for r in records:
        if r.get("message") != "request" or r.get("service") != "shop":
            continue
        if now - datetime.fromisoformat(r["timestamp"]).timestamp() <= ALERT_WINDOW_S:
            recent.append(r)
    return recent


def right_alert(records: list[dict[str, Any]], now: float) -> bool:
    recent = _shop_requests(records, now)
    errors = sum(r["status"] >= 500 for r in recent)
    return bool(recent) and 100 * errors / len(recent) > ALERT_THRESHOLD_PCT


def any_error(records: list[dict[str, Any]], now: float) -> bool:
    return any(r.get("status", 0) >= 500 for r in _shop_requests(records, now))


def no_window(records: list[dict[str, Any]], now: float) -> bool:
    shop = [r for r in records if r.get("message") == "request" and r.get("service") == "shop"]
    return 100 * sum(r["status"] >= 500 for r in shop) / len(shop) > ALERT_THRESHOLD_PCT


def every_service(records: list[dict[str, Any]], now: float) -> bool:
    recent = [r for r in records if "status" in r and now - datetime.fromisoformat(r["timestamp"]).timestamp() <= 10]
    return 100 * sum(r["status"] >= 500 for r in recent) / len(recent) > ALERT_THRESHOLD_PCT


def text_match(records: list[dict[str, Any]], now: float) -> bool:
    shop = [r for r in records if r.get("service") == "shop"]
    recent = [r for r in shop if now - datetime.fromisoformat(r["timestamp"]).timestamp() <= 10]
    bad = sum(r.get("status", 0) >= 500 or "ERROR" in r["message"] for r in recent)
    return 100 * bad / len(recent) > ALERT_THRESHOLD_PCT


def four_xx_too(records: list[dict[str, Any]], now: float) -> bool:
    recent = _shop_requests(records, now)
    return 100 * sum(r["status"] >= 400 for r in recent) / len(recent) > ALERT_THRESHOLD_PCT


def crashes_on_warnings(records: list[dict[str, Any]], now: float) -> bool:
    shop = [r for r in records if r.get("service") == "shop"]
    recent = [r for r in shop if now - datetime.fromisoformat(r["timestamp"]).timestamp() <= 10]
    return 100 * sum(r["status"] >= 500 for r in recent) / len(recent) > ALERT_THRESHOLD_PCT


def test_a_right_alert_passes(capsys: pytest.CaptureFixture[str]) -> None:
    assert check_log_alert(right_alert)
    assert capsys.readouterr().out.startswith("✓ fires on an incident now")


@pytest.mark.parametrize(
    ("rule", "hint"),
    [
        (any_error, "compare errors to requests"),
        (no_window, "count only lines from the last 10 s"),
        (every_service, "its dependencies' lines count the same request again"),
        (text_match, "read fields, not text"),
        (four_xx_too, "only status >= 500"),
        (crashes_on_warnings, "use .get()"),
        (lambda records, now: None, "return True (fire) or False"),
        (None, "pass your function itself"),
    ],
)
def test_wrong_alerts_get_a_hint(capsys: pytest.CaptureFixture[str], rule: object, hint: str) -> None:
    assert not check_log_alert(rule)
    out = capsys.readouterr().out
    assert out.startswith("✗ ") and hint in out, out


def test_the_alert_streams_differ_per_learner(monkeypatch: pytest.MonkeyPatch) -> None:
    sizes = set()
    for name in ("ada", "bob", "cy", "dee"):
        monkeypatch.setenv("LAB_LEARNER", name)
        sizes.add(len(_alert_cases(1_800_000_000.0)[0][1]))
    assert len(sizes) > 1


# -- the redactor ---------------------------------------------------------------------------

CARD = re.compile(r"\b(?:\d[ -]?){8,15}(\d{4})\b")
SECRET_KEYS = {"token", "password", "authorization", "api_key", "secret"}


def redact(value: object, key: str = "") -> object:
    if key.lower() in SECRET_KEYS:
        return "[REDACTED]"
    if isinstance(value, dict):
        return {k: redact(v, k) for k, v in value.items()}
    if isinstance(value, str):
        value = CARD.sub(lambda m: "**** " + m.group(1), value)
        return re.sub(r"(?i)\b(bearer\s+|password=|token=)\S+", r"\1[REDACTED]", value)
    return value


class RedactSecrets(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = redact(record.getMessage()), None
        for key, value in list(vars(record).items()):
            if key not in ("msg", "args"):
                setattr(record, key, redact(value, key))
        return True


class MessageOnly(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = redact(record.getMessage()), None
        return True


class RawMsgOnly(logging.Filter):  # redacts the format string, not the arguments formatted into it
    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.msg)
        return True


class Drops(RedactSecrets):
    def filter(self, record: logging.LogRecord) -> bool:
        super().filter(record)
        return record.levelno < logging.WARNING  # drops warnings, the lines that matter most


class EverythingDigits(RedactSecrets):
    def filter(self, record: logging.LogRecord) -> bool:
        super().filter(record)
        record.trace_id = "[REDACTED]"
        return True


class KeysOnlyShallow(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = redact(record.getMessage()), None
        for key in ("card", "token"):
            if hasattr(record, key):
                setattr(record, key, redact(getattr(record, key), key))
        return True


class Raises(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = record.msg.upper() + record.card  # type: ignore[attr-defined]  # AttributeError on records without a card
        return True


def test_a_right_redactor_passes(capsys: pytest.CaptureFixture[str]) -> None:
    assert check_redactor(RedactSecrets)
    assert check_redactor(RedactSecrets())
    assert capsys.readouterr().out.startswith("✓ cards (last 4 kept)")


@pytest.mark.parametrize(
    ("answer", "hint"),
    [
        (logging.Filter, "redact record.getMessage()"),
        (RawMsgOnly, "redact record.getMessage()"),
        (MessageOnly, "extra fields are attributes of the record"),
        (KeysOnlyShallow, "a field can hold a dict"),
        (Drops, "must return True"),
        (EverythingDigits, "redact secrets only"),
        (Raises, "must never break logging"),
        (dict, "not a logging.Filter subclass"),
        (None, "write class RedactSecrets(logging.Filter)"),
    ],
)
def test_wrong_redactors_get_a_hint(capsys: pytest.CaptureFixture[str], answer: object, hint: str) -> None:
    assert not check_redactor(answer)
    out = capsys.readouterr().out
    assert out.startswith("✗ ") and hint in out, out
    assert "5556" not in out.split("hint:")[1]
