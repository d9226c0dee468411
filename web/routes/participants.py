"""The programme's participants, for its coordinators (issue 14): the list, and register, invite, deactivate.

The list reads the directory read model (`projections/directory.py`) as `GET /v1/programmes/{pid}/participants`
lists it, with the names from `web.people.names`; every form sends the API's command (`service.participants.…`),
checked by the same permission table, then redirects (303). An invitation's code goes by e-mail (the outbox):
the coordinator's page only says that it was sent.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from application.mentorat import CommandResult
from application.web_sessions import Session
from domain.errors import NotFound, Reason
from domain.permissions import Action, may, may_act_on
from projections import directory
from web.forms import check_csrf, posted
from web.people import names
from web.refusals import Refusal, attempt, invalid, refusal
from web.rendering import HEADERS
from web.routes.audit import after_of, cursor_of
from web.routes.convention import parse_id
from web.routes.pages import SignedIn, forbidden, page, read_side_of
from web.visits import Visit, Visitor, service_of
from web.words import N_, ROLES, in_words

router = APIRouter(include_in_schema=False)
PARTICIPANT_ROWS = 50
WAIT_SECONDS = 5.0
ROLE_CHOICES = {"": N_("Choose one"), "mentor": N_("Mentor"), "mentee": N_("Mentee"), "coordinator": N_("Coordinator")}
LANGUAGES = {"fr": N_("French"), "en": N_("English")}
DONE = {
    "registered": N_("The participant is registered. Invite them so that they can sign in."),
    "invited": N_("The invitation was sent by e-mail. Its code is for the participant alone: it is not shown here."),
    "deactivated": N_("The participant is deactivated: they can no longer sign in."),
}


async def participants_page(
    request: Request,
    visitor: Visit,
    session: Session,
    problem: Refusal | None = None,
    form: str | None = None,
    values: dict[str, str] | None = None,
) -> Response:
    """The list and its forms; after a refused form, that form's values and refusal, with the refusal's status."""
    after = after_of(request.query_params.get("cursor")) if problem is None else 0
    if after is None:
        after = 0
    read_side = read_side_of(request)
    # as the API's list: what is stored now is listed (a participant just registered, say)
    await run_in_threadpool(read_side.wait_for, service_of(request).store.position(), ("directory",), WAIT_SECONDS)
    view = read_side.view("directory")
    pid = str(session.caller.programme_id)
    rows = await run_in_threadpool(directory.of_programme, view, pid, after, PARTICIPANT_ROWS)
    known = await names(request, session, [row["id"] for row in rows])
    items: list[dict[str, Any]] = [
        {
            **row,
            "name": known.get(row["id"], ""),
            "active": bool(row["active"]),
            "managed": may_act_on(Action.INVITE_PARTICIPANT, row["role"]),
            "me": row["id"] == str(session.caller.id),  # no one deactivates themself from this list
        }
        for row in rows
    ]
    following = cursor_of(rows[-1]["position"]) if len(rows) == PARTICIPANT_ROWS else None
    done = request.query_params.get("done") if problem is None else None
    response = page(
        request,
        visitor,
        session,
        "programme/participants.html",
        items=items,
        first_page=after == 0,
        next_cursor=following,
        roles=ROLES,
        role_choices=ROLE_CHOICES,
        language_choices=LANGUAGES,
        in_words=in_words,
        done=DONE.get(done or ""),
        refusal=problem,
        form=form,
        values=values or {},
    )
    if problem is not None:
        response.status_code = problem.status
    return response


@router.get("/programme/participants")
async def participants(request: Request, visitor: Visitor, session: SignedIn) -> Response:
    """The programme's participants: name, role, whether active; and the coordinator's forms."""
    if not may(session.caller.role, Action.LIST_PARTICIPANTS):
        return forbidden(request, visitor, session)
    return await participants_page(request, visitor, session)


# A form's command: from the session and the form, the API's command to run, or a refusal at once
Command = Callable[[Session, dict[str, str]], Callable[[], CommandResult] | Refusal]


async def submitted(
    request: Request, visitor: Visit, session: Session, action: Action, form_name: str, command: Command, done: str
) -> Response:
    """A form of the participants' page: CSRF first, the role's permission, then the API's command.

    Success: wait for the directory to include it, then 303 to the list. Refused: the list again, with the
    refusal and its status; nothing was stored.
    """
    form = await posted(request)
    check_csrf(form, session.csrf)
    if not may(session.caller.role, action):
        return forbidden(request, visitor, session)
    prepared = command(session, form)
    if isinstance(prepared, Refusal):
        return await participants_page(request, visitor, session, prepared, form_name, form)
    result, problem = await attempt(prepared)
    if problem is not None or result is None:
        return await participants_page(request, visitor, session, problem, form_name, form)
    await run_in_threadpool(read_side_of(request).wait_for, result.position, ("directory",), WAIT_SECONDS)
    return RedirectResponse(f"/programme/participants?done={done}", status_code=303, headers=HEADERS)


@router.post("/programme/participants")
async def register(request: Request, visitor: Visitor, session: SignedIn) -> Response:
    """Register a mentor, a mentee or a coordinator (as `POST /v1/programmes/{pid}/participants`)."""

    def command(s: Session, form: dict[str, str]) -> Callable[[], CommandResult] | Refusal:
        name, email = form.get("name", ""), form.get("email", "").strip()
        role, language = form.get("role", ""), form.get("language", "")
        if not email:
            return invalid("email", Reason.MISSING)  # the API requires it: the invitation is e-mailed there
        if not role:
            return invalid("role", Reason.MISSING)
        people = service_of(request).participants
        return lambda: people.register(s.caller, s.caller.programme_id, role, name, email, language)

    return await submitted(request, visitor, session, Action.REGISTER_PARTICIPANT, "register", command, "registered")


def participant_command(
    request: Request, participant_id: str, run: Callable[[Session, UUID], CommandResult]
) -> Command:
    """A command on one participant of the path (an id that is not one: not found, as the API answers)."""

    def command(s: Session, form: dict[str, str]) -> Callable[[], CommandResult] | Refusal:
        parsed = parse_id(participant_id)
        if parsed is None:
            return invalid_id()
        return lambda: run(s, parsed)

    return command


def invalid_id() -> Refusal:
    """A participant id that names no one (404)."""
    return refusal(NotFound())


@router.post("/programme/participants/{participant_id}/invitation")
async def invite(request: Request, visitor: Visitor, session: SignedIn, participant_id: str) -> Response:
    """E-mail the participant a one-time code (as `POST /v1/participants/{id}/invitations`); the page never shows it."""

    def run(s: Session, pid: UUID) -> CommandResult:
        return service_of(request).participants.invite(s.caller, pid)

    command = participant_command(request, participant_id, run)
    return await submitted(request, visitor, session, Action.INVITE_PARTICIPANT, "invite", command, "invited")


@router.post("/programme/participants/{participant_id}/deactivation")
async def deactivate(request: Request, visitor: Visitor, session: SignedIn, participant_id: str) -> Response:
    """Deactivate a participant once the coordinator confirms it (as `POST /v1/participants/{id}/deactivation`)."""

    def run(s: Session, pid: UUID) -> CommandResult:
        return service_of(request).participants.deactivate(s.caller, pid)

    checked = participant_command(request, participant_id, run)

    def command(s: Session, form: dict[str, str]) -> Callable[[], CommandResult] | Refusal:
        if form.get("confirm") != "yes":
            return invalid(f"confirm-{participant_id}", Reason.MISSING)
        return checked(s, form)

    name = f"deactivate-{participant_id}"
    return await submitted(request, visitor, session, Action.DEACTIVATE_PARTICIPANT, name, command, "deactivated")
