"""Who a request counts against: its address, a header it sent, or its API key."""

from __future__ import annotations

from slowapi.util import get_remote_address
from starlette.requests import Request

__all__ = ["KEY_FUNCS", "TIER_OF_KEY", "api_key", "client_address", "forwarded_for_blindly"]


def client_address(request: Request) -> str:
    """The address the connection came from (slowapi's ``get_remote_address``).

    Behind a proxy that is the proxy's address, for everyone, unless the server
    rewrites it from ``X-Forwarded-For`` for trusted proxies only (uvicorn's
    ProxyHeadersMiddleware, ``LabConfig.trusted_proxies``).
    """
    return get_remote_address(request)


def forwarded_for_blindly(request: Request) -> str:
    """The first ``X-Forwarded-For`` address, from whoever sent it. The trap of notebook 08:
    any client can write any address there and get a fresh bucket per request."""
    header = request.headers.get("x-forwarded-for")
    return header.split(",")[0].strip() if header else client_address(request)


# Demo keys for the per-key tiers (the second seed's subscription idea). A real
# service looks keys up in a database and never ships them in its code.
TIER_OF_KEY = {"free-key-ada": "free", "free-key-bob": "free", "paid-key-cyd": "paid"}


def api_key(request: Request) -> str:
    """The bearer token of ``Authorization: Bearer <key>``; the route has checked it is known."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


KEY_FUNCS = {"address": client_address, "forwarded-blindly": forwarded_for_blindly}
