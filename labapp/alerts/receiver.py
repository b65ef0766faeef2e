"""A webhook receiver for Alertmanager notifications, running in the lab.

Alertmanager delivers a notification by POSTing a JSON document (webhook
payload version "4") to a URL. In production that URL is a chat bot, a pager
service or an incident tool; here it is a tiny FastAPI app in the kernel, so a
notebook can see every notification arrive: grouped, repeated, resolved.

    receiver = WebhookReceiver().start()
    print(receiver.url + "/alerts")              # give this to Alertmanager
    note = receiver.wait_for(alertname="ShopHighErrorRate", status="firing", timeout_s=30)
    print(note)                                  # 12:00:03 [FIRING:1] ShopHighErrorRate (...): ...
    receiver.to_frame()                          # one row per alert per notification
    receiver.stop()

The same payload is what the lab's embedded alert evaluator posts when no
Alertmanager binary is installed, so the receiver cannot tell them apart.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pandas as pd
from fastapi import FastAPI
from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse

from ..config import LOOPBACK
from ..runner import ServerThread
from .webhook import WebhookAlert, WebhookPayload

__all__ = [
    "Notification",
    "WebhookAlert",
    "WebhookPayload",
    "WebhookReceiver",
    "format_notification",
    "make_receiver_app",
]

logger = logging.getLogger(__name__)

# A notification with thousands of alerts is still far below this; anything
# bigger is not from Alertmanager.
MAX_BODY_BYTES = 5_000_000


@dataclass(frozen=True)
class Notification:
    """One webhook delivery, as it arrived."""

    received_at: float  # Unix seconds
    payload: WebhookPayload

    @property
    def status(self) -> str:
        return self.payload.status

    @property
    def alerts(self) -> list[WebhookAlert]:
        return self.payload.alerts

    @property
    def alertnames(self) -> list[str]:
        return sorted({a.alertname for a in self.payload.alerts})

    def matches(self, alertname: str | None = None, status: str | None = None) -> bool:
        """True if one alert in it has ``alertname`` (if given) and ``status`` (if given)."""
        return any(
            (alertname is None or a.alertname == alertname) and (status is None or a.status == status)
            for a in self.payload.alerts
        )

    def __str__(self) -> str:
        clock = datetime.fromtimestamp(self.received_at).strftime("%H:%M:%S")
        return f"{clock} {format_notification(self.payload)}"


def format_notification(payload: WebhookPayload | Notification | Mapping[str, Any]) -> str:
    """One line a person can read, like Alertmanager's default chat title.

    "[FIRING:1] ShopHighErrorRate (severity=page): error rate 12% over 30s"
    "[RESOLVED] ShopHighErrorRate (severity=page): error rate 12% over 30s"

    The bracket counts the alerts still firing; then the group's labels, the
    labels all its alerts share, and the summary (or description) annotation.
    """
    if isinstance(payload, Notification):
        payload = payload.payload
    elif not isinstance(payload, WebhookPayload):
        payload = WebhookPayload.model_validate(payload)
    firing = sum(a.status == "firing" for a in payload.alerts)
    head = f"[FIRING:{firing}]" if payload.status == "firing" else "[RESOLVED]"
    group = payload.groupLabels or {"alertname": payload.commonLabels.get("alertname", "")}
    if not any(group.values()):
        group = {"alertname": payload.alerts[0].alertname or "(no alertname)"}
    name = " ".join(v for _, v in sorted(group.items()))
    shared = {k: v for k, v in sorted(payload.commonLabels.items()) if k not in group and k != "alertname"}
    line = head + " " + name
    if shared:
        line += " (" + " ".join(f"{k}={v}" for k, v in shared.items()) + ")"
    text = _summary(payload.commonAnnotations)
    if not text:
        # A firing notification may also carry alerts resolved since the last
        # one: quote an alert whose status is the notification's.
        alerts = sorted(payload.alerts, key=lambda a: a.status != payload.status)
        texts = [t for t in (_summary(a.annotations) for a in alerts) if t]
        if texts:
            text = texts[0] + (f" (+{len(alerts) - 1} more)" if len(alerts) > 1 else "")
    if text:
        line += ": " + text
    return " ".join(line.split())  # one line, whatever the annotations hold


def _summary(annotations: Mapping[str, str]) -> str:
    return annotations.get("summary") or annotations.get("description") or ""


def make_receiver_app(record: Callable[[WebhookPayload], None], listing: Callable[[], list[Notification]]) -> FastAPI:
    """A fresh FastAPI app: POST /alerts records a payload, GET /alerts lists them, GET /health."""
    app = FastAPI(title="lab alert receiver", docs_url=None, redoc_url=None, openapi_url=None)

    @app.post("/alerts")
    async def receive(request: Request) -> JSONResponse:
        # Parsed by hand rather than by FastAPI's body parameter, so every bad
        # body (wrong content type, not JSON, wrong shape, too big) is a 4xx
        # that says what is wrong, and nothing can become a 500.
        body = await request.body()
        if len(body) > MAX_BODY_BYTES:
            return JSONResponse({"detail": f"payload over {MAX_BODY_BYTES} bytes"}, status_code=413)
        try:
            payload = WebhookPayload.model_validate_json(body)
        except ValidationError as exc:
            return JSONResponse(
                {"detail": "not an Alertmanager webhook payload (version 4): " + _explain(exc)},
                status_code=422,
            )
        record(payload)
        return JSONResponse({"status": "ok", "alerts": len(payload.alerts)})

    @app.get("/alerts")
    async def recorded() -> list[dict[str, Any]]:
        return [
            {
                "received_at": n.received_at,
                "summary": format_notification(n.payload),
                **n.payload.model_dump(mode="json"),
            }
            for n in listing()
        ]

    @app.get("/health")
    async def health() -> dict[str, Any]:
        return {"status": "ok", "notifications": len(listing())}

    return app


def _explain(exc: ValidationError, limit: int = 5) -> str:
    parts = []
    for error in exc.errors(include_url=False)[:limit]:
        where = ".".join(str(p) for p in error["loc"]) or "body"
        parts.append(f"{where}: {error['msg']}")
    more = exc.error_count() - limit
    return "; ".join(parts) + (f"; and {more} more" if more > 0 else "")


class WebhookReceiver:
    """Records every Alertmanager notification POSTed to ``url + "/alerts"``.

    It listens on loopback only and takes every well-formed POST it gets: no
    authentication, as befits a lab service nothing outside this machine can reach.
    """

    def __init__(self, *, host: str = LOOPBACK, port: int = 0) -> None:
        self.host = host
        self.port = port
        self._records: list[Notification] = []
        self._changed = threading.Condition()
        self.app = make_receiver_app(self._record, self.notifications)
        self._server: ServerThread | None = None
        self._subscribers: list[Callable[[WebhookPayload], object]] = []
        self.subscriber_errors: list[BaseException] = []
        # Who sends to this receiver may know why nothing arrived (a rule that fails to
        # evaluate): a timeout in wait_for() then says so. The alerting stack sets it.
        self.diagnose: Callable[[], str] | None = None

    # -- lifecycle ---------------------------------------------------------

    def start(self, timeout_s: float = 10.0) -> WebhookReceiver:
        """Serve in a daemon thread; return once it answers."""
        if self.running:
            return self
        self._server = ServerThread(self.app, name="receiver", host=self.host, port=self.port)
        self._server.start(timeout_s, ready_path="/health")
        self.port = self._server.port
        return self

    def stop(self) -> None:
        """Stop serving. The notifications recorded so far stay readable. Safe to call twice."""
        if self._server is not None:
            self._server.stop()
            self._server = None

    @property
    def running(self) -> bool:
        return self._server is not None and self._server.running

    @property
    def url(self) -> str:
        """Base URL; Alertmanager's webhook URL is ``url + "/alerts"``."""
        if self._server is None:
            raise RuntimeError("the receiver is not running: call start() first")
        return self._server.url

    def __enter__(self) -> WebhookReceiver:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- recording ---------------------------------------------------------

    def _record(self, payload: WebhookPayload) -> None:
        with self._changed:
            self._records.append(Notification(time.time(), payload))
            self._changed.notify_all()
            subscribers = list(self._subscribers)
        for subscriber in subscribers:
            try:
                subscriber(payload)
            except Exception as exc:  # a broken subscriber must not lose the notification or 500 the sender
                self.subscriber_errors.append(exc)
                logger.exception("a subscriber of the alert receiver failed")

    def subscribe(self, callback: Callable[[WebhookPayload], object]) -> Callable[[], None]:
        """Call ``callback(payload)`` for every notification from now on (e.g. a responder).

        Returns a function that unsubscribes. The callback runs on the receiver's
        event loop: keep it quick. Its errors are kept in ``subscriber_errors``.
        """
        with self._changed:
            self._subscribers.append(callback)

        def unsubscribe() -> None:
            with self._changed:
                if callback in self._subscribers:
                    self._subscribers.remove(callback)

        return unsubscribe

    def notifications(self) -> list[Notification]:
        """Every notification so far, oldest first (a copy)."""
        with self._changed:
            return list(self._records)

    def clear(self) -> None:
        """Forget every notification recorded so far."""
        with self._changed:
            self._records.clear()

    def wait_for(
        self,
        predicate: Callable[[Notification], bool] | None = None,
        *,
        alertname: str | None = None,
        status: str | None = None,
        count: int = 1,
        since: float | None = None,
        timeout_s: float = 30.0,
    ) -> Notification:
        """Wait until ``count`` notifications match, and return the last of them.

        A notification matches if ``predicate(notification)`` is true, and one
        of its alerts has ``alertname`` and ``status`` ("firing" or "resolved")
        where given. Notifications already recorded count too, unless they
        arrived before ``since`` (Unix seconds). Raises TimeoutError after
        ``timeout_s`` seconds.
        """
        if status is not None:
            status = status.lower()
            if status not in ("firing", "resolved"):
                raise ValueError(f"status must be 'firing' or 'resolved', got {status!r}")
        if count < 1:
            raise ValueError(f"count must be at least 1, got {count}")

        def matching() -> list[Notification]:
            return [
                n
                for n in self._records
                if (since is None or n.received_at >= since)
                and n.matches(alertname, status)
                and (predicate is None or predicate(n))
            ]

        deadline = time.monotonic() + timeout_s
        with self._changed:
            while True:
                found = matching()
                if len(found) >= count:
                    return found[count - 1]
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._changed.wait(left)
            seen = list(self._records)
        wanted = ", ".join(
            part
            for part in (
                f"alertname={alertname!r}" if alertname else "",
                f"status={status!r}" if status else "",
                "your predicate" if predicate else "",
                f"count={count}" if count > 1 else "",
            )
            if part
        )
        last = "; last: " + format_notification(seen[-1].payload) if seen else ""
        hint = "" if seen else f" Is Alertmanager's webhook URL {self._webhook_url()}?"
        upstream = self.diagnose() if self.diagnose is not None else ""
        raise TimeoutError(
            f"no notification matching {wanted or 'anything'} within {timeout_s:g} s "
            f"({len(seen)} received{last}).{hint}{' ' + upstream if upstream else ''}"
        )

    def _webhook_url(self) -> str:
        return self._server.url + "/alerts" if self._server is not None else "(receiver not running)"

    # -- reading -----------------------------------------------------------

    def to_frame(self) -> pd.DataFrame:
        """One row per alert per notification, oldest first.

        Columns: ``time`` (arrival, Unix s), ``notification`` (its status),
        ``status`` (the alert's own), ``alertname``, ``severity``, ``startsAt``,
        ``endsAt`` (NaT while firing), ``summary``, ``fingerprint``,
        ``receiver``, ``group`` (the group's labels), ``n`` (notification number).
        """
        columns = [
            "time",
            "n",
            "notification",
            "status",
            "alertname",
            "severity",
            "startsAt",
            "endsAt",
            "summary",
            "fingerprint",
            "receiver",
            "group",
        ]
        rows = [
            {
                "time": note.received_at,
                "n": i,
                "notification": note.payload.status,
                "status": alert.status,
                "alertname": alert.alertname,
                "severity": alert.labels.get("severity", ""),
                "startsAt": alert.startsAt,
                "endsAt": alert.ends_at,
                "summary": _summary(alert.annotations),
                "fingerprint": alert.fingerprint,
                "receiver": note.payload.receiver,
                "group": json.dumps(note.payload.groupLabels, sort_keys=True),
            }
            for i, note in enumerate(self.notifications())
            for alert in note.payload.alerts
        ]
        frame = pd.DataFrame.from_records(rows, columns=columns)
        text = [c for c in columns if c not in ("time", "n", "startsAt", "endsAt")]
        frame = frame.astype({"time": float, "n": int, **dict.fromkeys(text, "str")})
        for column in ("startsAt", "endsAt"):  # all-NaT columns would lose their time zone
            frame[column] = pd.to_datetime(frame[column], utc=True).astype("datetime64[us, UTC]")
        return frame

    def __repr__(self) -> str:
        where = f"at {self._webhook_url()}" if self.running else "stopped"
        return f"<WebhookReceiver {where}, {len(self.notifications())} notifications>"
