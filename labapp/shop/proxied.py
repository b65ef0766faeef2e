"""The shop reached through a Jupyter server's proxy (a JupyterHub, Binder): its links carry the prefix.

jupyter-server-proxy forwards ``<prefix>proxy/PORT/docs`` to the shop as ``/docs``
and says what it stripped in ``X-Forwarded-Prefix``. The /docs page then has to
write ``<prefix>proxy/PORT/docs/assets/...`` for its scripts and the prefix as the
API's server, or the browser asks the Jupyter server for paths it does not have.
This layer does what ``uvicorn --root-path`` does, per request: it sets ASGI's
``root_path`` and puts the prefix back in front of ``path``, so routing (and the
/docs/assets mount) strips it again and every URL the app builds carries it.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from ..hosted import proxy_prefix_of

__all__ = ["JupyterProxyPrefix"]


class JupyterProxyPrefix:
    """Adopt jupyter-server-proxy's X-Forwarded-Prefix as the request's root path.

    Only a prefix of the proxy's own shape, naming the port this request came in
    on, is taken; anything else is ignored, so a made-up header cannot put its
    text into a page. Innermost layer: the layers outside it (access rules,
    metrics, logs) see the path the shop has always seen.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not scope.get("root_path"):
            prefix = _forwarded_prefix(scope)
            if prefix is not None:
                scope = {
                    **scope,
                    "root_path": prefix,
                    "path": prefix + scope["path"],
                    "raw_path": prefix.encode() + scope.get("raw_path", scope["path"].encode()),
                }
        await self.app(scope, receive, send)


def _forwarded_prefix(scope: Scope) -> str | None:
    server = scope.get("server")
    if not server or server[1] is None:
        return None
    for name, value in scope.get("headers", ()):
        if name == b"x-forwarded-prefix":
            return proxy_prefix_of(value.decode("latin-1"), int(server[1]))
    return None
