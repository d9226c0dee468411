"""Health and the caller's own identity."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import CurrentCaller, Service
from api.schemas import Health, MeOut
from application.participants import served_name

router = APIRouter()


@router.get("/healthz", response_model=Health, operation_id="getHealth", tags=["system"])
async def healthz() -> dict[str, str]:
    """Liveness: answers without touching the store (async: nothing to wait for, so no worker thread)."""
    return {"status": "ok"}


@router.get("/v1/me", response_model=MeOut, operation_id="getMe", tags=["participants"])
def me(caller: CurrentCaller, service: Service) -> dict[str, object]:
    """Who the token belongs to (their name read from the write side: it is never indexed)."""
    name = served_name(service.participants.get(caller.id))
    return {"id": caller.id, "role": caller.role, "programme_id": caller.programme_id, "name": name}
