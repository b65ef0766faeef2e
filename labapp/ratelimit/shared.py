"""Counters that several shop replicas share: a real Redis where installed, else one in the kernel.

Like :func:`labapp.observe.watch` for Prometheus, :func:`shared_storage` makes
the choice and prints it; the caller owns the result and stops it.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..config import LOOPBACK
from .redis_server import RedisServer, find_redis
from .storage import SharedMemoryStorage

__all__ = ["KernelStorage", "SharedStorage", "shared_storage"]


@dataclass(frozen=True)
class KernelStorage:
    """``lab-memory://<name>``: counters every limiter in this kernel built with ``uri`` shares."""

    uri: str

    def stop(self) -> None:
        """Forget the counters (safe to call twice)."""
        SharedMemoryStorage.forget(self.uri)


SharedStorage = RedisServer | KernelStorage


def shared_storage(name: str, *, host: str = LOOPBACK, prefer: str = "auto", quiet: bool = False) -> SharedStorage:
    """Start storage for rate limits shared by replicas; its ``uri`` goes in ``rate_limit_storage``.

    A real Redis on ``host`` (nothing written to disk) where ``redis-server`` is
    installed, else a :class:`KernelStorage` named ``name``, starting from zero.
    ``prefer`` is "auto", "real" (fail if missing) or "embedded". Prints which
    mode it chose, unless ``quiet``. Call ``stop()`` on the result when done.
    """
    if prefer not in ("auto", "real", "embedded"):
        raise ValueError(f"prefer must be 'auto', 'real' or 'embedded', got {prefer!r}")
    binary = find_redis() if prefer != "embedded" else None
    storage: SharedStorage
    if binary is None:
        if prefer == "real":
            raise RuntimeError("no redis-server on PATH: install Debian's redis-server, or use prefer='auto'")
        storage = KernelStorage(f"lab-memory://{name}")
        storage.stop()  # a new owner starts from zero
        why = "as asked" if prefer == "embedded" else "no redis-server on PATH"
        message = f"mode: embedded ({why}): the replicas in this kernel share {storage.uri}"
    else:
        storage = RedisServer(binary, host=host).start()
        message = f"mode: real Redis ({storage.version}) at {storage.uri}"
    if not quiet:
        print(message)
    return storage
