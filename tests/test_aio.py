"""run_sync: a coroutine to completion from sync code, even where an event loop already runs."""

from __future__ import annotations

import asyncio
import threading

import pytest

from labapp.aio import run_sync


async def add(a: int, b: int) -> int:
    await asyncio.sleep(0)
    return a + b


async def fail() -> None:
    await asyncio.sleep(0)
    raise LookupError("from inside the coroutine")


def test_returns_the_result_and_raises_the_exception_itself() -> None:
    assert run_sync(add, 2, 3) == 5
    with pytest.raises(LookupError, match="from inside the coroutine"):
        run_sync(fail)


def test_works_where_a_loop_is_already_running_as_in_a_notebook_cell() -> None:
    async def cell() -> int:
        pending = add(1, 1)
        with pytest.raises(RuntimeError, match="running event loop"):
            asyncio.run(pending)  # what fails in Jupyter
        pending.close()
        return run_sync(add, 20, 22)  # a sync call, blocking this loop's thread, as a cell would

    assert asyncio.run(cell()) == 42


def test_leaves_no_thread_behind() -> None:
    before = set(threading.enumerate())
    run_sync(add, 1, 2, name="lab-test-portal")
    with pytest.raises(LookupError):
        run_sync(fail, name="lab-test-portal")
    assert not [t for t in set(threading.enumerate()) - before if t.name == "lab-test-portal"]
