"""Exercises for notebook 06 (structured logs): answer an incident question from log lines,
write a log alert that does what the seed's meant to, and a filter that keeps secrets out."""

from __future__ import annotations

import io
import json
import logging
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pandas as pd

from ..logs.capture import json_formatter
from .calls import as_function
from .feedback import fail, ok
from .puzzle import puzzle_rng

__all__ = ["ALERT_THRESHOLD_PCT", "ALERT_WINDOW_S", "check_checkout_answers", "check_log_alert", "check_redactor"]

ALERT_WINDOW_S = 10.0
ALERT_THRESHOLD_PCT = 5.0


# -- Exercise 1: from log lines to answers --------------------------------------------------


def check_checkout_answers(frame: object, checkout_error_pct: object, failed_trace: object) -> bool:
    """The exercise: the error % of the shop's /checkout requests, and the trace id of one that failed."""
    if not isinstance(frame, pd.DataFrame) or "route" not in frame:
        return fail("expected the frame of the logs", "frame = logs.frame() after the load")
    checkouts = frame[(frame["message"] == "request") & (frame["service"] == "shop") & (frame["route"] == "/checkout")]
    if checkouts.empty:
        return fail("no /checkout requests in these logs", "send checkouts while the capture runs: targets=checkout()")
    failed = checkouts[checkouts["status"].astype(int) >= 500]
    expected = 100.0 * len(failed) / len(checkouts)
    if isinstance(checkout_error_pct, bool) or not isinstance(checkout_error_pct, (int, float)):
        return fail(f"checkout_error_pct = {checkout_error_pct!r}", "a number of percent: (errors / total) × 100")
    if 0 < checkout_error_pct <= 1 and expected > 1:
        return fail(f"{checkout_error_pct} looks like a fraction", "multiply by 100: (errors / total) × 100")
    if abs(checkout_error_pct - expected) > 0.5:
        return fail(
            f"{checkout_error_pct:.1f}% of checkouts failed? The logs say otherwise",
            "only the shop's access lines for route /checkout; errors are status >= 500",
        )
    if failed_trace not in set(failed["trace_id"].dropna()):
        others = frame[frame["trace_id"] == failed_trace]
        if not others.empty:
            return fail("that trace's checkout did not fail", "pick trace_id from a /checkout line with status >= 500")
        return fail(f"no failed checkout has trace id {failed_trace!r}", "copy a trace_id from the failed lines")
    return ok(f"{expected:.1f}% of {len(checkouts)} checkouts failed; trace {failed_trace} is one of them")


# -- Exercise 2: the seed's log alert, done right ---------------------------------------------

_Case = tuple[str, list[dict[str, Any]], bool, str]


def check_log_alert(fires: object) -> bool:
    """The exercise: ``fires(records, now) -> bool``, true when more than 5% of the shop's
    requests logged in the last 10 s failed (status >= 500).

    Runs the rule on log streams shaped like the lab's (``logs.records()``): an incident
    now, a healthy minute, an incident that ended, failures in a dependency's lines,
    ERROR lines that are not requests, 4xx answers. The counts differ per learner.
    """
    rule = as_function(fires)
    if rule is None:
        return fail(f"fires is {type(fires).__name__}", "pass your function itself: check_log_alert(fires)")
    now = 1_800_000_000.0
    for name, records, expected, hint in _alert_cases(now):
        try:
            verdict = rule(records, now)
        except Exception as exc:
            return fail(
                f"on {name}, your rule raised {type(exc).__name__}: {exc}",
                "not every line is an access line (warnings have no status or route): select the "
                "shop's request lines by their fields first, and use .get() for fields a line may lack",
            )
        if not isinstance(verdict, (bool, int)) or isinstance(verdict, float):
            return fail(f"on {name}, your rule returned {verdict!r}", "return True (fire) or False (stay quiet)")
        if bool(verdict) != expected:
            said = "fired" if verdict else "stayed quiet"
            return fail(f"on {name}, your rule {said}", hint)
    return ok("fires on an incident now; quiet on a healthy stream, a past incident, a dependency's lines, "
              "ERROR lines that are not requests, and 4xx answers")  # fmt: skip


def _alert_cases(now: float) -> list[_Case]:
    rng = puzzle_rng("nb06-log-alert")
    rate = rng.randint(20, 40)  # shop requests per second

    def stream(seconds: float, error_pct: float, *, ago: float = 0.0, status: int = 500,
               service: str = "shop") -> list[dict[str, Any]]:  # fmt: skip
        n = int(rate * seconds)
        failing = set(rng.sample(range(n), round(n * error_pct / 100)))
        out = []
        for i in range(n):
            at = now - ago - seconds + (i + rng.random()) * seconds / n
            route = "/checkout" if service == "shop" and i % 4 == 0 else "/products/{product_id}"
            code = status if i in failing else 200
            out.append(_access(at, service, route, code))
        return out

    low, high = rng.uniform(1.0, 3.5), rng.uniform(12.0, 30.0)
    warnings = [
        {"timestamp": _iso(now - 1 - k * 0.3), "level": "ERROR", "logger": "labapp.shop", "service": "shop",
         "message": f"ERROR budget report {k}: payments retried"} for k in range(20)
    ]  # fmt: skip
    return [
        ("a healthy stream", stream(60, low, ago=ALERT_WINDOW_S) + stream(ALERT_WINDOW_S, low), False,
         "a few errors among many requests are normal: compare errors to requests (a percentage), not to zero"),
        ("an incident that ended", stream(30, 50, ago=30) + stream(30, low), False,
         f"count only lines from the last {ALERT_WINDOW_S:g} s (now - timestamp <= window): "
         "errors since the file began would keep it firing forever"),
        ("an incident now", stream(60, low) + stream(ALERT_WINDOW_S, high), True,
         f"more than {ALERT_THRESHOLD_PCT:g}% of the shop's requests in the window failed: "
         "errors are status >= 500, divided by every request in the window"),
        ("failures in a dependency's lines", stream(ALERT_WINDOW_S, low) +
         stream(ALERT_WINDOW_S, 40, service="payments"), False,
         "one request a user made is one line of service 'shop': its dependencies' lines count the same request again"),
        ("ERROR lines that are not requests", stream(ALERT_WINDOW_S, low) + warnings, False,
         "read fields, not text: an access line has message 'request' and a status; "
         "a warning with 'ERROR' in it is not a failed request"),
        ("4xx answers", stream(ALERT_WINDOW_S, low) + stream(ALERT_WINDOW_S, 30, status=429), False,
         "a 404 or a 429 is the shop answering correctly: only status >= 500 is a failure"),
    ]  # fmt: skip


def _iso(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).isoformat()


def _access(t: float, service: str, route: str, status: int) -> dict[str, Any]:
    return {"timestamp": _iso(t), "level": "INFO", "logger": "labapp.access", "message": "request",
            "service": service, "method": "GET", "route": route, "status": status, "latency_ms": 12.0,
            "trace_id": f"{int(t * 1e6):032x}"}  # fmt: skip


# -- Exercise 3: a filter that keeps secrets out -----------------------------------------------

_CARD, _CARD_SPACED, _TOKEN, _PASSWORD = "4000056655665556", "4000 0566 5566 5556", "tok_live_9fQ2xLr7Zk", "hunter2!"
_BEARER = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhZGEifQ.c2lnbmF0dXJl"
_TRACE = "0af7651916cd43dd8448eb211c80319c"


def check_redactor(redactor: object) -> bool:
    """The exercise: a ``logging.Filter`` (class or instance) that masks secrets in the
    message and in extra fields, keeps a card's last 4 digits, and leaves the rest alone.

    Logs events with card numbers, tokens, a password and an Authorization header through
    a JSON handler with the filter, and reads the lines that come out.
    """
    made = _make_filter(redactor)
    if isinstance(made, str):
        return fail(made, "write class RedactSecrets(logging.Filter) with a filter(self, record) method, and pass it")
    stream = io.StringIO()
    handler = _Handler(stream)
    handler.setFormatter(json_formatter())
    handler.addFilter(made)
    logger = logging.getLogger("labapp.exercises.nb06.redactor")
    logger.handlers, logger.propagate, logger.level = [handler], False, logging.INFO
    events: list[tuple[str, Callable[[], None]]] = [
        ("a card number in the message", lambda: logger.warning("charge failed for card %s", _CARD_SPACED)),
        ("a password in the message", lambda: logger.warning("login retry with password=%s", _PASSWORD)),
        ("a card in an extra field", lambda: logger.info("checkout", extra={"card": _CARD, "order_id": 81234567})),
        ("a token in an extra field", lambda: logger.info("session", extra={"token": _TOKEN, "user": "ada"})),
        ("an Authorization header", lambda: logger.info(
            "upstream call", extra={"headers": {"Authorization": f"Bearer {_BEARER}", "Accept": "application/json"}})),
        ("an ordinary access line", lambda: logger.info(
            "request", extra={"route": "/checkout", "status": 200, "latency_ms": 12.5, "trace_id": _TRACE})),
    ]  # fmt: skip
    lines: list[dict[str, Any]] = []
    try:
        for name, log in events:
            before = stream.tell()
            try:
                log()
            except Exception as exc:
                return fail(f"logging {name} raised {type(exc).__name__}: {exc}",
                            "a filter must never break logging: check a field's type before changing it")  # fmt: skip
            written = stream.getvalue()[before:].strip()
            if handler.failure:
                return fail(
                    f"{name}: the line could not be written ({handler.failure})",
                    "the message is msg % args: redact record.getMessage(), then set record.args = None",
                )
            if not written:
                return fail(
                    f"{name}: no line came out",
                    "filter() must return True: returning False (or None) drops the line, and with it the evidence",
                )
            lines.append(json.loads(written))
    finally:
        logger.handlers = []
    return _judge_redaction(lines)


def _judge_redaction(lines: list[dict[str, Any]]) -> bool:
    card_msg, password_msg, card_field, token_field, header, access = lines
    if "556655" in _digits(card_msg["message"]) or "4000" in card_msg["message"]:
        return fail(
            "a card number written with spaces reached the log",
            "the message is msg % args: redact record.getMessage() (then set args to None), "
            "and allow spaces or dashes between the digits",
        )
    if not card_msg["message"].rstrip().endswith("5556") or not str(card_field.get("card", "")).endswith("5556"):
        return fail("a card's last four digits are gone", "keep the last 4 digits of a card: support needs them")
    if _PASSWORD in password_msg["message"]:
        return fail("a password reached the log", "mask the value after password= (and token=, secret=...)")
    if _CARD in json.dumps(card_field) or "5566" in str(card_field.get("card", ""))[:-4]:
        return fail(
            "a card number in an extra field reached the log",
            "extra fields are attributes of the record (record.card): redact those too, not only the message",
        )
    if _TOKEN in json.dumps(token_field):
        return fail(
            "a token in an extra field reached the log",
            "some fields are secret by their name (token, password, authorization): mask their whole value",
        )
    if _BEARER in json.dumps(header) or _BEARER.split(".")[1] in json.dumps(header):
        return fail(
            "a bearer token inside the headers field reached the log",
            "a field can hold a dict: redact inside it too, by key (Authorization) or by the 'Bearer ' shape",
        )
    kept = {"order_id": (card_field, 81234567), "user": (token_field, "ada")}
    kept |= {
        k: (access, v) for k, v in {"route": "/checkout", "status": 200, "latency_ms": 12.5, "trace_id": _TRACE}.items()
    }
    for key, (line, value) in kept.items():
        if line.get(key) != value:
            return fail(
                f"{key} came out as {line.get(key)!r}, not {value!r}",
                "redact secrets only: an order id, a status or a trace id is what makes a log line useful",
            )
    if header.get("headers", {}).get("Accept") != "application/json":
        return fail("the headers' harmless fields were lost", "mask the secret values, keep the rest of the dict")
    return ok(
        "cards (last 4 kept), a password, a token and a bearer header masked; order id, route, status, "
        "latency and trace id untouched"
    )


class _Handler(logging.StreamHandler):  # type: ignore[type-arg]
    """A stream handler that remembers why a record could not be written, instead of printing a traceback."""

    failure = ""

    def handleError(self, record: logging.LogRecord) -> None:  # noqa: N802 (logging's name)
        error = sys.exc_info()[1]
        self.failure = f"{type(error).__name__}: {error}"


def _digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())


def _make_filter(redactor: object) -> logging.Filter | str:
    """An instance from a class or an instance; a sentence saying what is wrong otherwise."""
    if isinstance(redactor, type):
        cls = redactor
        if not issubclass(cls, logging.Filter):
            return f"{cls.__name__} is not a logging.Filter subclass"
        try:
            redactor = cls()
        except Exception as exc:
            return f"{cls.__name__}() raised {type(exc).__name__}: {exc}"
    if not isinstance(redactor, logging.Filter):
        return f"expected a logging.Filter, got {type(redactor).__name__}"
    return redactor
