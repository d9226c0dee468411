"""People's names as pages show them: `names(request, ids)`, one lookup for a whole page.

For now each name is read from the participant's events (the write side, as `GET …/participants` reads it);
the sealed names table replaces this so no page replays an aggregate (issue 14, item 2).
"""

from __future__ import annotations

from collections.abc import Iterable
from uuid import UUID

from fastapi import Request
from starlette.concurrency import run_in_threadpool

from application.participants import served_name
from application.service import MentoratService


def _names(service: MentoratService, ids: list[str]) -> dict[str, str]:
    return {pid: served_name(service.participants.get(UUID(pid))) for pid in ids}


async def names(request: Request, ids: Iterable[str | UUID | None]) -> dict[str, str]:
    """Each participant's name by id (as text); an erased person's reads as `[erased]`."""
    wanted = sorted({str(pid) for pid in ids if pid is not None})
    service: MentoratService = request.app.state.service
    return await run_in_threadpool(_names, service, wanted) if wanted else {}
