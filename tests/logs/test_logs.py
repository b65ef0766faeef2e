"""Structured logs: one JSON event per request, with the request's trace id, redacted and bounded."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path

import httpx
import pandas as pd
import pytest

from labapp import Lab, error_rate, outage
from labapp.logs import LogCapture, Redactor, SuccessSampler, check_log_file, log_error_rates, logs_frame
from labapp.tracing import trace_ids


@pytest.fixture
def traced(no_shared_lab: None) -> Iterator[Lab]:
    with Lab(tracing=True) as lab:
        yield lab


@pytest.fixture
def capture() -> Iterator[LogCapture]:
    logs = LogCapture().start()
    yield logs
    logs.stop()


def _access(logs: LogCapture, service: str = "shop") -> list[dict[str, object]]:
    return [r for r in logs.records() if r.get("message") == "request" and r.get("service") == service]


def test_the_log_line_of_a_request_carries_its_trace_id(traced: Lab, capture: LogCapture) -> None:
    assert traced.tracing is not None
    with traced.tracing.client() as client:
        client.get(f"{traced.url}/products/7")
    spans = traced.tracing.records()
    (trace_id,) = trace_ids(spans)
    shop_server = next(s for s in spans if s.service == "shop" and s.kind == "SERVER")
    (line,) = _access(capture)
    assert line["trace_id"] == trace_id
    assert line["span_id"] == shop_server.span_id
    # Every service the request touched logged under the same trace id.
    services = {r["service"] for r in capture.records() if r.get("trace_id") == trace_id and "service" in r}
    assert services == {"shop", "catalog", "recommender"}


def test_one_json_event_per_request_with_the_fields_that_answer_questions(lab: Lab, capture: LogCapture) -> None:
    with httpx.Client() as client:
        for product in range(1, 6):
            client.get(f"{lab.url}/products/{product}")
        client.get(f"{lab.url}/products/0")  # 422
    lines = _access(capture)
    assert len(lines) == 6
    for line in lines:
        assert {"timestamp", "level", "logger", "method", "route", "status", "latency_ms", "client"} <= set(line)
        assert line["route"] == "/products/{product_id}" and line["method"] == "GET"
        assert line["client"] == "127.0.0.1"
    assert sorted(int(str(line["status"])) for line in lines) == [200] * 5 + [422]
    for raw in capture.lines():
        json.loads(raw)  # every line is one JSON object
    assert lines[0].get("trace_id") is None  # no tracing in this lab: no ids, and no made-up ones


def test_a_degraded_page_logs_a_warning_beside_the_request(lab: Lab, capture: LogCapture) -> None:
    lab.inject("recommender", outage())
    httpx.get(f"{lab.url}/products/7")
    warnings = [r for r in capture.records() if r["level"] == "WARNING"]
    assert [w["logger"] for w in warnings] == ["labapp.shop"]
    assert "recommendations unavailable for product 7" in str(warnings[0]["message"])


def test_secrets_are_masked_before_any_handler_writes_them(capture: LogCapture) -> None:
    log = logging.getLogger("labapp.test")
    log.warning("charge failed card=%s header Authorization: Bearer eyJ.abc-def", "4111111111111111")
    log.info("login password=hunter2 token: abc123", extra={"path": "/items?api_key=sk_live_9"})
    text = "\n".join(capture.lines())
    for secret in ("4111111111111111", "eyJ.abc-def", "hunter2", "abc123", "sk_live_9"):
        assert secret not in text
    assert "************1111" in text  # the last four digits stay, for support


@pytest.mark.parametrize(
    ("raw", "masked"),
    [
        ("4242424242424242", "************4242"),
        ("Bearer a.b.c", "Bearer [REDACTED]"),
        ('{"password": "x y"}', '{"password": "[REDACTED] y"}'),
        ("order 12345 of 3 items", "order 12345 of 3 items"),
    ],
)
def test_redact(raw: str, masked: str) -> None:
    assert Redactor.redact(raw) == masked


def test_sampling_keeps_every_failure_and_a_share_of_the_rest(lab: Lab) -> None:
    lab.inject("catalog", error_rate(0.2))
    with LogCapture(sample_ratio=0.1) as logs, httpx.Client() as client:
        for product in range(1, 201):
            client.get(f"{lab.url}/products/{product}")
    lines = _access(logs)
    failures = [r for r in lines if int(r["status"]) >= 500]  # type: ignore[call-overload]
    successes = [r for r in lines if r["status"] == 200]
    assert 20 <= len(failures) <= 60, len(failures)  # all of them: about 20% of 200
    assert 3 <= len(successes) <= 35, len(successes)  # about 10% of about 160
    assert logs.seen > logs.kept


def test_volume_stays_bounded_in_memory_and_on_disk(lab: Lab, tmp_path: Path) -> None:
    path = tmp_path / "shop.log"
    with LogCapture(max_lines=50, path=path, max_bytes=4_000, backups=1) as logs, httpx.Client() as client:
        for product in range(1, 101):
            client.get(f"{lab.url}/products/{product}")
    assert len(logs.lines()) == 50
    assert logs.kept >= 300  # shop, catalog and recommender: three lines per page
    files = sorted(tmp_path.glob("shop.log*"))
    assert [f.name for f in files] == ["shop.log", "shop.log.1"]
    assert all(f.stat().st_size <= 4_000 for f in files)


def test_a_new_capture_replaces_the_old_and_stopping_turns_access_logs_off(lab: Lab) -> None:
    first = LogCapture().start()
    second = LogCapture().start()  # as when the cell is run again
    httpx.get(f"{lab.url}/products/7")
    assert len(_access(second)) == 1
    assert _access(first) == []
    second.stop()
    assert not logging.getLogger("labapp.access.shop").isEnabledFor(logging.INFO)
    httpx.get(f"{lab.url}/products/8")
    assert len(_access(second)) == 1


def test_error_rates_per_route_from_logs() -> None:
    def event(t: int, route: str, status: int) -> dict[str, object]:
        stamp = pd.Timestamp(1_700_000_000 + t, unit="s", tz="UTC").isoformat()
        return {"timestamp": stamp, "message": "request", "service": "shop", "route": route, "status": status}

    records = [event(0, "/a", 200), event(0, "/a", 503), event(1, "/a", 200), event(1, "/b", 500), event(1, "/b", 0)]
    records.append({"timestamp": records[0]["timestamp"], "message": "other", "level": "WARNING"})
    rates = log_error_rates(logs_frame(records), window_s=1.0)
    assert rates[["route", "requests", "errors", "error_pct"]].values.tolist() == [
        ["/a", 2, 1, 50.0],
        ["/a", 1, 0, 0.0],
        ["/b", 2, 2, 100.0],
    ]
    with pytest.raises(ValueError, match="no access-log events"):
        log_error_rates(logs_frame(records), service="catalog")


def test_the_log_file_alert_counts_a_window_not_all_time(lab: Lab, tmp_path: Path) -> None:
    path = tmp_path / "shop.log"
    with LogCapture(path=path), httpx.Client() as client:
        lab.inject("catalog", outage())
        for product in range(1, 21):
            client.get(f"{lab.url}/products/{product}")
        lab.heal()
        for product in range(1, 21):
            client.get(f"{lab.url}/products/{product}")
    during = check_log_file(path, window_s=3600)
    assert (during.requests, during.errors, during.firing) == (40, 20, True)
    later = check_log_file(path, window_s=5, now=pd.Timestamp.now().timestamp() + 60)
    assert (later.requests, later.firing) == (0, False)
    assert during.bytes_read == path.stat().st_size


def test_bad_arguments_say_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="share of ordinary requests"):
        SuccessSampler(2.0)
    with pytest.raises(ValueError, match="max_lines"):
        LogCapture(max_lines=0)
    with pytest.raises(FileNotFoundError, match="LogCapture"):
        check_log_file(tmp_path / "missing.log")


def test_the_lab_stops_its_log_capture(no_shared_lab: None) -> None:
    with Lab() as lab:
        logs = lab.capture_logs(sample_ratio=0.5)
        httpx.get(f"{lab.url}/products/7")
    assert logs.seen >= 1
    assert not logging.getLogger("labapp.access.shop").isEnabledFor(logging.INFO)
    with pytest.raises(RuntimeError, match="not running"):
        lab.capture_logs()
