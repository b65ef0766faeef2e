"""shared_storage(): where replicas share rate-limit counters, Redis or in-kernel, and it says which."""

from __future__ import annotations

import shutil

import pytest

from labapp.ratelimit import KernelStorage, RedisServer, SharedMemoryStorage, shared_storage


def test_embedded_storage_starts_from_zero_and_stop_forgets_it(capsys: pytest.CaptureFixture[str]) -> None:
    old = SharedMemoryStorage("lab-memory://test-shared")
    old.incr("key", 60)
    storage = shared_storage("test-shared", prefer="embedded")
    assert storage == KernelStorage("lab-memory://test-shared")
    assert capsys.readouterr().out == (
        "mode: embedded (as asked): the replicas in this kernel share lab-memory://test-shared\n"
    )
    shared = SharedMemoryStorage(storage.uri)
    assert shared is not old and shared.get("key") == 0
    storage.stop()
    storage.stop()  # safe twice
    assert SharedMemoryStorage(storage.uri) is not shared
    SharedMemoryStorage.forget(storage.uri)


def test_without_redis_auto_falls_back_and_real_fails(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("LABAPP_EMBEDDED", "1")  # act as if redis-server were not installed
    storage = shared_storage("test-fallback", quiet=True)
    assert isinstance(storage, KernelStorage) and capsys.readouterr().out == ""
    storage.stop()
    with pytest.raises(RuntimeError, match="no redis-server on PATH"):
        shared_storage("test-fallback", prefer="real")


def test_prefer_is_checked() -> None:
    with pytest.raises(ValueError, match="prefer must be 'auto', 'real' or 'embedded', got 'redis'"):
        shared_storage("x", prefer="redis")


@pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs Debian's redis-server on PATH")
def test_real_redis_is_started_and_stopped(capsys: pytest.CaptureFixture[str]) -> None:
    storage = shared_storage("unused", prefer="real")
    try:
        assert isinstance(storage, RedisServer) and storage.running
        assert storage.uri == storage.url and storage.uri.startswith("redis://127.0.0.1:")
        assert capsys.readouterr().out.startswith("mode: real Redis (redis-server ")
    finally:
        storage.stop()
    assert not storage.running
