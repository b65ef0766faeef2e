"""A real Redis server on loopback, for limits shared by replicas (notebook 08)."""

from __future__ import annotations

from pathlib import Path

import redis

from ..config import LOOPBACK
from ..observe.process import ManagedProcess, find_binary

__all__ = ["RedisServer", "find_redis"]


def find_redis() -> str | None:
    """Debian's ``redis-server`` on PATH, or None (the lab then shares limits inside the kernel)."""
    return find_binary("redis-server")


class RedisServer(ManagedProcess):
    """``redis-server`` with nothing written to disk, on a free loopback port.

    >>> with RedisServer(find_redis()) as server:
    ...     server.url        # 'redis://127.0.0.1:40123'
    """

    name = "redis"

    def __init__(self, binary: str, host: str = LOOPBACK) -> None:
        super().__init__(binary, host)

    @property
    def version(self) -> str:
        # "Redis server v=7.0.15 sha=... malloc=... bits=64 build=...": keep "redis-server 7.0.15".
        words = super().version.split()
        number = next((w[2:] for w in words if w.startswith("v=")), "?")
        return f"redis-server {number}"

    @property
    def url(self) -> str:
        return f"redis://{self.host}:{self.port}"

    @property
    def uri(self) -> str:
        """The ``rate_limit_storage`` value that points limiters here (the same as ``url``)."""
        return self.url

    def command(self, workdir: Path) -> list[str]:
        return [
            self.binary,
            "--bind", self.host,
            "--port", str(self.port),
            "--save", "",  # no snapshots: lab counters are not worth a disk write
            "--appendonly", "no",
            "--dir", str(workdir),
            "--loglevel", "warning",
        ]  # fmt: skip

    def is_ready(self) -> bool:
        try:
            with redis.Redis(host=self.host, port=self.port, socket_timeout=0.5) as client:
                return bool(client.ping())
        except redis.RedisError:
            return False
