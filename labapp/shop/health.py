"""Liveness (/health: the process answers) and readiness (/ready: it can do its job)."""

from __future__ import annotations

import asyncio
import time

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from .downstream import Downstream

__all__ = ["ESSENTIAL", "router"]

router = APIRouter()
# By default readiness depends on these; the recommender is reported but never
# makes the shop unready. LabConfig.ready_requires changes it (notebook 03 shows
# what a too-deep readiness check does).
ESSENTIAL = ("catalog",)


@router.get("/health")
async def health() -> dict[str, str]:
    """Liveness: answers while the process can serve at all. Checks nothing downstream."""
    return {"status": "ok"}


@router.get("/ready")
async def ready(request: Request) -> JSONResponse:
    """Readiness: 200 when every essential dependency answers its /health, else 503."""
    downstream: Downstream = request.app.state.downstream
    required: tuple[str, ...] = getattr(request.app.state, "ready_requires", ESSENTIAL)
    names = list(downstream.urls)
    # Probe all at once: readiness is as slow as its slowest dependency, not their sum.
    results = await asyncio.gather(*(_probe(downstream, name, name in required) for name in names))
    checks = dict(zip(names, results, strict=True))
    ok = all(checks[name]["ok"] for name in required if name in checks)
    body = {"status": "ready" if ok else "not ready", "checks": checks}
    return JSONResponse(body, status_code=200 if ok else 503)


async def _probe(downstream: Downstream, service: str, essential: bool) -> dict[str, object]:
    start = time.perf_counter()
    try:
        # A readiness probe must be quicker than the orchestrator's own timeout.
        response = await downstream.client(service).get("/health", timeout=0.5)
        ok, detail = response.status_code == 200, f"HTTP {response.status_code}"
    except Exception as exc:  # any failure to answer means "not ready", never a 500
        ok, detail = False, type(exc).__name__
    return {
        "ok": ok,
        "essential": essential,
        "latency_ms": round((time.perf_counter() - start) * 1000, 1),
        "detail": detail,
    }
