"""LabConfig: every knob in one place, checked when built."""

from __future__ import annotations

import dataclasses

import pytest

from labapp import LabConfig
from labapp.config import LOOPBACK, is_loopback


def test_defaults_are_loopback_and_any_free_port() -> None:
    config = LabConfig()
    assert config.host == LOOPBACK == "127.0.0.1"
    assert config.shop_port == 0
    assert not config.allow_remote
    assert set(config.excluded_metric_paths) == {"/metrics", "/health", "/ready"}
    # the nice-to-have dependency gets less patience than the essential one
    assert config.recommender_timeout_s < config.catalog_timeout_s


def test_is_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        LabConfig().seed = 1  # type: ignore[misc]


@pytest.mark.parametrize("port", [-1, 65536])
def test_rejects_impossible_ports(port: int) -> None:
    with pytest.raises(ValueError, match="shop_port must be 0"):
        LabConfig(shop_port=port)


@pytest.mark.parametrize(
    "name", ["catalog_timeout_s", "recommender_timeout_s", "payments_timeout_s", "start_timeout_s"]
)
@pytest.mark.parametrize("value", [0, -1.0, "1"])
def test_rejects_non_positive_timeouts(name: str, value: object) -> None:
    with pytest.raises(ValueError, match=f"{name} must be a positive number of seconds"):
        LabConfig(**{name: value})  # type: ignore[arg-type]


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.10", "example.org"])
def test_non_loopback_host_needs_allow_remote(host: str) -> None:
    with pytest.raises(ValueError, match="not a loopback address.*allow_remote=True"):
        LabConfig(host=host)
    assert LabConfig(host=host, allow_remote=True).host == host


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("127.0.0.1", True),
        ("127.0.0.42", True),
        ("::1", True),
        ("localhost", True),
        ("0.0.0.0", False),
        ("10.1.2.3", False),
        ("", False),
        ("testclient", False),
    ],
)
def test_is_loopback(host: str, expected: bool) -> None:
    assert is_loopback(host) is expected
