"""The shop's /docs page, served from an installed package so it works offline.

FastAPI's default /docs loads Swagger UI from a CDN: on a train, in a locked-down
classroom or on a hub without internet it is a blank page. fastapi-offline ships
the same files (Swagger UI 5, which reads FastAPI's OpenAPI 3.1; the older
swagger-ui-bundle package's Swagger UI 4 only says "Unable to render this
definition") and serves them under /docs/assets. Its links carry the ASGI
``root_path``, so the page also works behind a Jupyter server's proxy (proxied.py).
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi_offline import FastAPIOffline

__all__ = ["ASSETS_PATH", "DOCS_PATHS", "app_with_offline_docs"]

# What describes the shop's insides: for callers on this machine only (see access.LocalOnlyPaths).
DOCS_PATHS = ("/docs", "/openapi.json")
ASSETS_PATH = "/docs/assets"  # under /docs: the same access rule and the docs' CSP (headers.py) cover it


def app_with_offline_docs(**settings: Any) -> FastAPI:
    """A FastAPI app (``settings`` as for FastAPI) with Swagger UI at /docs from local files, and no ReDoc."""
    return FastAPIOffline(docs_url="/docs", redoc_url=None, static_url=ASSETS_PATH, **settings)
