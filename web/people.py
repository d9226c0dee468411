"""People's names as pages show them: `names(request, session, ids)`, one lookup for a whole page.

Personal data is for the person themself and the programme's coordinators only (MISSION section 3): a coordinator
gets the names of their programme's participants (each shown name of another person recorded in the access log,
as `GET …/participants` records it), anyone else only their own. The names are read from the sealed names table
(`application/names.py`) in one query for the page's ids, and opened with each person's key: no aggregate is
replayed, and an erased person's name reads `[erased]`.
"""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import suppress
from uuid import UUID

from fastapi import Request
from starlette.concurrency import run_in_threadpool

from application.names import read_names
from application.service import MentoratService
from application.web_sessions import Session
from domain.permissions import Action, may


def _names(service: MentoratService, session: Session, ids: list[str]) -> dict[str, str]:
    caller = session.caller
    me = str(caller.id)
    coordinator = may(caller.role, Action.LIST_PARTICIPANTS)  # a coordinator's permission: the programme's people
    wanted = ids if coordinator else [pid for pid in ids if pid == me]
    ids_read = []
    for pid in wanted:
        with suppress(ValueError):
            ids_read.append(UUID(pid))
    found = read_names(service.store, caller.programme_id, ids_read)  # only the caller's programme's people
    shown = {str(pid): name for pid, name in found.items()}
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
