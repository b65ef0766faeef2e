"""Fault-injection routes on the shop, for curl, wrk scripts and instructors.

Only loopback callers may use them: a route that can take a service down must
never be reachable from the network. The check reads the socket's peer address;
the shop is served with proxy headers off, so X-Forwarded-For cannot fake it.
"""

from __future__ import annotations

from collections.abc import Mapping

from fastapi import APIRouter, Depends, HTTPException, Request
from pydantic import BaseModel, Field

from ..config import is_loopback
from ..faults import Fault, FaultSwitch

__all__ = ["FaultBody", "make_admin_router"]


def require_loopback(request: Request) -> None:
    host = request.client.host if request.client else ""
    if not is_loopback(host):
        raise HTTPException(403, "admin routes answer only to callers on this machine (loopback)")


class FaultBody(BaseModel):
    latency_s: float = Field(0.0, ge=0, le=60)
    jitter_s: float = Field(0.0, ge=0, le=60)
    error_rate: float = Field(0.0, ge=0, le=1, description="fraction of requests failed, 0..1")
    error_status: int = Field(500, ge=400, le=599)
    outage: bool = False


def make_admin_router(switches: Mapping[str, FaultSwitch]) -> APIRouter:
    router = APIRouter(prefix="/admin", dependencies=[Depends(require_loopback)])

    def switch_for(service: str) -> FaultSwitch:
        if service not in switches:
            raise HTTPException(404, f"no service {service!r}; choose one of {sorted(switches)}")
        return switches[service]

    @router.get("/faults")
    async def list_faults() -> dict[str, dict[str, object]]:
        return {name: {**vars(s.fault), "summary": s.fault.describe()} for name, s in switches.items()}

    @router.put("/faults/{service}")
    async def set_fault(service: str, body: FaultBody) -> dict[str, object]:
        switch = switch_for(service)
        switch.set(Fault(**body.model_dump()))
        return {"service": service, "summary": switch.fault.describe()}

    @router.delete("/faults/{service}")
    async def heal_one(service: str) -> dict[str, object]:
        switch_for(service).clear()
        return {"service": service, "summary": "healthy"}

    @router.delete("/faults")
    async def heal_all() -> dict[str, object]:
        for switch in switches.values():
            switch.clear()
        return {"healed": sorted(switches)}

    return router
