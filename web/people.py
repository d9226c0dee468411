"""People's names as pages show them: `names(request, session, ids)`, one lookup for a whole page.

Personal data is for the person themself and the programme's coordinators only (MISSION section 3): a coordinator
gets the names of their programme's participants (each shown name of another person recorded in the access log,
as `GET …/participants` records it), anyone else only their own. For now each name is read from the participant's
events (the write side, as `GET …/participants` reads it); the sealed names table is to replace this inside so
no page replays an aggregate (issue 14, item 2), behind the same signature.
"""

from __future__ import annotations

from collections.abc import Iterable
from uuid import UUID

from fastapi import Request
from starlette.concurrency import run_in_threadpool

from application.errors import NotFound
from application.participants import served_name
from application.service import MentoratService
from application.web_sessions import Session
from domain.permissions import Action, may


def _names(service: MentoratService, session: Session, ids: list[str]) -> dict[str, str]:
    caller = session.caller
    me = str(caller.id)
    coordinator = may(caller.role, Action.LIST_PARTICIPANTS)  # a coordinator's permission: the programme's people
    wanted = ids if coordinator else [pid for pid in ids if pid == me]
    shown: dict[str, str] = {}
    for pid in wanted:
        try:
            person = service.participants.get(UUID(pid))
        except (NotFound, ValueError):
            continue
        if person.programme_id == caller.programme_id:  # another programme's people are no one's here
            shown[pid] = served_name(person)
    others = [UUID(pid) for pid in shown if pid != me]
    if others:
        service.access_log.personal_data_read(caller, caller.programme_id, others)
    return shown


async def names(request: Request, session: Session, ids: Iterable[str | UUID | None]) -> dict[str, str]:
    """The names by id (as text) of the participants among `ids` the session's caller may see.

    A coordinator sees their programme's participants, anyone else only themself; an id they may not see (or
    unknown, or of another programme) is absent from the answer. An erased person's name reads `[erased]`.
    """
    wanted = sorted({str(pid) for pid in ids if pid is not None})
    service: MentoratService = request.app.state.service
    return await run_in_threadpool(_names, service, session, wanted) if wanted else {}
