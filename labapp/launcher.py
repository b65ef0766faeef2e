"""JupyterLab launcher entries for the lab's pages: "Shop API docs" and "Prometheus".

jupyter-server-proxy reads the ``jupyter_serverproxy_servers`` entry points (see
pyproject.toml) and puts a tile in the launcher for each. A tile must name a server
it can start on a port it picks; the lab's servers already run, on ports chosen
when the notebook started them. So each tile starts this small redirector: it reads
which pages the learner's kernels serve (hosted.py's page files, matched by the
Jupyter prefix so learners sharing a host never see each other's) and sends the
browser there, or says how to start them.

    python -m labapp.launcher {docs,prometheus} --port PORT
"""

from __future__ import annotations

import argparse
import html
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from . import hosted
from .config import LOOPBACK

__all__ = ["PAGES", "Page", "docs_server", "main", "make_app", "prometheus_server"]

ICONS = Path(__file__).parent / "icons"


@dataclass(frozen=True)
class Page:
    """A page of the running lab: which announced server (hosted.announce) and where on it."""

    server: str  # the name a kernel announced it under
    path: str  # the page on that server
    title: str  # the launcher tile's title
    how_to_start: str  # shown when no kernel serves it yet


PAGES = {
    "docs": Page("shop", "/docs", "Shop API docs", "lab = Lab().start()"),
    "prometheus": Page(
        "prometheus",
        "/",
        "Prometheus",
        "lab = Lab().start(); lab.watch()  # a real Prometheus, where the binary is installed",
    ),
}


def make_app(page: Page) -> Starlette:
    """The redirector for ``page``: 307 to where the running lab serves it, else a page that says what to run."""

    async def to_page(request: Request) -> Response:
        url = hosted.published(hosted.jupyter_prefix()).get(page.server)
        if url is not None:
            return RedirectResponse(hosted.browser_url(url, page.path), status_code=307)
        body = (
            f"<!doctype html><title>{page.title}: no lab running</title>"
            '<meta http-equiv="refresh" content="3">'
            f"<h1>{page.title}</h1><p>No notebook of yours serves it yet. In a notebook, run:</p>"
            f"<pre>{html.escape(page.how_to_start)}</pre><p>This page looks again every 3 seconds.</p>"
        )
        return HTMLResponse(body, status_code=404)

    return Starlette(routes=[Route("/{rest:path}", to_page)])


def _server(name: str) -> dict[str, Any]:
    """What jupyter-server-proxy needs to put ``name``'s tile in the launcher and start its redirector."""
    page = PAGES[name]
    return {
        "command": [sys.executable, "-m", "labapp.launcher", name, "--port", "{port}"],
        "timeout": 30,  # seconds for the redirector to listen: Python starts slowly on a busy hub
        # A tab of its own: the shop's pages refuse to be framed (headers.py), JupyterLab's tabs are frames.
        "new_browser_tab": True,
        # Forward the whole path and leave the redirect alone: the proxy would prefix its own path to it.
        "absolute_url": True,
        "launcher_entry": {"title": page.title, "icon_path": str(ICONS / f"{name}.svg"), "category": "Other"},
    }


def docs_server() -> dict[str, Any]:
    """Entry point: the "Shop API docs" tile."""
    return _server("docs")


def prometheus_server() -> dict[str, Any]:
    """Entry point: the "Prometheus" tile."""
    return _server("prometheus")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m labapp.launcher", description=__doc__.split("\n")[0])
    parser.add_argument("page", choices=sorted(PAGES))
    parser.add_argument("--port", type=int, required=True, help="the port jupyter-server-proxy chose")
    args = parser.parse_args(argv)
    import uvicorn

    uvicorn.run(make_app(PAGES[args.page]), host=LOOPBACK, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
