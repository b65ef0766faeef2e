"""The incident switches on a real shop: deny list, load shedding, degraded mode."""

from __future__ import annotations

import httpx
import pytest

from labapp import Lab
from labapp.shop import ShopControls


def _client(address: str) -> httpx.Client:
    return httpx.Client(transport=httpx.HTTPTransport(local_address=address), timeout=10.0)


def _refused(lab: Lab, reason: str) -> float:
    assert lab.metrics is not None
    return lab.metrics.refused.labels(reason)._value.get()


def test_a_blocked_address_gets_403_with_a_reason_and_others_are_served(lab: Lab) -> None:
    before = _refused(lab, "blocked")
    lab.controls.block("127.0.0.7")
    with _client("127.0.0.7") as blocked, _client("127.0.0.8") as other:
        answer = blocked.get(f"{lab.url}/items")
        assert answer.status_code == 403
        assert "127.0.0.7 are blocked" in answer.json()["detail"]
        assert answer.headers["retry-after"] == "60"
        assert other.get(f"{lab.url}/items").status_code == 200
        lab.controls.unblock("127.0.0.7")
        assert blocked.get(f"{lab.url}/items").status_code == 200
    assert _refused(lab, "blocked") == before + 1


def test_shedding_refuses_exactly_its_share_of_low_priority_requests_only(lab: Lab, http: httpx.Client) -> None:
    lab.controls.shed(0.5)
    statuses = [http.get(f"{lab.url}/products/{i}").status_code for i in range(1, 11)]
    assert statuses.count(503) == 5 and statuses.count(200) == 5
    shed = next(r for i in range(1, 3) if (r := http.get(f"{lab.url}/products/{i}")).status_code == 503)
    assert shed.headers["retry-after"] == "1" and "shedding" in shed.json()["detail"]
    # Money and probes are never shed.
    for _ in range(6):
        assert http.post(f"{lab.url}/checkout", json={"product_id": 3}).status_code == 200
        assert http.get(f"{lab.url}/health").status_code == 200
    lab.controls.shed(0)
    assert all(http.get(f"{lab.url}/products/1").status_code == 200 for _ in range(4))


def test_degraded_mode_skips_the_recommender_entirely(lab: Lab, http: httpx.Client) -> None:
    assert lab.metrics is not None
    calls = lab.metrics.downstream_requests.labels("recommender", "ok")
    before = calls._value.get()
    lab.controls.skip("recommender")
    page = http.get(f"{lab.url}/products/5").json()
    assert page["degraded"] is True and page["recommendations_source"] in ("none", "cache")
    assert calls._value.get() == before  # not called at all
    lab.controls.unskip("recommender")
    assert http.get(f"{lab.url}/products/5").json()["recommendations_source"] == "live"


@pytest.mark.parametrize(
    ("call", "needle"),
    [
        (lambda c: c.shed(1.5), "fraction from 0 to 1"),
        (lambda c: c.shed("half"), "fraction from 0 to 1"),
        (lambda c: c.skip("catalog"), "no page to serve"),
        (lambda c: c.block(""), "client address"),
    ],
)
def test_bad_switch_values_say_what_to_do(call: object, needle: str) -> None:
    with pytest.raises(ValueError, match=needle):
        call(ShopControls())  # type: ignore[operator]


def test_shedding_is_spread_evenly() -> None:
    controls = ShopControls()
    controls.shed(0.25)
    assert [controls.should_shed() for _ in range(8)] == [False, False, False, True] * 2
    controls.reset()
    assert not controls.should_shed() and controls.blocked == frozenset()
