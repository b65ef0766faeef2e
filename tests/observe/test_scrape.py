"""The embedded Scraper against a running lab: what PromQL says matches what the load did."""

from __future__ import annotations

import bisect
import threading
from collections.abc import Iterator

import httpx
import pandas as pd
import pytest

from labapp import Lab, LoadResult, Scraper, latency
from labapp.observe import watch
from labapp.telemetry import LATENCY_BUCKETS_S


@pytest.fixture
def scraper(lab: Lab) -> Iterator[Scraper]:
    scraper = Scraper({"shop": lab.url}, interval_s=0.25).start()
    scraper.wait_for_scrapes(2)
    yield scraper
    scraper.stop()


def test_scrapes_store_samples_with_job_and_instance(lab: Lab, scraper: Scraper) -> None:
    httpx.get(lab.url + "/products/3")  # so the request histogram has a series to export
    scraper.wait_for_scrapes(1)
    up = scraper.query("up")
    assert up["value"].tolist() == [1.0]
    assert up["job"].tolist() == ["shop"]
    assert up["instance"].tolist() == [lab.url.removeprefix("http://")]
    assert "shop_http_request_duration_seconds_bucket" in scraper.store.names()
    # As in Prometheus: the page's sample count, the first sign of a cardinality explosion.
    page = httpx.get(lab.url + "/metrics").text
    on_page = sum(1 for line in page.splitlines() if line and not line.startswith("#"))
    assert abs(scraper.query("scrape_samples_scraped")["value"].iloc[0] - on_page) <= 5
    assert scraper.errors == []
    assert "embedded" in repr(scraper)


def test_open_loop_rate_and_p95_agree_with_the_client(lab: Lab, scraper: Scraper) -> None:
    # 60 ms on the catalog puts every product page in the (0.05, 0.1] bucket,
    # well away from bucket edges, client side and server side alike.
    lab.inject("catalog", latency(0.06))
    result = lab.load(rate=50, duration_s=6, progress=False)
    assert isinstance(result, LoadResult)
    scraper.wait_for_scrapes(2)
    # Every request the shop answered is a 200. On a busy CI machine (the load, the shop and its
    # dependencies share one process) a rare request can go unanswered (status 0), or get the shop's
    # 503 when a stall held the catalog past its 1 s timeout (seen once in CI, 2026-12-02): allow 2%, name them.
    answered_records = [r for r in result.records if r.status != 0]
    assert {r.status for r in answered_records} <= {200, 503}
    troubled = [(round(r.sent - result.started, 2), r.status, r.error) for r in result.records if r.status != 200]
    assert len(troubled) <= 0.02 * len(result.records), troubled

    # The 4 s window ending 5 s after the start lies wholly inside the run. Not shorter: after a
    # stall of a busy machine the held-back answers land together, and a burst at a window's edge
    # is counted by one side and not the other: a 300 ms stall holds back 15 pages, 7.5% of 4 s at 50/s.
    end = result.started + 5.0
    in_window = [r for r in answered_records if end - 4 < r.sent + r.service_time_s <= end]
    rate = scraper.query("sum(rate(shop_http_requests_total[4s]))", at=end)
    # Against what the client saw answered in the same window, not the nominal 50/s:
    # a busy machine slows both alike, so they agree on any machine.
    assert rate["value"].iloc[0] == pytest.approx(len(in_window) / 4, rel=0.2)

    p95 = scraper.query(
        "histogram_quantile(0.95, sum by (le) "
        '(rate(shop_http_request_duration_seconds_bucket{route="/products/{product_id}"}[4s])))',
        at=end,
    )["value"].iloc[0]
    client_p95 = pd.Series([r.latency_s for r in in_window]).quantile(0.95)  # the same pages
    bounds = (0.0, *LATENCY_BUCKETS_S, float("inf"))
    bucket = bisect.bisect_left(bounds, client_p95)  # index of the bucket's upper bound
    # Every page waits 60 ms for the catalog, so the server's p95 is above 0.05 s; the
    # server times less than the client (no client-side queueing), so its estimate
    # cannot pass the upper bound of the bucket holding the client's p95.
    assert 0.05 < p95 <= bounds[bucket], (client_p95, p95)


def test_query_range_steps_through_time(lab: Lab, scraper: Scraper) -> None:
    start = scraper.store.series("up")[0].times[0]
    scraper.wait_for_scrapes(2)
    frame = scraper.query_range("up", start, start + 0.5, step_s=0.25)
    assert isinstance(frame, pd.DataFrame)
    assert frame["time"].tolist() == [start, start + 0.25, start + 0.5]
    assert frame.attrs["query"] == "up"
    with pytest.raises(ValueError, match="before start"):
        scraper.query_range("up", start, start - 1)
    with pytest.raises(ValueError, match="step_s must be positive"):
        scraper.query_range("up", start, start + 1, step_s=0)


def test_a_target_that_does_not_answer_is_down() -> None:
    scraper = Scraper({"gone": "http://127.0.0.1:9"})
    try:
        scraper.scrape_once()
        assert scraper.query("up")["value"].tolist() == [0.0]
        assert scraper.query("scrape_samples_scraped")["value"].tolist() == [0.0]
        assert scraper.errors and scraper.errors[0].startswith("gone:")
    finally:
        scraper.stop()


@pytest.mark.parametrize(("targets", "interval_s"), [({}, 1.0), ({"shop": "http://127.0.0.1:9"}, 0.01)])
def test_bad_arguments(targets: dict[str, str], interval_s: float) -> None:
    with pytest.raises(ValueError, match="at least one target|interval_s must be"):
        Scraper(targets, interval_s=interval_s)


def test_watch_embedded_prints_its_mode(lab: Lab, capsys: pytest.CaptureFixture[str]) -> None:
    watcher = watch({"shop": lab.url}, interval_s=0.2, prefer="embedded")
    try:
        assert isinstance(watcher, Scraper)
        assert "mode: embedded scraper (by request)" in capsys.readouterr().out
    finally:
        watcher.stop()
    with pytest.raises(ValueError, match="prefer must be"):
        watch({"shop": lab.url}, prefer="grafana")


def test_scraper_can_start_again_after_stop(lab: Lab, monkeypatch: pytest.MonkeyPatch, wait_until) -> None:  # type: ignore[no-untyped-def]
    thread_errors: list[BaseException | None] = []
    monkeypatch.setattr(threading, "excepthook", lambda args: thread_errors.append(args.exc_value))
    scraper = Scraper({"shop": lab.url}, interval_s=0.1).start()
    try:
        scraper.wait_for_scrapes(1)
        scraper.stop()
        before = scraper.scrapes
        scraper.start()
        wait_until(
            lambda: scraper.scrapes > before or thread_errors,
            5,
            what="a scrape (or the scraper thread dying) after the restart",
        )
        assert thread_errors == []
        assert scraper.scrapes > before
    finally:
        scraper.stop()


def test_series_that_vanish_or_fail_to_scrape_go_stale_at_once() -> None:
    """As Prometheus marks them: no five-minute ghost of a series that is gone."""
    from starlette.applications import Starlette
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route

    from labapp.runner import ServerThread

    page: dict[str, str | int] = {"text": "a_total 1\nb_total 2\n", "status": 200}

    async def metrics(request: object) -> PlainTextResponse:
        return PlainTextResponse(str(page["text"]), status_code=int(page["status"]))

    server = ServerThread(Starlette(routes=[Route("/metrics", metrics)]), name="fake_target").start(10)
    now = {"t": 1_000.0}
    scraper = Scraper({"app": server.url}, clock=lambda: now["t"])
    try:
        scraper.scrape_once()
        assert scraper.query("a_total")["value"].tolist() == [1.0]
        page["text"] = "a_total 1\n"  # b_total vanished from the page
        now["t"] += 1
        scraper.scrape_once()
        assert scraper.query("b_total").empty
        assert scraper.query("a_total")["value"].tolist() == [1.0]
        page["status"] = 500  # the whole scrape fails: every series ends, up says 0
        now["t"] += 1
        scraper.scrape_once()
        assert scraper.query("a_total").empty
        assert scraper.query("up")["value"].tolist() == [0.0]
        assert scraper.query("scrape_samples_scraped")["value"].tolist() == [0.0]
        assert "500" in scraper.errors[-1]
    finally:
        scraper.stop()
        server.stop()
