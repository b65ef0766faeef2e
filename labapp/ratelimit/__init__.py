"""Rate limiting and throttling for the shop: slowapi limiters, keys, tiers, a queue, shared storage."""

from ..proxy import PROXY_ADDRESS, make_proxy_app
from .keys import KEY_FUNCS, TIER_OF_KEY, api_key, client_address, forwarded_for_blindly
from .limiter import make_limiter
from .redis_server import RedisServer, find_redis
from .shared import KernelStorage, SharedStorage, shared_storage
from .storage import SharedMemoryStorage
from .throttle import Throttle

__all__ = [
    "KEY_FUNCS",
    "KernelStorage",
    "PROXY_ADDRESS",
    "RedisServer",
    "SharedMemoryStorage",
    "SharedStorage",
    "TIER_OF_KEY",
    "Throttle",
    "api_key",
    "client_address",
    "find_redis",
    "forwarded_for_blindly",
    "make_limiter",
    "make_proxy_app",
    "shared_storage",
]
