"""Fault-injection routes on the shop, for curl, wrk scripts and instructors.

Only callers on this machine holding the lab's secret may use them (see
access.py): a route that can take a service down must never be reachable from
the network, nor by another learner on a shared host. They are left out of
the public OpenAPI schema.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from fastapi import APIRouter, Depends, HTTPException, Request
from pydantic import BaseModel, Field

from ..faults import Fault, FaultSwitch

__all__ = ["FaultBody", "make_admin_router"]


class FaultBody(BaseModel):
    latency_s: float = Field(0.0, ge=0, le=60)
    jitter_s: float = Field(0.0, ge=0, le=60)
    error_rate: float = Field(0.0, ge=0, le=1, description="fraction of requests failed, 0..1")
    error_status: int = Field(500, ge=400, le=599)
    outage: bool = False


def make_admin_router(switches: Mapping[str, FaultSwitch], guard: Callable[[Request], None] | None) -> APIRouter:
    """The routes, each behind ``guard`` (:func:`~labapp.shop.access.admin_guard`).

    ``guard=None`` leaves them open: the planted flaw ``admin-open`` of notebook 11.
    """
    router = APIRouter(
        prefix="/admin", dependencies=[Depends(guard)] if guard else [], include_in_schema=False, tags=["admin"]
    )

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
