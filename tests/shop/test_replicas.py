"""Scaling out for real: replicas behind a balancer, found by the watcher, added and removed under traffic."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import pytest

from labapp import Lab
from labapp.respond import ScaleOut


@pytest.fixture
def balanced(lab: Lab) -> Iterator[Lab]:
    lab.balance(1)
    yield lab
    lab._discard("replicas")  # the shared lab goes on without them


def test_the_balancer_spreads_requests_and_replicas_see_the_real_client(balanced: Lab) -> None:
    replicas = balanced.replicas
    assert replicas is not None and len(replicas) == 1
    replicas.add()
    with httpx.Client(transport=httpx.HTTPTransport(local_address="127.0.0.42"), timeout=10) as client:
        statuses = [client.get(f"{replicas.url}/products/{i}").status_code for i in range(1, 11)]
    assert statuses == [200] * 10
    # The deny list acts on the client behind the balancer, not on the balancer's own address.
    balanced.controls.block("127.0.0.42")
    with httpx.Client(transport=httpx.HTTPTransport(local_address="127.0.0.42"), timeout=10) as client:
        assert client.get(f"{replicas.url}/items").status_code == 403
    assert httpx.get(f"{replicas.url}/items").status_code == 200
    pages = [
        httpx.get(f"{url}/metrics").text.count('route="/products/{product_id}",status="200"') for url in replicas.urls
    ]
    assert pages == [1, 1]  # both replicas served product pages


def test_the_watcher_follows_scale_out_and_in(balanced: Lab, wait_until: Callable[..., None]) -> None:
    watcher = balanced.watch(prefer="embedded", interval_s=0.2)
    replicas = balanced.replicas
    assert replicas is not None
    scale = ScaleOut(lambda: balanced.replicas)
    assert "2 now" in scale.apply("shop")
    assert len(watcher.targets["shop"]) == 2
    wait_until(lambda: len(watcher.query("up == 1")) == 2, timeout_s=10, what="both replicas scraped")
    assert "1 now" in scale.revert("shop")
    wait_until(lambda: len(watcher.query("up == 1")) == 1, timeout_s=10, what="the removed replica's series ended")
    with pytest.raises(RuntimeError, match="one replica always stays"):
        scale.revert("shop")


def test_scaling_without_a_balancer_says_what_to_do(lab: Lab) -> None:
    with pytest.raises(RuntimeError, match=r"lab.balance\(\)"):
        ScaleOut(lambda: lab.replicas).apply("shop")
