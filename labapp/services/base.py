"""What every downstream service shares: a /health route and the fault seam."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI

from ..faults import FaultMiddleware, FaultSwitch
from ..logs import AccessLogMiddleware

__all__ = ["make_service_app"]


def make_service_app(name: str, router: APIRouter, switch: FaultSwitch) -> FastAPI:
    """A small FastAPI service whose every request passes through ``switch``'s faults."""
    app = FastAPI(title=f"lab {name}", docs_url=None, redoc_url=None, openapi_url=None)

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok", "service": name}

    app.include_router(router)
    app.add_middleware(FaultMiddleware, switch=switch)
    # Outside the faults, so injected errors and delays are logged as callers saw them.
    app.add_middleware(AccessLogMiddleware, service=name)
    return app
