"""The programme's mentorships, for its coordinators (issue 14): the list, drafting, and one mentorship's page.

The list reads the summary read model as `GET /v1/programmes/{pid}/mentorships` does (an auditor may list it
too, without names); drafting sends `service.mentorships.draft` as `POST /v1/programmes/{pid}/mentorships` does.
A mentorship's page shows its summary and its timeline (event types, times and roles: never what was said) and
the coordinator's actions the permission table and the status allow: withdraw, record a consultation, end. A
consultation's note is confidential content: it is stored, never shown back.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from application.access_index import ScopeRow
from application.authorization import programme_actor
from application.errors import NotFound
from application.mentorat import CommandResult
from application.web_sessions import Session
from domain.errors import DomainError, Forbidden, Reason
from domain.permissions import Action, may
from domain.values import ConsultationTopic, Outcome, Role
from projections import directory, summary, timeline
from web.event_words import EVENT_TYPES
from web.forms import check_csrf, posted
from web.people import names
from web.refusals import Refusal, attempt, invalid, refusal
from web.rendering import HEADERS
from web.routes.audit import after_of, cursor_of, missing
from web.routes.convention import END_REASONS, parse_id, refused_page
from web.routes.pages import SignedIn, forbidden, page, read_side_of
from web.visits import Visit, Visitor, service_of
from web.words import N_, ROLES, STATUSES, in_words

router = APIRouter(include_in_schema=False)
MENTORSHIP_ROWS = 50
DIRECTORY_ROWS = 500  # a page of the directory read while gathering a role's active participants
READ_MODELS = ("summary", "timeline")
WAIT_SECONDS = 5.0
FILTERS = {
    "": N_("All"),
    "awaiting_signatures": N_("Awaiting signatures"),
    "active": N_("Active"),
    "ended": N_("Ended"),
    "withdrawn": N_("Withdrawn"),
}
TOPICS = {
    "": N_("Choose one"),
    ConsultationTopic.DISPUTE.value: N_("A dispute"),
    ConsultationTopic.EARLY_END.value: N_("An early end"),
}
OUTCOMES = {
    "": N_("Choose one"),
    Outcome.RECONCILED.value: N_("Reconciled"),
    Outcome.NOT_RECONCILED.value: N_("Not reconciled"),
    Outcome.ENDING_AGREED.value: N_("Ending agreed (early end)"),
}
END_BY_COORDINATOR = {key: words for key, words in END_REASONS.items()}
COORDINATOR = Role.COORDINATOR.value


@router.get("/programme/mentorships")
async def mentorships(request: Request, visitor: Visitor, session: SignedIn) -> Response:
    """The programme's mentorships, by status if asked, a page at a time; the names for a coordinator only."""
    if not may(session.caller.role, Action.LIST_PROGRAMME_MENTORSHIPS):
        return forbidden(request, visitor, session)
    programme_actor(session.caller, session.caller.programme_id, Action.LIST_PROGRAMME_MENTORSHIPS)
    after = after_of(request.query_params.get("cursor"))
    if after is None:
        return missing(request, visitor, session, "bad_cursor")
    status = request.query_params.get("status", "")
    if status not in FILTERS:
        status = ""
    read_side = read_side_of(request)
    service = service_of(request)
    await run_in_threadpool(read_side.wait_for, service.store.position(), ("summary",), WAIT_SECONDS)  # as the API's
    view = read_side.view("summary")
    pid = str(session.caller.programme_id)
    if status:
        rows = await run_in_threadpool(summary.of_programme_in, view, pid, status, after, MENTORSHIP_ROWS)
    else:
        rows = await run_in_threadpool(summary.of_programme, view, pid, after, MENTORSHIP_ROWS)
    now = service.ports.clock()
    items = [summary.summary(row, now) for row in rows]
    coordinator = session.caller.role == COORDINATOR
    parties = [i["mentor_id"] for i in items] + [i["mentee_id"] for i in items]
    known = await names(request, session, parties) if coordinator else {}
    following = cursor_of(rows[-1]["drafted_position"]) if len(rows) == MENTORSHIP_ROWS else None
    return page(
        request,
        visitor,
        session,
        "programme/mentorships.html",
        items=items,
        names=known,
        show_names=coordinator,
        link="/programme/mentorships/" if coordinator else "/audit/mentorships/",
        chosen_status=status,
        filters=FILTERS,
        statuses=STATUSES,
        in_words=in_words,
        first_page=after == 0,
        next_cursor=following,
        may_draft=may(session.caller.role, Action.DRAFT_CONVENTION),
    )


def _active_of_role(request: Request, programme_id: str) -> dict[str, list[str]]:
    """The programme's active mentors and mentees, by role (the directory read model, every page of it)."""
    read_side = read_side_of(request)
    read_side.wait_for(service_of(request).store.position(), ("directory",), WAIT_SECONDS)  # as the API's reads
    view = read_side.view("directory")
    found: dict[str, list[str]] = {Role.MENTOR.value: [], Role.MENTEE.value: []}
    after = 0
    while True:
        rows = directory.of_programme(view, programme_id, after, DIRECTORY_ROWS)
        for row in rows:
            if row["active"] and row["role"] in found:
                found[row["role"]].append(row["id"])
        if len(rows) < DIRECTORY_ROWS:
            return found
        after = rows[-1]["position"]


async def draft_page(
    request: Request,
    visitor: Visit,
    session: Session,
    problem: Refusal | None = None,
    values: dict[str, str] | None = None,
) -> Response:
    """The drafting form: a mentor and a mentee among the active ones, the start, the months."""
    pid = str(session.caller.programme_id)
    people = await run_in_threadpool(_active_of_role, request, pid)
    known = await names(request, session, people[Role.MENTOR.value] + people[Role.MENTEE.value])
    choose = {"": "—"}

    def options(role: str) -> dict[str, str]:
        return {**choose, **dict(sorted(((p, known.get(p, p)) for p in people[role]), key=lambda item: item[1]))}

    settings = summary.programme(read_side_of(request).view("summary"), pid) or {}
    response = page(
        request,
        visitor,
        session,
        "programme/draft.html",
        mentors=options(Role.MENTOR.value),
        mentees=options(Role.MENTEE.value),
        default_months=settings.get("default_months") or "",
        refusal=problem,
        values=values or {},
    )
    if problem is not None:
        response.status_code = problem.status
    return response


@router.get("/programme/mentorships/new")
async def new_mentorship(request: Request, visitor: Visitor, session: SignedIn) -> Response:
    """The drafting form (a coordinator's)."""
    if not may(session.caller.role, Action.DRAFT_CONVENTION):
        return forbidden(request, visitor, session)
    return await draft_page(request, visitor, session)


def id_field(form: dict[str, str], name: str) -> UUID | Refusal:
    """A chosen participant's id, or the refusal of the field."""
    given = form.get(name, "")
    if not given:
        return invalid(name, Reason.MISSING)
    parsed = parse_id(given)
    return parsed if parsed is not None else invalid(name, Reason.MALFORMED)


@router.post("/programme/mentorships/new")
async def draft(request: Request, visitor: Visitor, session: SignedIn) -> Response:
    """Draft a convention for a pair (as `POST /v1/programmes/{pid}/mentorships`), then its page (303)."""
    form = await posted(request)
    check_csrf(form, session.csrf)
    if not may(session.caller.role, Action.DRAFT_CONVENTION):
        return forbidden(request, visitor, session)
    mentor_id, mentee_id = id_field(form, "mentor_id"), id_field(form, "mentee_id")
    if isinstance(mentor_id, Refusal):
        return await draft_page(request, visitor, session, mentor_id, form)
    if isinstance(mentee_id, Refusal):
        return await draft_page(request, visitor, session, mentee_id, form)
    try:
        starts_on = date.fromisoformat(form.get("starts_on", ""))
    except ValueError:
        reason = Reason.MISSING if not form.get("starts_on") else Reason.MALFORMED
        return await draft_page(request, visitor, session, invalid("starts_on", reason), form)
    given = form.get("months", "").strip()
    if given and not (given.isascii() and given.isdigit()):
        return await draft_page(request, visitor, session, invalid("months", Reason.WRONG_TYPE), form)
    months = int(given) if given else None
    caller, pid = session.caller, session.caller.programme_id
    service = service_of(request)
    result, problem = await attempt(
        lambda: service.mentorships.draft(caller, pid, mentor_id, mentee_id, starts_on, months)
    )
    if problem is not None or result is None:
        return await draft_page(request, visitor, session, problem, form)
    await run_in_threadpool(read_side_of(request).wait_for, result.position, READ_MODELS, WAIT_SECONDS)
    return RedirectResponse(f"/programme/mentorships/{result.aggregate_id}", status_code=303, headers=HEADERS)


async def scoped(request: Request, visitor: Visit, session: Session, mentorship_id: str) -> ScopeRow | Response:
    """The mentorship's index row, for a coordinator of its programme; else the refused page (403, 404)."""
    if session.caller.role != COORDINATOR:
        elsewhere = f"/audit/mentorships/{mentorship_id}" if session.caller.role == Role.AUDITOR.value else None
        return refused_page(request, visitor, session, refusal(Forbidden()), elsewhere)
    parsed = parse_id(mentorship_id)
    try:
        if parsed is None:
            raise NotFound
        service = service_of(request)
        return await run_in_threadpool(service.mentorships.scope_row, session.caller, parsed, Action.READ_SUMMARY)
    except DomainError as error:
        return refused_page(request, visitor, session, refusal(error))


def _read(request: Request, row: ScopeRow) -> dict[str, Any]:
    """What the mentorship's page shows: its summary and its timeline (read models only)."""
    read_side = read_side_of(request)
    service = service_of(request)
    mid = str(row.id)
    found = summary.find(read_side.view("summary"), mid)
    if found is None:  # just drafted: wait for the read models to include what is stored now
        read_side.wait_for(service.store.position(), READ_MODELS, WAIT_SECONDS)
        found = summary.find(read_side.view("summary"), mid)
    if found is None:
        raise NotFound
    facts = summary.summary(found, service.ports.clock())
    disputes = [key for key, state in found["facts"].get("disputes", {}).items() if state == "open"]
    return {"facts": facts, "entries": timeline.history(read_side.view("timeline"), mid), "open_disputes": disputes}


def may_now(role: str, status: str) -> dict[str, bool]:
    """The coordinator's actions now: the permission table, then the status (the domain's guards)."""
    return {
        "withdraw": may(role, Action.WITHDRAW_CONVENTION) and status == "awaiting_signatures",
        "consult": may(role, Action.CONSULT_COORDINATOR) and status == "active",
        "end": may(role, Action.END_RELATIONSHIP) and status == "active",
    }


async def mentorship_page(
    request: Request,
    visitor: Visit,
    session: Session,
    row: ScopeRow,
    problem: Refusal | None = None,
    form: str | None = None,
    values: dict[str, str] | None = None,
) -> Response:
    """The mentorship's page; after a refused form, that form's values and refusal, with the refusal's status."""
    try:
        read = await run_in_threadpool(_read, request, row)
    except DomainError as error:
        return refused_page(request, visitor, session, refusal(error))
    facts = read["facts"]
    known = await names(request, session, [facts["mentor_id"], facts["mentee_id"]])
    disputes = {"": N_("Choose one")} | {key: str(number) for number, key in enumerate(read["open_disputes"], start=1)}
    response = page(
        request,
        visitor,
        session,
        "programme/mentorship.html",
        mid=str(row.id),
        names=known,
        can=may_now(session.caller.role, facts["status"]),
        statuses=STATUSES,
        events=EVENT_TYPES,
        roles=ROLES,
        in_words=in_words,
        topics=TOPICS,
        outcomes=OUTCOMES,
        end_reasons=END_BY_COORDINATOR,
        disputes=disputes,
        refusal=problem,
        form=form,
        values=values or {},
        **read,
    )
    if problem is not None:
        response.status_code = problem.status
    return response


@router.get("/programme/mentorships/{mentorship_id}")
async def mentorship(request: Request, visitor: Visitor, session: SignedIn, mentorship_id: str) -> Response:
    """One mentorship: its summary, its timeline, the coordinator's actions now."""
    row = await scoped(request, visitor, session, mentorship_id)
    if isinstance(row, Response):
        return row
    return await mentorship_page(request, visitor, session, row)


# A form's command: from the session, the scope row and the form, the API's command to run, or a refusal at once
Command = Callable[[Session, ScopeRow, dict[str, str]], Callable[[], CommandResult] | Refusal]


async def submitted(
    request: Request,
    visitor: Visit,
    session: Session,
    mentorship_id: str,
    form_name: str,
    command: Command,
    fields: dict[str, str] | None = None,
) -> Response:
    """A form of the mentorship's page: CSRF first, then the scope, then the API's command; 303 on success."""
    form = await posted(request)
    check_csrf(form, session.csrf)
    row = await scoped(request, visitor, session, mentorship_id)
    if isinstance(row, Response):
        return row
    prepared = command(session, row, form)
    if isinstance(prepared, Refusal):
        return await mentorship_page(request, visitor, session, row, prepared, form_name, form)
    result, problem = await attempt(prepared, fields)
    if problem is not None or result is None:
        return await mentorship_page(request, visitor, session, row, problem, form_name, form)
    await run_in_threadpool(read_side_of(request).wait_for, result.position, READ_MODELS, WAIT_SECONDS)
    return RedirectResponse(f"/programme/mentorships/{row.id}#{form_name}", status_code=303, headers=HEADERS)


def optional(form: dict[str, str], name: str) -> str | None:
    """An optional text: None when left empty."""
    value = form.get(name, "")
    return value if value.strip() else None


@router.post("/programme/mentorships/{mentorship_id}/withdrawal")
async def withdraw(request: Request, visitor: Visitor, session: SignedIn, mentorship_id: str) -> Response:
    """Withdraw the convention before it takes effect (as `POST /v1/mentorships/{id}/withdrawal`)."""

    def command(s: Session, row: ScopeRow, form: dict[str, str]) -> Callable[[], CommandResult]:
        return lambda: service_of(request).mentorships.withdraw(s.caller, row.id)

    return await submitted(request, visitor, session, mentorship_id, "withdraw", command)


@router.post("/programme/mentorships/{mentorship_id}/consultation")
async def consult(request: Request, visitor: Visitor, session: SignedIn, mentorship_id: str) -> Response:
    """Record a consultation about a dispute or an early end (as `POST /v1/mentorships/{id}/consultations`)."""

    def command(s: Session, row: ScopeRow, form: dict[str, str]) -> Callable[[], CommandResult] | Refusal:
        topic, outcome = form.get("topic", ""), form.get("outcome", "")
        if not topic:
            return invalid("topic", Reason.MISSING)
        if not outcome:
            return invalid("outcome", Reason.MISSING)
        dispute_id: UUID | None = None
        if form.get("dispute_id"):
            dispute_id = parse_id(form["dispute_id"])
            if dispute_id is None:
                return invalid("dispute_id", Reason.MALFORMED)
        note = optional(form, "note")
        mentorships_ = service_of(request).mentorships
        return lambda: mentorships_.consult_coordinator(s.caller, row.id, topic, dispute_id, outcome, note)

    return await submitted(request, visitor, session, mentorship_id, "consultation", command)


@router.post("/programme/mentorships/{mentorship_id}/end")
async def end(request: Request, visitor: Visitor, session: SignedIn, mentorship_id: str) -> Response:
    """End the relationship with its reason (as `POST /v1/mentorships/{id}/end`; early only after a consultation)."""

    def command(s: Session, row: ScopeRow, form: dict[str, str]) -> Callable[[], CommandResult] | Refusal:
        reason = form.get("reason", "")
        if not reason:
            return invalid("reason", Reason.MISSING)
        note = optional(form, "end_note")
        return lambda: service_of(request).mentorships.end(s.caller, row.id, reason, note)

    return await submitted(request, visitor, session, mentorship_id, "end", command, {"note": "end_note"})
