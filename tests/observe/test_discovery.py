"""A job's instances change while it is watched: both watchers pick up new ones and end the old."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import pandas as pd
import pytest

from labapp import Lab, PrometheusServer, Scraper, find_prometheus
from labapp.shop import make_shop_app


@pytest.fixture
def second_shop(lab: Lab) -> Iterator[str]:
    url = lab.serve(make_shop_app(lab.service_urls), "second_shop")
    yield url
    lab.extras.pop("second_shop").stop()


def _instances(query: Callable[[str], pd.DataFrame]) -> set[str]:
    frame = query("up == 1")
    return set(frame["instance"]) if len(frame) else set()


def test_the_embedded_scraper_follows_set_targets(lab: Lab, second_shop: str, wait_until: Callable[..., None]) -> None:
    scraper = Scraper({"shop": lab.url}, interval_s=0.2).start()
    try:
        scraper.wait_for_scrapes(2)
        scraper.set_targets("shop", [lab.url, second_shop])
        assert scraper.targets["shop"] == (lab.url, second_shop)
        scraper.wait_for_scrapes(2)
        both = {httpx.URL(u).netloc.decode() for u in (lab.url, second_shop)}
        assert _instances(scraper.query) == both
        scraper.set_targets("shop", [lab.url])
        scraper.wait_for_scrapes(1)
        assert _instances(scraper.query) == {httpx.URL(lab.url).netloc.decode()}  # the other's series ended
    finally:
        scraper.stop()


def test_bad_targets_say_what_a_target_is() -> None:
    with pytest.raises(ValueError, match="base URLs like 'http://127.0.0.1:8000'"):
        Scraper({"shop": ["127.0.0.1:8000"]})
    with pytest.raises(ValueError, match="has no URL to scrape"):
        Scraper({"shop": []})


@pytest.mark.prometheus
@pytest.mark.skipif(
    find_prometheus() is None, reason="no 'prometheus' binary on PATH (Debian: apt-get install prometheus)"
)
def test_prometheus_reloads_its_targets_on_sighup(lab: Lab, second_shop: str, wait_until: Callable[..., None]) -> None:
    with PrometheusServer({"shop": lab.url}, interval_s=0.5) as prometheus:
        prometheus.wait_for_scrapes(1)
        prometheus.set_targets("shop", [lab.url, second_shop])
        assert f"'{httpx.URL(second_shop).netloc.decode()}'" in prometheus.config_text()
        both = {httpx.URL(u).netloc.decode() for u in (lab.url, second_shop)}
        wait_until(lambda: _instances(prometheus.query) == both, timeout_s=20, what="the new instance scraped")
