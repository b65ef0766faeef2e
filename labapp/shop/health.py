"""Liveness (/health: the process answers) and readiness (/ready: it can do its job)."""

from __future__ import annotations

import asyncio
import time

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from .downstream import Downstream

__all__ = ["ESSENTIAL", "router"]

router = APIRouter()
# Readiness depends on these; the recommender is reported but never makes the shop unready.
ESSENTIAL = ("catalog",)


@router.get("/health")
async def health() -> dict[str, str]:
    """Liveness: answers while the process can serve at all. Checks nothing downstream."""
    return {"status": "ok"}


@router.get("/ready")
async def ready(request: Request) -> JSONResponse:
    """Readiness: 200 when every essential dependency answers its /health, else 503."""
    downstream: Downstream = request.app.state.downstream
    names = list(downstream.urls)
    results = await asyncio.gather(*(_probe(downstream, name) for name in names))
    checks = dict(zip(names, results, strict=True))
    ok = all(checks[name]["ok"] for name in ESSENTIAL if name in checks)
    body = {"status": "ready" if ok else "not ready", "checks": checks}
    return JSONResponse(body, status_code=200 if ok else 503)


async def _probe(downstream: Downstream, service: str) -> dict[str, object]:
    start = time.perf_counter()
    try:
        # A readiness probe must be quicker than the orchestrator's own timeout.
        response = await downstream.client(service).get("/health", timeout=0.5)
        ok, detail = response.status_code == 200, f"HTTP {response.status_code}"
    except Exception as exc:  # any failure to answer means "not ready", never a 500
        ok, detail = False, type(exc).__name__
    return {
        "ok": ok,
        "essential": service in ESSENTIAL,
        "latency_ms": round((time.perf_counter() - start) * 1000, 1),
        "detail": detail,
    }
