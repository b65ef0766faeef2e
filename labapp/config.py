"""Every knob of a lab in one place.

Lab values are compressed in time (seconds, not minutes) so a notebook can
show a pattern in under a minute; the production value sits beside each one.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field

__all__ = ["LabConfig", "LOOPBACK"]

LOOPBACK = "127.0.0.1"


@dataclass(frozen=True)
class LabConfig:
    """Settings for one :class:`~labapp.Lab`.

    Attributes:
        host: address every server binds; loopback unless you mean otherwise.
        shop_port: the shop's port; 0 picks a free one.
        seed: seeds fault randomness and load mixes, so re-runs look alike.
        catalog_timeout_s: how long the shop waits for the catalog
            (essential). Production: about 1 s, set from the catalog's p99.
        recommender_timeout_s: how long the shop waits for recommendations
            (nice-to-have, so shorter). Production: 100-300 ms.
        payments_timeout_s: how long checkout waits for payments.
        start_timeout_s: deadline for each server to answer after start.
        allow_remote: must be True to bind anything but loopback.
        ready_requires: dependencies /ready requires. Only the essential ones
            belong here (see notebook 03 for a check that is too deep).
        payments_breaker_threshold: failures in a row that open a circuit
            breaker on the payments call; 0 = no breaker. Production: 5.
        payments_breaker_recovery_s: how long it stays open before one trial
            call. Production: 30 s; lab: 1 s.
        payments_retry: "none", "immediate" (the naive kind) or "backoff"
            (exponential with full jitter), for failed payments calls.
        payments_retry_attempts: tries per call, the first one included.
        recommendations_cache: how many products' last good recommendations
            the shop keeps to serve (stale) when the recommender fails; 0 = off.
            Production: sized to the hot products, minutes to hours old at most.
    """

    host: str = LOOPBACK
    shop_port: int = 0
    seed: int = 42
    catalog_timeout_s: float = 1.0
    recommender_timeout_s: float = 0.5
    payments_timeout_s: float = 2.0
    start_timeout_s: float = 10.0
    allow_remote: bool = False
    excluded_metric_paths: tuple[str, ...] = field(default=("/metrics", "/health", "/ready"))
    ready_requires: tuple[str, ...] = ("catalog",)
    recommendations_cache: int = 0
    payments_breaker_threshold: int = 0
    payments_breaker_recovery_s: float = 1.0
    payments_retry: str = "none"
    payments_retry_attempts: int = 3

    def __post_init__(self) -> None:
        if not 0 <= self.shop_port <= 65535:
            raise ValueError(f"shop_port must be 0 (any free port) or 1-65535, got {self.shop_port}")
        for name in (
            "catalog_timeout_s",
            "recommender_timeout_s",
            "payments_timeout_s",
            "start_timeout_s",
            "payments_breaker_recovery_s",
        ):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or value <= 0:
                raise ValueError(f"{name} must be a positive number of seconds, got {value!r}")
        if not isinstance(self.payments_breaker_threshold, int) or self.payments_breaker_threshold < 0:
            raise ValueError(
                "payments_breaker_threshold is failures in a row (0 = no breaker), "
                f"got {self.payments_breaker_threshold!r}"
            )
        if not isinstance(self.recommendations_cache, int) or self.recommendations_cache < 0:
            raise ValueError(
                f"recommendations_cache is a number of products (0 turns it off), got {self.recommendations_cache!r}"
            )
        unknown = set(self.ready_requires) - {"catalog", "recommender", "payments"}
        if unknown:
            raise ValueError(
                f"ready_requires names unknown services {sorted(unknown)}; choose from catalog, recommender, payments"
            )
        if not is_loopback(self.host) and not self.allow_remote:
            raise ValueError(
                f"host {self.host!r} is not a loopback address. The lab's admin and fault routes "
                "must not be reachable from other machines; pass allow_remote=True only if you "
                "really mean to expose it (for example on a classroom projector network)."
            )


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and 'localhost'."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
