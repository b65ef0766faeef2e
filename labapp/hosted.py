"""Where the learner's browser finds the lab's pages: on this machine, or through the Jupyter server.

On a laptop the browser shares the kernel's loopback, so ``http://127.0.0.1:PORT``
opens the shop's /docs or Prometheus. On Binder and on a JupyterHub the browser is
somewhere else: the only way in is the learner's own Jupyter server, whose
jupyter-server-proxy forwards ``<prefix>proxy/PORT/...`` to ``127.0.0.1:PORT/...``
(prefix stripped, the learner's Jupyter login required). JupyterHub gives every
server and its kernels that prefix in ``JUPYTERHUB_SERVICE_PREFIX``; Binder runs
JupyterHub, so the same variable tells both.

Every page the kernel serves is also written to a small file per kernel
(:func:`pages_dir`), so the JupyterLab launcher's "Shop API docs" and
"Prometheus" entries (labapp/launcher.py) can find the running lab's ports.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import tempfile
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlsplit

__all__ = [
    "PAGES_DIR_ENV",
    "PREFIX_ENV",
    "Pages",
    "absolute_proxy_path",
    "announce",
    "announced",
    "browser_url",
    "jupyter_prefix",
    "pages_dir",
    "proxy_prefix_of",
    "published",
    "withdraw",
]

PREFIX_ENV = "JUPYTERHUB_SERVICE_PREFIX"
# Where the per-kernel page files go (default: Jupyter's runtime folder); the tests point it at a temp dir.
PAGES_DIR_ENV = "LABAPP_PAGES_DIR"
# What jupyter-server-proxy sends as X-Forwarded-Prefix: "<base_url>proxy/<port>". Only these
# characters: the value ends up in the /docs page's HTML and script.
_PROXY_PREFIX = re.compile(r"^((?:/[A-Za-z0-9._~@+-]+)*)/proxy/(\d{1,5})$")


def jupyter_prefix(environ: Mapping[str, str] = os.environ) -> str | None:
    """The Jupyter server's URL prefix on a hub or Binder (always ending in "/"), None on your own machine."""
    prefix = environ.get(PREFIX_ENV, "").strip()
    if not prefix:
        return None
    return prefix if prefix.endswith("/") else prefix + "/"


def absolute_proxy_path(port: int, environ: Mapping[str, str] = os.environ) -> str:
    """Where a server that handles the prefix itself serves under a Jupyter prefix
    (``<prefix>proxy/absolute/PORT``, forwarded unchanged); "" on your own machine."""
    prefix = jupyter_prefix(environ)
    return "" if prefix is None else f"{prefix}proxy/absolute/{port}"


def browser_url(url: str, path: str = "/", environ: Mapping[str, str] = os.environ) -> str:
    """The address of ``url`` + ``path`` for the learner's browser, where this kernel runs.

    ``url`` is a server's base URL on this machine (``http://127.0.0.1:PORT``). On your
    own machine that is the answer; under a Jupyter prefix it becomes the proxied path
    ``<prefix>proxy/PORT<path>``, which the browser opens on the Jupyter server's host.
    A server that already serves under the prefix (``http://127.0.0.1:PORT<prefix>proxy/
    absolute/PORT``, see :func:`absolute_proxy_path`) is reached by its own path.
    """
    if not path.startswith("/"):
        raise ValueError(f"path must start with '/', e.g. '/docs'; got {path!r}")
    parts = urlsplit(url)
    if parts.scheme != "http" or parts.port is None:
        raise ValueError(f"url must be a server's base URL like 'http://127.0.0.1:8000'; got {url!r}")
    prefix = jupyter_prefix(environ)
    if prefix is None:
        return url.rstrip("/") + path
    if parts.path.startswith(prefix):
        return parts.path.rstrip("/") + path
    return f"{prefix}proxy/{parts.port}{path}"


def proxy_prefix_of(forwarded_prefix: str, port: int) -> str | None:
    """``forwarded_prefix`` if it is jupyter-server-proxy's path to ``port`` ("/user/ana/proxy/8123"), else None.

    Anything else is ignored (not trusted): a header with quotes or another port
    would otherwise put its text into the docs page.
    """
    match = _PROXY_PREFIX.match(forwarded_prefix)
    if match is None or int(match.group(2)) != port:
        return None
    return forwarded_prefix


# -- the pages this kernel serves ----------------------------------------------


class Pages(dict[str, str]):
    """Links to the lab's pages, by name, for the learner's browser; a notebook shows them clickable."""

    def _repr_html_(self) -> str:
        if not self:
            return "<p>No pages: start a lab first.</p>"
        rows = "".join(
            f'<li><a href="{url}" target="_blank" rel="noopener">{name}</a>: <code>{url}</code></li>'
            for name, url in self.items()
        )
        where = "through your Jupyter server" if jupyter_prefix() else "on this machine"
        return f"<p>Open in your browser ({where}):</p><ul>{rows}</ul>"


_lock = threading.Lock()
_pages: dict[int, tuple[str, str]] = {}  # token -> (name, base URL on loopback)
_tokens = itertools.count(1)


def pages_dir() -> Path:
    """The folder of page files: $LABAPP_PAGES_DIR, else Jupyter's runtime folder."""
    chosen = os.environ.get(PAGES_DIR_ENV)
    if chosen:
        return Path(chosen)
    try:
        from jupyter_core.paths import jupyter_runtime_dir
    except ImportError:  # labapp without Jupyter: nothing to launch from
        return Path(tempfile.gettempdir()) / "labapp-pages"
    return Path(jupyter_runtime_dir())


def announce(name: str, url: str) -> int:
    """Record that this kernel serves ``name`` at ``url``; return a token for :func:`withdraw`."""
    with _lock:
        token = next(_tokens)
        _pages[token] = (name, url)
        _publish()
    return token


def withdraw(token: int) -> None:
    """Forget an announced page (safe to call twice)."""
    with _lock:
        if _pages.pop(token, None) is not None:
            _publish()


def announced() -> list[tuple[str, str]]:
    """(name, loopback URL) of every page this kernel serves now, oldest first."""
    with _lock:
        return list(_pages.values())


def _page_file() -> Path:
    return pages_dir() / f"labapp-pages-{os.getpid()}.json"


def _publish() -> None:
    """Rewrite this kernel's page file: newest page of each name wins (called with the lock held)."""
    latest: dict[str, str] = {}
    for name, url in _pages.values():
        latest[name] = url
    path = _page_file()
    try:
        if not latest:
            path.unlink(missing_ok=True)
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        record = {"pid": os.getpid(), "prefix": jupyter_prefix(), "updated": time.time(), "pages": latest}
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(record))
        tmp.replace(path)  # atomic: a launcher never reads half a file
    except OSError:
        pass  # a read-only home only costs the launcher entries; the lab itself works


def published(prefix: str | None) -> dict[str, str]:
    """Every page that live kernels under ``prefix`` serve: the most recently updated kernel wins a name."""
    records = []
    for path in pages_dir().glob("labapp-pages-*.json"):
        try:
            record = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        if record.get("prefix") == prefix and _alive(int(record.get("pid", 0))):
            records.append(record)
    out: dict[str, str] = {}
    for record in sorted(records, key=lambda r: float(r.get("updated", 0))):
        out.update(record.get("pages", {}))
    return out


def _alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # alive, another user's
    return True
