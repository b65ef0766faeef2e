"""The shop's /docs page, served from an installed package so it works offline.

FastAPI's default /docs loads Swagger UI from a CDN: on a train, in a locked-down
classroom or on a hub without internet it is a blank page. The swagger-ui-bundle
package ships the same files; the shop serves them under /docs/assets.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from starlette.responses import HTMLResponse
from starlette.staticfiles import StaticFiles
from swagger_ui_bundle import swagger_ui_path

__all__ = ["DOCS_PATHS", "add_offline_docs"]

# What describes the shop's insides: for callers on this machine only (see access.LocalOnlyPaths).
DOCS_PATHS = ("/docs", "/openapi.json")


def add_offline_docs(app: FastAPI) -> None:
    """Serve Swagger UI at /docs with its scripts and styles from the installed package.

    The app must be built with ``docs_url=None, redoc_url=None``. Links carry the
    ASGI ``root_path``, so the page also works behind a prefix (a Jupyter proxy).
    """
    app.mount("/docs/assets", StaticFiles(directory=str(swagger_ui_path)), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    async def docs(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "").rstrip("/")
        return get_swagger_ui_html(
            openapi_url=f"{root}{app.openapi_url}",
            title=f"{app.title} - API docs",
            swagger_js_url=f"{root}/docs/assets/swagger-ui-bundle.js",
            swagger_css_url=f"{root}/docs/assets/swagger-ui.css",
            swagger_favicon_url=f"{root}/docs/assets/favicon-32x32.png",
        )
