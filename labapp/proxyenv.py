"""Loopback is never sent through a corporate proxy.

Behind a proxy, HTTP_PROXY / HTTPS_PROXY / ALL_PROXY are often set for every
program. httpx (and requests) honour them, and without NO_PROXY a request to
127.0.0.1 goes to the proxy, which cannot reach this machine's loopback: the
lab would not even start ("did not answer within 10 s"). Every server of the
lab is on loopback, so importing labapp adds loopback to NO_PROXY; other
addresses still use the proxy.
"""

from __future__ import annotations

import os
from collections.abc import MutableMapping

__all__ = ["LOOPBACK_NAMES", "PROXY_VARIABLES", "bypass_proxy_for_loopback"]

PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy")
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1")


def bypass_proxy_for_loopback(environ: MutableMapping[str, str] = os.environ) -> list[str]:
    """If a proxy variable is set, add the loopback names missing from NO_PROXY (both spellings); return them."""
    if not any(environ.get(name) for name in PROXY_VARIABLES):
        return []
    current = environ.get("NO_PROXY") or environ.get("no_proxy") or ""
    present = {entry.strip() for entry in current.split(",") if entry.strip()}
    missing = [name for name in LOOPBACK_NAMES if name not in present]
    if missing:
        value = ",".join([*(entry for entry in current.split(",") if entry.strip()), *missing])
        environ["NO_PROXY"] = environ["no_proxy"] = value
    return missing
