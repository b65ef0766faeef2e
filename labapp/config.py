"""Every knob of a lab in one place.

Lab values are compressed in time (seconds, not minutes) so a notebook can
show a pattern in under a minute; the production value sits beside each one.
"""

from __future__ import annotations

import ipaddress
import warnings
from dataclasses import dataclass, field

from .arguments import number, whole_number

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
        items_limit: the rate limit of GET /items per client, in the limits
            library's notation. Lab: "50/second" (notebook 08 uses
            "10/second"); the seed's production value: "100/minute".
        rate_limit_strategy: "fixed-window", "moving-window" or
            "sliding-window-counter" (notebook 08 compares them).
        rate_limit_storage: where the counters live: "memory://" (this
            process only), "redis://host:port" (shared by replicas), or
            "lab-memory://<name>" (shared by replicas inside one kernel).
        rate_limit_key: "address" (the connection's) or "forwarded-blindly"
            (the first X-Forwarded-For value: the trap of notebook 08).
        trusted_proxies: addresses or networks (CIDR) whose X-Forwarded-For the
            shop believes: your load balancer's, nothing wider. "*" and networks
            of more than 65,536 addresses are refused (anyone there could pick
            their own address); more than 256 draws a warning.
        allowed_hosts: Host names the shop answers to besides 127.0.0.1,
            localhost and ::1 when bound to loopback (DNS-rebinding protection);
            e.g. the name a Jupyter proxy forwards.
        flaws: planted security flaws (notebook 11), from
            ``labapp.shop.flaws.FLAWS``; ``VULNERABLE`` is all of them. None by
            default: the hardened shop.
        tier_limits: limits of GET /v1/items per API key, by tier.
        throttle_rate_per_s, throttle_queue, throttle_max_wait_s: GET
            /items/queued paces requests instead of rejecting them, with at
            most this many waiting, each for at most this long.
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
    items_limit: str = "50/second"
    rate_limit_strategy: str = "fixed-window"
    rate_limit_storage: str = "memory://"
    rate_limit_key: str = "address"
    trusted_proxies: tuple[str, ...] = ()
    allowed_hosts: tuple[str, ...] = ()
    flaws: tuple[str, ...] = ()
    tier_limits: tuple[tuple[str, str], ...] = (("free", "5/second"), ("paid", "50/second"))
    throttle_rate_per_s: float = 10.0
    throttle_queue: int = 20
    throttle_max_wait_s: float = 1.0
    payments_breaker_threshold: int = 0
    payments_breaker_recovery_s: float = 1.0
    payments_retry: str = "none"
    payments_retry_attempts: int = 3

    def __post_init__(self) -> None:
        if isinstance(self.shop_port, bool) or not isinstance(self.shop_port, int) or not 0 <= self.shop_port <= 65535:
            raise ValueError(f"shop_port must be 0 (any free port) or 1-65535, got {self.shop_port!r}")
        whole_number("seed", self.seed, minimum=0)
        whole_number("payments_retry_attempts", self.payments_retry_attempts, minimum=1, maximum=10)
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
        for value in (self.items_limit, *dict(self.tier_limits).values()):
            _check_limit(value)
        if self.rate_limit_strategy not in ("fixed-window", "moving-window", "sliding-window-counter"):
            raise ValueError(
                f"rate_limit_strategy {self.rate_limit_strategy!r}: use fixed-window, moving-window "
                "or sliding-window-counter"
            )
        if self.rate_limit_key not in ("address", "forwarded-blindly"):
            raise ValueError(f"rate_limit_key {self.rate_limit_key!r}: use 'address' or 'forwarded-blindly'")
        number("throttle_rate_per_s", self.throttle_rate_per_s, above=0, unit="requests a second")
        whole_number("throttle_queue", self.throttle_queue, minimum=0)
        number("throttle_max_wait_s", self.throttle_max_wait_s, above=0, unit="seconds")
        unknown = set(self.ready_requires) - {"catalog", "recommender", "payments"}
        if unknown:
            raise ValueError(
                f"ready_requires names unknown services {sorted(unknown)}; choose from catalog, recommender, payments"
            )
        _check_trusted_proxies(self.trusted_proxies)
        _check_flaws(self.flaws)
        if not is_loopback(self.host) and not self.allow_remote:
            raise ValueError(
                f"host {self.host!r} is not a loopback address. The lab's admin and fault routes "
                "must not be reachable from other machines; pass allow_remote=True only if you "
                "really mean to expose it (for example on a classroom projector network)."
            )


def _check_trusted_proxies(proxies: tuple[str, ...]) -> None:
    if isinstance(proxies, str):
        raise ValueError(f"trusted_proxies is a tuple of addresses, e.g. ({proxies!r},), not a string")
    for entry in proxies:
        try:
            network = ipaddress.ip_network(entry, strict=False)
        except ValueError:
            hint = " ('*' trusts every caller to name its own address)" if entry == "*" else ""
            raise ValueError(
                f"trusted_proxies entry {entry!r} is not an address or network{hint}; list your proxies' "
                "addresses, e.g. ('10.0.0.5',) or ('10.0.0.0/28',)"
            ) from None
        if network.num_addresses > 65_536:
            raise ValueError(
                f"trusted_proxies entry {entry!r} covers {network.num_addresses:,} addresses: anyone in it "
                "could set X-Forwarded-For and pick their own address (rate limits, blocks, logs). "
                "List only your proxies (a /24 at most)."
            )
        if network.num_addresses > 256:
            warnings.warn(
                f"trusted_proxies entry {entry!r} covers {network.num_addresses:,} addresses; every host in it "
                "can choose the client address the shop sees. Narrow it to your proxies.",
                UserWarning,
                stacklevel=4,
            )


def _check_flaws(flaws: tuple[str, ...]) -> None:
    from .shop.flaws import FLAWS

    if isinstance(flaws, str):
        raise ValueError(f"flaws is a tuple of flaw names, e.g. ({flaws!r},), not a string")
    unknown = sorted(set(flaws) - set(FLAWS))
    if unknown:
        raise ValueError(f"unknown flaws {unknown}; choose from {sorted(FLAWS)} (or VULNERABLE for all)")


def _check_limit(value: str) -> None:
    from limits import parse_many

    try:
        parse_many(value)
    except ValueError:
        raise ValueError(
            f"rate limit {value!r} is not in the limits notation: write e.g. '10/second', '100/minute' "
            "or '5 per 1 second'"
        ) from None


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and 'localhost'."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
