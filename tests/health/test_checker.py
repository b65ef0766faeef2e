"""The scheduled health checker: start, stop, records, availability maths."""

from __future__ import annotations

import threading
from collections.abc import Callable

import httpx
import pandas as pd
import pytest

from labapp import Lab, LabConfig, latency, outage
from labapp.health import HealthChecker, Probe, availability
from labapp.seed import SEED_HEALTH_CHECK, check_health, run_health_schedule
from labapp.shop import make_shop_app

WaitUntil = Callable[..., None]


def test_checker_records_probes_and_stops_cleanly(lab: Lab) -> None:
    checker = HealthChecker({"health": lab.url + "/health"}, interval_s=0.05).start()
    checker.wait_for_rounds(3)
    checker.stop()
    assert not checker.running
    assert not [t for t in threading.enumerate() if t.name == "lab-health-checker"]
    probes = checker.probes()
    assert len(probes) >= 3
    assert all(p.ok and p.status == 200 and p.target == "health" for p in probes)
    count = len(probes)
    checker.wait_for_rounds(0)  # stopped: no more rounds come
    assert len(checker.probes()) == count


def test_checker_sees_an_outage_and_the_reason(lab: Lab) -> None:
    lab.inject("catalog", outage())
    checker = HealthChecker({"catalog": lab.service_urls["catalog"] + "/health"}, interval_s=0.05)
    with httpx.Client(timeout=0.5) as client:
        (probe,) = checker.probe_once(client)
    assert (probe.ok, probe.status) == (False, 503)


def test_timeout_turns_slowness_into_failure(lab: Lab) -> None:
    lab.inject("catalog", latency(0.3))
    url = lab.service_urls["catalog"] + "/health"
    with httpx.Client(timeout=0.1) as client:
        (fast_fail,) = HealthChecker({"c": url}, timeout_s=0.1).probe_once(client)
    with httpx.Client(timeout=None) as client:
        (slow_ok,) = HealthChecker({"c": url}, timeout_s=None).probe_once(client)
    assert (fast_fail.ok, fast_fail.status, fast_fail.error) == (False, 0, "timeout")
    # Ordering, not a wall-clock bound: the timed-out probe ended before the slow answer came.
    assert fast_fail.latency_s < slow_ok.latency_s
    assert slow_ok.ok and slow_ok.latency_s >= 0.3  # "healthy", late: the lesson of notebook 03


def test_a_round_that_raises_is_counted_and_a_timed_out_wait_names_it(
    monkeypatch: pytest.MonkeyPatch, wait_until: WaitUntil
) -> None:
    checker = HealthChecker({"x": "http://127.0.0.1:9/health"}, interval_s=0.01)
    with pytest.raises(TimeoutError, match=r"0 of 1 probe rounds after 0 s; the checker is not running \(call start"):
        checker.wait_for_rounds(1, timeout_s=0)

    def broken(client: httpx.Client) -> list[Probe]:
        raise KeyError("no such target")

    monkeypatch.setattr(checker, "probe_once", broken)
    checker.start()
    try:
        wait_until(lambda: checker.error_count >= 2, 10, what="two failed rounds")  # the loop goes on
        assert checker.running
        message = (
            r"0 of 1 probe rounds after 0.05 s; the checker is running; "
            r"lab-health-checker last failed with KeyError\('no such target'\) \(\d+ errors so far\)"
        )
        with pytest.raises(TimeoutError, match=message):
            checker.wait_for_rounds(1, timeout_s=0.05)
    finally:
        checker.stop()
    assert isinstance(checker.last_error, KeyError)
    assert "failed rounds, last: KeyError('no such target')>" in repr(checker)


def test_readiness_fails_with_the_catalog_liveness_does_not(lab: Lab) -> None:
    lab.inject("catalog", outage())
    checker = HealthChecker({"live": lab.url + "/health", "ready": lab.url + "/ready"})
    with httpx.Client(timeout=1) as client:
        live, ready = checker.probe_once(client)
    assert live.ok and not ready.ok and ready.status == 503


def test_too_deep_readiness_fails_on_a_nice_to_have_outage(lab: Lab) -> None:
    deep = lab.serve(
        make_shop_app(lab.service_urls, config=LabConfig(ready_requires=("catalog", "recommender"))), "deep"
    )
    lab.inject("recommender", outage())
    try:
        with httpx.Client(timeout=1) as client:
            assert client.get(lab.url + "/ready").status_code == 200
            assert client.get(deep + "/ready").status_code == 503
            page = client.get(lab.url + "/products/3").json()
        assert page["degraded"] is True
    finally:
        lab.extras.pop("deep").stop()  # the shared lab must not keep it


def test_ready_requires_must_name_known_services() -> None:
    with pytest.raises(ValueError, match="unknown services"):
        LabConfig(ready_requires=("catalgo",))


def test_availability_is_the_share_of_ok_probes_per_target() -> None:
    frame = pd.DataFrame(
        [
            Probe(100 + t, "a", ok, 200 if ok else 503, 0.01).__dict__ | {"t": float(t)}
            for t, ok in enumerate([True, True, False, True])
        ]
        + [Probe(100 + t, "b", True, 200, 0.01).__dict__ | {"t": float(t)} for t in range(4)]
    )
    assert availability(frame).to_dict() == {"a": 75.0, "b": 100.0}
    assert availability(frame, start=2, end=3).to_dict() == {"a": 0.0, "b": 100.0}
    with pytest.raises(ValueError, match="no probes"):
        availability(frame, start=10)
    with pytest.raises(TypeError, match="HealthChecker.to_frame"):
        availability(pd.DataFrame({"x": [1]}))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"targets": {}}, "at least one target"),
        ({"targets": {"a": "localhost:1/health"}}, "full URL"),
        ({"targets": {"a": "http://127.0.0.1:1/"}, "interval_s": 0}, "interval_s"),
        ({"targets": {"a": "http://127.0.0.1:1/"}, "timeout_s": -1}, "timeout_s"),
    ],
)
def test_bad_arguments_say_what_to_do(kwargs: dict, message: str) -> None:  # type: ignore[type-arg]
    with pytest.raises(ValueError, match=message):
        HealthChecker(**kwargs)


def test_seed_sample_does_not_compile_and_the_fix_runs(lab: Lab) -> None:
    with pytest.raises(SyntaxError):
        compile(SEED_HEALTH_CHECK, "seed", "exec")
    log: list[str] = []
    check_health(lab.url + "/health", log)
    assert log[-1].endswith("Service is healthy")
    stop = threading.Event()
    thread = run_health_schedule(lab.url + "/health", 0.05, log, stop)
    deadline = threading.Event()
    for _ in range(200):  # up to 2 s for three scheduled checks
        if len(log) >= 4:
            break
        deadline.wait(0.01)
    stop.set()
    thread.join(2)
    assert len(log) >= 4 and not thread.is_alive()
