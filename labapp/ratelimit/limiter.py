"""The shop's slowapi Limiter, built from a LabConfig: one per app, so re-runs start from zero."""

from __future__ import annotations

from slowapi import Limiter

from ..config import LabConfig
from . import storage as _storage  # noqa: F401  # registers the lab-memory:// scheme with limits
from .keys import KEY_FUNCS

__all__ = ["make_limiter"]


def make_limiter(config: LabConfig) -> Limiter:
    """A Limiter keyed as ``config.rate_limit_key`` says, counting in ``config.rate_limit_storage``.

    ``headers_enabled``: every answer of a limited route carries X-RateLimit-Limit,
    -Remaining, -Reset and Retry-After, so clients can pace themselves.
    """
    return Limiter(
        key_func=KEY_FUNCS[config.rate_limit_key],
        strategy=config.rate_limit_strategy,
        storage_uri=config.rate_limit_storage,
        headers_enabled=True,
    )
