"""Run a coroutine to completion from plain (sync) code, even inside Jupyter.

A notebook cell runs in a thread whose event loop is already running, so
``asyncio.run`` fails there ("cannot be called from a running event loop").
:func:`run_sync` runs the coroutine on an event loop of its own in a side
thread (anyio's blocking portal) and hands back its result, or raises its
exception, in the calling thread. A KeyboardInterrupt (Jupyter's "interrupt
the kernel") cancels the coroutine and propagates.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from anyio.from_thread import start_blocking_portal

__all__ = ["run_sync"]

T = TypeVar("T")


def run_sync(async_fn: Callable[..., Awaitable[T]], *args: object, name: str = "lab-async") -> T:
    """``async_fn(*args)`` on a fresh event loop in a thread named ``name``; its result or its exception."""
    with start_blocking_portal(backend="asyncio", name=name) as portal:
        return portal.call(async_fn, *args)
