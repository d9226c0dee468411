"""The auditor's pages: the access log, the programme's mentorships and each one's timeline, the state of the history.

Each reads what the matching API query reads (the access log, summary, directory and timeline read models; the
verifications' and checkpoints' outcomes through `service.history`), never an aggregate, checked with the same
permission table (`domain/permissions.py`). Who acted is shown by role, never by name (names are personal data,
for the coordinators only); a timeline shows event types, times and roles, never content.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from application.web_sessions import Session
from domain.permissions import Action, may
from projections import access_log, directory, summary, timeline
from web.event_words import EVENT_TYPES, FINDINGS
from web.routes.pages import SignedIn, forbidden, page, read_side_of
from web.visits import Visit, Visitor, service_of
from web.words import ACCESS_ACTIONS, N_, ROLES, STATUSES, in_words

router = APIRouter(include_in_schema=False)
ACCESS_ROWS = 50  # entries of the access log on one page
MENTORSHIP_ROWS = 50  # mentorships on one page
# The reads the API answers too, with the visitor's token: (permission, method and path, what it is)
API_READS = (
    (Action.LIST_PROGRAMME_MENTORSHIPS, "GET /v1/programmes/{programme_id}/mentorships",
     N_("The programme's mentorships and their summaries")),
    (Action.READ_MENTORSHIP_HISTORY, "GET /v1/mentorships/{mentorship_id}/history",
     N_("A mentorship's timeline: event types, times and roles, never content")),
    (Action.READ_PARTICIPANT_HISTORY, "GET /v1/participants/{participant_id}/history",
     N_("A participant's timeline, without personal data")),
    (Action.READ_REPORT, "GET /v1/programmes/{programme_id}/report", N_("The programme's report")),
    (Action.READ_ACCESS_LOG, "GET /v1/programmes/{programme_id}/access-log",
     N_("The access log: who read journals and personal data, who gained or lost access")),
)  # fmt: skip
# The access log's subject: a mentorship (its journal was read) or a participant (every other action)
MENTORSHIP_SUBJECTS = frozenset({"journal_read"})


def cursor_of(position: int) -> str:
    """The opaque cursor of the next page (as the API's): the last position shown."""
    return base64.urlsafe_b64encode(str(position).encode()).decode()


def after_of(cursor: str | None) -> int | None:
    """The position a cursor names (0: the first page; None: not a cursor of ours)."""
    if cursor is None:
        return 0
    try:
        after = int(base64.urlsafe_b64decode(cursor.encode()).decode())
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return None
    return after if 0 <= after <= 2**62 else None


def uuid_of(text: str) -> str | None:
    """An id of the path in the read models' spelling, or None when it is no id."""
    try:
        return str(UUID(text))
    except ValueError:
        return None


def missing(request: Request, visitor: Visit, session: Session, problem: str = "not_found") -> Response:
    """An unknown or out-of-scope id (404), or a page cursor that is not one (400)."""
    response = page(request, visitor, session, "audit/missing.html", problem=problem)
    response.status_code = 400 if problem == "bad_cursor" else 404
    return response


@router.get("/audit")
async def auditor_overview(request: Request, visitor: Visitor, session: SignedIn) -> Response:
    """What the visitor may also read through the API; for the auditor, the access log a page at a time.

    The overseers' page: a party (who may neither read the log nor look across the programme) is refused.
    """
    role = session.caller.role
    if not (may(role, Action.READ_ACCESS_LOG) or may(role, Action.LIST_PROGRAMME_MENTORSHIPS)):
        return forbidden(request, visitor, session)
    reads = [(path, text) for action, path, text in API_READS if may(session.caller.role, action)]
    entries: list[dict[str, Any]] = []
    after = after_of(request.query_params.get("cursor"))
    if after is None:
        return missing(request, visitor, session, "bad_cursor")
    if may(session.caller.role, Action.READ_ACCESS_LOG):
        view = read_side_of(request).view("access")
        pid = str(session.caller.programme_id)
        entries = await run_in_threadpool(access_log.of_programme, view, pid, after, ACCESS_ROWS)
    following = cursor_of(entries[-1]["position"]) if len(entries) == ACCESS_ROWS else None
    return page(
        request,
        visitor,
        session,
        "audit/access_log.html",
        reads=reads,
        entries=entries,
        first_page=after == 0,
        next_cursor=following,
        programme_id=str(session.caller.programme_id),
        mentorship_subjects=MENTORSHIP_SUBJECTS,
        may_read_access_log=may(session.caller.role, Action.READ_ACCESS_LOG),
        actions=ACCESS_ACTIONS,
        roles=ROLES,
        in_words=in_words,
    )


@router.get("/audit/mentorships")
async def programme_mentorships(request: Request, visitor: Visitor, session: SignedIn) -> Response:
    """The programme's mentorships, as `GET /v1/programmes/{pid}/mentorships` reads them: no name, no content."""
    if not may(session.caller.role, Action.LIST_PROGRAMME_MENTORSHIPS):
        return forbidden(request, visitor, session)
    after = after_of(request.query_params.get("cursor"))
    if after is None:
        return missing(request, visitor, session, "bad_cursor")
    view = read_side_of(request).view("summary")
    pid = str(session.caller.programme_id)
    rows = await run_in_threadpool(summary.of_programme, view, pid, after, MENTORSHIP_ROWS)
    now = service_of(request).ports.clock()
    items = [summary.summary(row, now) for row in rows]
    following = cursor_of(rows[-1]["drafted_position"]) if len(rows) == MENTORSHIP_ROWS else None
    return page(
        request,
        visitor,
        session,
        "audit/mentorships.html",
        items=items,
        first_page=after == 0,
        next_cursor=following,
        statuses=STATUSES,
        in_words=in_words,
    )


@router.get("/audit/mentorships/{mentorship_id}")
async def mentorship_timeline(request: Request, visitor: Visitor, session: SignedIn, mentorship_id: str) -> Response:
    """A mentorship's timeline, as `GET /v1/mentorships/{id}/history` reads it: types, times and roles only.

    The audit pages look across the programme: a role that may not list its mentorships (a party) is refused
    here; a party reads its own mentorship's page instead.
    """
    role = session.caller.role
    if not (may(role, Action.LIST_PROGRAMME_MENTORSHIPS) and may(role, Action.READ_MENTORSHIP_HISTORY)):
        return forbidden(request, visitor, session)
    mid = uuid_of(mentorship_id)
    reads = read_side_of(request)
    row = None if mid is None else await run_in_threadpool(summary.find, reads.view("summary"), mid)
    if row is None or row["programme_id"] != str(session.caller.programme_id):
        return missing(request, visitor, session)
    entries = await run_in_threadpool(timeline.history, reads.view("timeline"), row["id"])
    item = summary.summary(row, service_of(request).ports.clock())
    return page(
        request,
        visitor,
        session,
        "audit/timeline.html",
        item=item,
        entries=entries,
        may_read_participants=may(role, Action.READ_PARTICIPANT_HISTORY),
        statuses=STATUSES,
        events=EVENT_TYPES,
        roles=ROLES,
        in_words=in_words,
    )


@router.get("/audit/participants/{participant_id}")
async def participant_timeline(request: Request, visitor: Visitor, session: SignedIn, participant_id: str) -> Response:
    """A participant's timeline, as `GET /v1/participants/{id}/history` reads it: without personal data."""
    role = session.caller.role
    if not may(role, Action.READ_PARTICIPANT_HISTORY):
        return forbidden(request, visitor, session)
    pid = uuid_of(participant_id)
    reads = read_side_of(request)
    row = None if pid is None else await run_in_threadpool(directory.find, reads.view("directory"), pid)
    if row is None or row["programme_id"] != str(session.caller.programme_id):
        return missing(request, visitor, session)
    entries = await run_in_threadpool(timeline.history, reads.view("timeline"), row["id"])
    return page(
        request,
        visitor,
        session,
        "audit/participant.html",
        person=row,
        entries=entries,
        events=EVENT_TYPES,
        roles=ROLES,
        in_words=in_words,
    )


@router.get("/audit/history")
async def history_state(request: Request, visitor: Visitor, session: SignedIn) -> Response:
    """When the history was last verified and checkpointed, and with what result: the auditor only."""
    if not may(session.caller.role, Action.READ_HISTORY_STATE):
        return forbidden(request, visitor, session)
    state = await run_in_threadpool(service_of(request).history.state, session.caller)
    return page(
        request,
        visitor,
        session,
        "audit/history.html",
        verification=state.verification,
        checkpoint=state.checkpoint,
        findings=FINDINGS,
        in_words=in_words,
    )
