"""The first pages after signing in: a party's mentorships, the coordinator's worklist (the auditor's: `audit.py`).

Each reads what the matching API query reads (the summary and access-log read models, never an aggregate),
checked with the same permission table (`domain/permissions.py`).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from application.authorization import programme_actor
from application.web_sessions import Session
from bootstrap.read_side import ReadSide
from domain.permissions import Action, may
from projections import summary, worklist
from web.people import names
from web.rendering import HEADERS, render
from web.visits import Visit, Visitor, programme_of, service_of, signed_in
from web.words import REASONS, ROLES, STATUSES, in_words

router = APIRouter(include_in_schema=False)
SignedIn = Annotated[Session, Depends(signed_in)]
HOME = {"mentor": "/mentorships", "mentee": "/mentorships", "coordinator": "/programme", "auditor": "/audit"}
PAGE_ROWS = 50  # the first page of a list; paging comes with the pages that need it


def read_side_of(request: Request) -> ReadSide:
    """The read models built at start-up."""
    read_side: ReadSide = request.app.state.read_side
    return read_side


def page(request: Request, visitor: Visit, session: Session, template: str, **context: Any) -> Response:
    """A signed-in page: the programme's name, the session's CSRF token, dates in the programme's time zone."""
    programme = programme_of(request, session)
    return render(
        template,
        visitor.language,
        request.url.path,
        programme_name=programme.name,
        time_zone=programme.time_zone,
        signed_in=in_words(ROLES, session.caller.role, lambda text: text),
        role=session.caller.role,
        csrf=session.csrf,
        **context,
    )


@router.get("/")
def home(session: SignedIn) -> Response:
    """Each role's first page."""
    return RedirectResponse(HOME.get(session.caller.role, "/audit"), status_code=303, headers=HEADERS)


@router.get("/mentorships")
async def my_mentorships(request: Request, visitor: Visitor, session: SignedIn) -> Response:
    """A mentor's or mentee's mentorships, as `GET /v1/me/mentorships` reads them, with their status in words."""
    if not may(session.caller.role, Action.LIST_MY_MENTORSHIPS):
        return forbidden(request, visitor, session)
    view = read_side_of(request).view("summary")
    rows = await run_in_threadpool(summary.of_party, view, str(session.caller.id), 0, PAGE_ROWS)
    now = service_of(request).ports.clock()
    items = [summary.summary(row, now) for row in rows]
    me = str(session.caller.id)
    return page(request, visitor, session, "mentorships.html", items=items, me=me, statuses=STATUSES, in_words=in_words)


@router.get("/worklist")
async def coordinator_worklist(request: Request, visitor: Visitor, session: SignedIn) -> Response:
    """The programme's worklist as `GET /v1/programmes/{pid}/worklist` reads it: the pair's names, reasons in words.

    Each row links to the mentorship's page; the names come from `web.people.names` (a coordinator's read of
    personal data, recorded in the access log).
    """
    if not may(session.caller.role, Action.READ_WORKLIST):
        return forbidden(request, visitor, session)
    programme_actor(session.caller, session.caller.programme_id, Action.READ_WORKLIST)
    view = read_side_of(request).view("summary")
    now = service_of(request).ports.clock()
    pid = str(session.caller.programme_id)
    items = await run_in_threadpool(worklist.worklist, view, pid, now)
    parties = await run_in_threadpool(summary.open_parties, view, pid) if items else {}
    for item in items:
        item["mentor_id"], item["mentee_id"] = parties.get(item["mentorship_id"], (None, None))
    shown = await names(request, session, [i[side] for i in items for side in ("mentor_id", "mentee_id")])
    return page(
        request, visitor, session, "worklist.html", items=items, names=shown, reasons=REASONS, in_words=in_words
    )


def forbidden(request: Request, visitor: Visit, session: Session) -> Response:
    """The page a role may not open (the API answers 403 there too)."""
    response = page(request, visitor, session, "error.html", problem="forbidden")
    response.status_code = 403
    return response
