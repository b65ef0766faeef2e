"""A ``limits`` storage that several limiters in one process share: the in-kernel stand-in for Redis."""

from __future__ import annotations

import threading
from typing import Any, ClassVar

from limits.storage import MemoryStorage

__all__ = ["SharedMemoryStorage"]


class SharedMemoryStorage(MemoryStorage):
    """``lab-memory://<name>``: every limiter built with the same URI gets the same counters.

    ``memory://`` gives each limiter (each replica) its own counters, which is
    the bug of notebook 08; Redis shares them across processes. Without a Redis
    server, replicas inside one kernel can still share one of these. limits
    finds the class by its scheme when a storage URI names it.
    """

    STORAGE_SCHEME = ["lab-memory"]  # type: ignore[misc]  # how limits' registry finds the class
    _shared: ClassVar[dict[str, SharedMemoryStorage]] = {}
    _lock: ClassVar[threading.Lock] = threading.Lock()

    def __new__(cls, uri: str | None = None, **options: Any) -> SharedMemoryStorage:
        with cls._lock:
            existing = cls._shared.get(uri or "")
            if existing is None:
                existing = super().__new__(cls)
                existing._initialised = False
                cls._shared[uri or ""] = existing
            return existing

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options: Any) -> None:
        if getattr(self, "_initialised", False):
            return  # the same counters as every other limiter with this URI
        super().__init__(uri, wrap_exceptions, **options)
        self._initialised = True

    @classmethod
    def forget(cls, uri: str) -> None:
        """Drop the shared counters of ``uri`` (a new lab starts from zero)."""
        with cls._lock:
            storage = cls._shared.pop(uri, None)
        if storage is not None:
            storage.reset()
