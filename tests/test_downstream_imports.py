"""A call to a dependency searches for no module: every page the shop serves makes two.

httpcore 1.0 imports sniffio inside every connection-pool lock and event it
sets up, and falls back to asyncio when the import fails; since anyio 4.11 no
longer installs sniffio, that import fails each time, and Python does not cache
a failed import: each one searches sys.path again (encode/httpcore#1103). In
benchmarks/page_profile.py that search was 4.9% of the product page's CPU.
requirements.txt names sniffio, and this test fails if a call searches again.
"""

from __future__ import annotations

import asyncio
import importlib.abc
import sys

import httpx

RESPONSE = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"


class SearchLog(importlib.abc.MetaPathFinder):
    """Notes every module Python has to search for, and finds none (the real finders still do)."""

    def __init__(self) -> None:
        self.searched: list[str] = []

    def find_spec(self, name: str, path: object = None, target: object = None) -> None:
        self.searched.append(name)
        return None


async def _calls(log: SearchLog) -> None:
    handlers: list[asyncio.Task] = []

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        handlers.append(asyncio.current_task())  # type: ignore[arg-type]
        try:
            while await reader.readuntil(b"\r\n\r\n"):
                writer.write(RESPONSE)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionResetError):
            pass  # the client closed its connection
        finally:
            writer.close()
            await writer.wait_closed()

    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=5.0) as client:
            assert (await client.get("/products/1")).json() == {}  # first call: the pool's modules load once
            sys.meta_path.insert(0, log)
            try:
                for product_id in range(2, 6):
                    assert (await client.get(f"/products/{product_id}")).status_code == 200
            finally:
                sys.meta_path.remove(log)
        await asyncio.wait_for(asyncio.gather(*handlers), timeout=5.0)  # each sees the client close


def test_a_downstream_call_searches_for_no_module() -> None:
    log = SearchLog()
    asyncio.run(_calls(log))
    assert log.searched == [], (
        f"4 calls searched for {sorted(set(log.searched))}: a module imported per call and missing "
        "(pip install -r requirements.txt; sniffio is there for httpcore)"
    )
