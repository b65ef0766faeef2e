"""What the shop serves when a nice-to-have dependency fails: the last good answer, or nothing."""

from __future__ import annotations

import time
from typing import Any

from cachetools import LRUCache

__all__ = ["StaleCache"]


class StaleCache:
    """The last good answer per key, kept for as long as there is room (least recently used goes first).

    Not a TTL cache: the point is to have *something* when the live source
    fails, even if it is old, and to say how old. Every success overwrites.
    """

    def __init__(self, size: int) -> None:
        if size < 1:
            raise ValueError(f"size must be at least 1 entry, got {size}")
        self._entries: LRUCache[Any, tuple[Any, float]] = LRUCache(maxsize=size)

    def put(self, key: Any, value: Any) -> None:
        self._entries[key] = (value, time.monotonic())

    def get(self, key: Any) -> tuple[Any, float] | None:
        """(value, age in seconds), or None if never stored (or evicted)."""
        entry = self._entries.get(key)
        if entry is None:
            return None
        value, stored = entry
        return value, time.monotonic() - stored

    def __len__(self) -> int:
        return len(self._entries)
