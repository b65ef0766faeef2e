"""Rate limiting and throttling for the shop: slowapi limiters, keys, tiers, a queue, shared storage."""

from .keys import KEY_FUNCS, TIER_OF_KEY, api_key, client_address, forwarded_for_blindly
from .limiter import make_limiter
from .proxy import PROXY_ADDRESS, make_proxy_app
from .redis_server import RedisServer, find_redis
from .storage import SharedMemoryStorage
from .throttle import Throttle

__all__ = [
    "KEY_FUNCS",
    "PROXY_ADDRESS",
    "RedisServer",
    "SharedMemoryStorage",
    "TIER_OF_KEY",
    "Throttle",
    "api_key",
    "client_address",
    "find_redis",
    "forwarded_for_blindly",
    "make_limiter",
    "make_proxy_app",
]
