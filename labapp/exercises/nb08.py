"""Exercise for notebook 08 (rate limiting): a limit that holds at the boundary, spares honest clients,
and cannot be dodged with a header."""

from __future__ import annotations

import httpx

from ..config import LabConfig
from ..lab import Lab
from ..load import LoadResult, run_open_loop, send_bursts
from ..shop import make_shop_app
from .feedback import fail, ok

__all__ = ["check_limit_config"]

LIMIT_PER_S = 10


def check_limit_config(lab: Lab, config: object) -> bool:
    """The exercise: with ``config``, /items lets no client through more than 10 times in any
    second (even bursting at a window boundary), never rejects a client sending 7 per second,
    and gives a spoofed X-Forwarded-For nothing extra. Measured against a shop built from it."""
    if not isinstance(config, LabConfig):
        return fail(f"expected a LabConfig, got {type(config).__name__}", "my_config = LabConfig(items_limit=..., ...)")
    base = lab.serve(make_shop_app(lab.service_urls, config=config), "ex08_shop")
    url = base + "/items"
    try:
        bursts = send_bursts(url, [(0, 1), (0.9, 15), (1.05, 15)], source="127.0.0.30")
        steady = run_open_loop(base, rate=7, duration_s=2, targets="/items", progress=False, seed=lab.config.seed)
        with httpx.Client(transport=httpx.HTTPTransport(local_address="127.0.0.32")) as client:
            spoofed = [client.get(url, headers={"x-forwarded-for": f"10.0.0.{i}"}).status_code for i in range(30)]
    finally:
        lab.extras.pop("ex08_shop").stop()
    assert isinstance(steady, LoadResult)  # not a background run
    # The two late bursts are 0.15 s apart, so in any limit that holds they share
    # one second: at most 10 of their 30 may pass. (Counted per burst, not by the
    # client's clock, which a busy machine can skew by tens of milliseconds.)
    late = bursts[bursts["t"] >= 0.5]
    peak = int((late["status"] == 200).sum())
    if peak > LIMIT_PER_S:
        return fail(
            f"{peak} requests of one client got through within 0.15 s",
            "a fixed window lets up to twice the limit through around its edge: try another rate_limit_strategy",
        )
    rejected = sum(1 for r in steady.records if r.status == 429)
    if rejected:
        return fail(f"a client sending 7 requests per second got {rejected} 429s", "the limit must allow 10 per second")
    if spoofed.count(200) > LIMIT_PER_S:
        return fail(
            f"{spoofed.count(200)} of 30 requests with made-up X-Forwarded-For headers got through",
            "key the limit by the connection's address, and trust the header only from known proxies",
        )
    return ok(
        f"{peak} of the 30 at the window edge; 7/s never rejected; spoofing got {spoofed.count(200)} of 30 through"
    )
