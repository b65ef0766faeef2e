"""Two uvicorn workers (benchmarks/workers.py): the fixes the lab teaches hold exactly, with real processes.

prometheus-client's multiprocess mode shows every request in every scrape, whichever
worker answers it; a Redis-backed limit of 10 a minute lets exactly 10 of 40 through,
however the kernel spreads the connections over the workers.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

import workers  # noqa: E402

from labapp.ratelimit.redis_server import RedisServer, find_redis  # noqa: E402


def test_multiprocess_mode_counts_every_request_in_every_scrape() -> None:
    by_pid, seen = workers.count_and_scrape("multiprocess", requests=30, scrapes=6)
    assert sum(by_pid.values()) == 30
    assert seen == [31.0] * 6  # the 30, plus the readiness check


def test_per_process_registries_never_show_more_than_was_sent() -> None:
    by_pid, seen = workers.count_and_scrape("process", requests=30, scrapes=6)
    assert len(seen) == 6 and all(0 < value <= 31 for value in seen)
    # Each scrape shows one worker's count: right only if that worker answered everything.
    if len(by_pid) == 2:
        assert all(value < 31 for value in seen)


@pytest.mark.skipif(find_redis() is None, reason="redis-server is not installed")
def test_a_shared_redis_limit_holds_across_workers() -> None:
    with RedisServer(str(find_redis())) as redis:
        allowed, refused = workers.limited(redis.uri)
    assert (sum(allowed.values()), refused) == (10, 30)
