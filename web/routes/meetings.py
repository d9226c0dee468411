"""A pair's meetings and disputes: `/mentorships/{id}/meetings` and `/mentorships/{id}/disputes`.

For the mentor and the mentee of the mentorship only, scoped as the API scopes its journal (another pair's
party: not found; a coordinator or an auditor: forbidden). What was said (agendas, notes, dispute summaries)
comes from the pair's journal, read as `GET /v1/mentorships/{id}/journal` reads it and recorded in the access
log; the mentorship's status from its scope row (no aggregate is replayed to render). Each form calls the
API's command (`application/mentorships.py`) and shows only what the party's role may do now
(`domain/permissions.py`, `domain/mentorship.py`); a date and time typed in a form is the programme's local time.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from application.access_index import ScopeRow
from application.mentorat import CommandResult
from application.web_sessions import Session
from domain.disputes import CLOSED_BY_END, OPEN, RECONCILED, SETTLED
from domain.errors import Forbidden, NotFound, Reason
from domain.mentorship import ACTIVE, AWAITING, CANCELLED, ENDED, HELD, SCHEDULED, WITHDRAWN
from domain.permissions import Action, may
from domain.values import MAX_DURATION, MAX_TEXT, MIN_DURATION
from projections import summary
from web.forms import check_csrf, posted
from web.refusals import Refusal, attempt, invalid, refusal
from web.rendering import HEADERS
from web.routes.pages import SignedIn, page, read_side_of
from web.visits import Visit, Visitor, programme_of, service_of
from web.words import N_

router = APIRouter(include_in_schema=False)
A = Action
MEETING_STATUSES = {SCHEDULED: N_("Scheduled"), HELD: N_("Held"), CANCELLED: N_("Cancelled")}
DISPUTE_STATUSES = {
    OPEN: N_("Open"),
    SETTLED: N_("Settled between the parties"),
    RECONCILED: N_("Reconciled with the coordinator"),
    CLOSED_BY_END: N_("Closed by the end of the mentorship"),
}
# Why no form is offered while the convention is not in effect
NOT_IN_EFFECT = {
    AWAITING: N_("The convention is not in effect yet: meetings and disputes begin once both parties have signed."),
    ENDED: N_("This mentorship has ended: its meetings and disputes can no longer change."),
    WITHDRAWN: N_("This convention was withdrawn: it has no meetings or disputes."),
}
LOCAL_MINUTE = "%Y-%m-%dT%H:%M"  # the value of an `<input type="datetime-local">`


class Refused(Exception):
    """A form value refused before any command (it does not parse)."""

    def __init__(self, refusal: Refusal) -> None:
        super().__init__(refusal.slug)
        self.refusal = refusal


def parsed_id(text: str) -> UUID:
    """A path id in its one spelling (lower-case, dashed), as the API reads it; anything else is not found."""
    try:
        value = UUID(text)
    except ValueError:
        raise NotFound from None
    if str(value) != text:
        raise NotFound
    return value


def local_moment(form: dict[str, str], name: str, time_zone: str, required: bool) -> datetime | None:
    """A `datetime-local` value read as the programme's local time: an aware datetime (None when blank)."""
    text = form.get(name, "").strip()
    if not text:
        if required:
            raise Refused(invalid(name, Reason.MISSING))
        return None
    try:
        typed = datetime.fromisoformat(text)
    except ValueError:
        raise Refused(invalid(name, Reason.MALFORMED)) from None
    if typed.tzinfo is not None:  # a local time has no offset: the programme's time zone gives it
        raise Refused(invalid(name, Reason.MALFORMED))
    return typed.replace(tzinfo=ZoneInfo(time_zone))


def local_value(moment: datetime | None, time_zone: str) -> str:
    """An instant as a `datetime-local` field shows it, in the programme's time zone."""
    return "" if moment is None else moment.astimezone(ZoneInfo(time_zone)).strftime(LOCAL_MINUTE)


def optional_text(form: dict[str, str], name: str) -> str | None:
    """An optional text: None when left blank."""
    text = form.get(name, "")
    return text if text.strip() else None


async def scoped(request: Request, session: Session, mentorship_id: str, action: Action) -> ScopeRow:
    """The mentorship's scope row, the caller allowed to run `action` on it (NotFound, then Forbidden)."""
    mid = parsed_id(mentorship_id)
    return await run_in_threadpool(service_of(request).mentorships.scope_row, session.caller, mid, action)


def refused_page(request: Request, visitor: Visit, session: Session, error: NotFound | Forbidden) -> Response:
    """Out of scope (404, nothing said of the mentorship) or not for this role (403)."""
    problem, status = ("not-found", 404) if isinstance(error, NotFound) else ("forbidden", 403)
    response = page(request, visitor, session, "meetings_refused.html", problem=problem)
    response.status_code = status
    return response


async def journal_of(request: Request, session: Session, row: ScopeRow) -> dict[str, Any]:
    """The pair's journal, as the API's journal route reads it: the read is recorded in the access log."""
    service = service_of(request)

    def read() -> dict[str, Any]:
        journal = service.journal.read(row.id)
        service.access_log.journal_read(session.caller, row)
        return journal

    return await run_in_threadpool(read)


async def meetings_page(
    request: Request,
    visitor: Visit,
    session: Session,
    row: ScopeRow,
    refusal: Refusal | None = None,
    failed: str | None = None,
    values: dict[str, str] | None = None,
) -> Response:
    """The meetings of the pair, and the forms this party may use now (a refused one with its reasons)."""
    journal = await journal_of(request, session, row)
    programme = programme_of(request, session)
    view = read_side_of(request).view("summary")
    settings = await run_in_threadpool(summary.programme, view, str(row.programme_id)) or {}
    role = row.role_of(session.caller.id) or session.caller.role
    now = service_of(request).ports.clock()
    active = row.status == ACTIVE
    upcoming = sorted((m for m in journal["meetings"] if m["status"] == SCHEDULED), key=lambda m: m["scheduled_for"])
    past = sorted(
        (m for m in journal["meetings"] if m["status"] != SCHEDULED),
        key=lambda m: m["held_at"] or m["scheduled_for"],
        reverse=True,
    )
    for meeting in upcoming:
        meeting["local"] = local_value(meeting["scheduled_for"], programme.time_zone)
        meeting["may_agenda"] = active and may(role, A.SUBMIT_AGENDA) and now < meeting["scheduled_for"]
        meeting["may_hold"] = active and may(role, A.RECORD_MEETING_HELD) and now >= meeting["scheduled_for"]
    response = page(
        request,
        visitor,
        session,
        "meetings.html",
        mentorship_id=str(row.id),
        upcoming=upcoming,
        past=past,
        statuses=MEETING_STATUSES,
        not_in_effect=None if active else NOT_IN_EFFECT.get(row.status, NOT_IN_EFFECT[ENDED]),
        may_schedule=active and may(role, A.SCHEDULE_MEETING),
        may_reschedule=active and may(role, A.RESCHEDULE_MEETING),
        may_cancel=active and may(role, A.CANCEL_MEETING),
        minutes=(settings.get("meeting_min"), settings.get("meeting_max")),
        bounds=(MIN_DURATION, MAX_DURATION),
        max_text=MAX_TEXT,
        refusal=refusal,
        failed=failed,
        values=values or {},
    )
    if refusal is not None:
        response.status_code = refusal.status
    return response


async def disputes_page(
    request: Request,
    visitor: Visit,
    session: Session,
    row: ScopeRow,
    refusal: Refusal | None = None,
    failed: str | None = None,
    values: dict[str, str] | None = None,
) -> Response:
    """The pair's disputes with their status, the agreement's rule, and the forms this party may use now."""
    journal = await journal_of(request, session, row)
    role = row.role_of(session.caller.id) or session.caller.role
    active = row.status == ACTIVE
    response = page(
        request,
        visitor,
        session,
        "disputes.html",
        mentorship_id=str(row.id),
        disputes=[{**d, "number": n} for n, d in reversed(list(enumerate(journal["disputes"], 1)))],
        statuses=DISPUTE_STATUSES,
        open_status=OPEN,
        not_in_effect=None if active else NOT_IN_EFFECT.get(row.status, NOT_IN_EFFECT[ENDED]),
        may_raise=active and may(role, A.RAISE_DISPUTE),
        may_settle=active and may(role, A.SETTLE_DISPUTE),
        max_text=MAX_TEXT,
        refusal=refusal,
        failed=failed,
        values=values or {},
    )
    if refusal is not None:
        response.status_code = refusal.status
    return response


# A page re-rendered with a form's refusal: (request, visitor, session, row, refusal, the form's key, its values)
Again = Callable[
    [Request, Visit, Session, ScopeRow, Refusal | None, str | None, dict[str, str] | None], Awaitable[Response]
]
Decide = Callable[[ScopeRow, dict[str, str], str], Callable[[], CommandResult]]


async def submitted(
    request: Request,
    visitor: Visit,
    session: Session,
    mentorship_id: str,
    action: Action,
    failed: str,
    command: Decide,
    field_names: dict[str, str],
    again: Again,
    done: str,
) -> Response:
    """One form: CSRF first, then scope (404/403 pages), values, the API's command; 303, or the page refused."""
    form = await posted(request)
    check_csrf(form, session.csrf)
    try:
        row = await scoped(request, session, mentorship_id, action)
    except (NotFound, Forbidden) as error:
        return refused_page(request, visitor, session, error)
    try:
        run = command(row, form, programme_of(request, session).time_zone)
    except Refused as refused:
        return await again(request, visitor, session, row, refused.refusal, failed, form)
    _, refusal = await attempt(run, field_names)
    if refusal is not None:
        return await again(request, visitor, session, row, refusal, failed, form)
    return RedirectResponse(f"/mentorships/{row.id}/{done}", status_code=303, headers=HEADERS)


@router.get("/mentorships/{mentorship_id}/meetings")
async def meetings(request: Request, visitor: Visitor, session: SignedIn, mentorship_id: str) -> Response:
    """The pair's meetings and the forms the party may use now."""
    try:
        row = await scoped(request, session, mentorship_id, A.READ_JOURNAL)
    except (NotFound, Forbidden) as error:
        return refused_page(request, visitor, session, error)
    return await meetings_page(request, visitor, session, row)


@router.post("/mentorships/{mentorship_id}/meetings")
async def schedule(request: Request, visitor: Visitor, session: SignedIn, mentorship_id: str) -> Response:
    """A party schedules a meeting, typed in the programme's local time (`POST …/meetings`)."""
    service = service_of(request)

    def command(row: ScopeRow, form: dict[str, str], zone: str) -> Callable[[], CommandResult]:
        moment = local_moment(form, "scheduled_for", zone, required=True)
        assert moment is not None
        return lambda: service.mentorships.schedule_meeting(session.caller, row.id, moment)

    return await submitted(
        request, visitor, session, mentorship_id, A.SCHEDULE_MEETING, "schedule", command, {}, meetings_page, "meetings"
    )


def meeting_form(meeting_id: str, name: str) -> str:
    """A meeting's form field: one id per meeting on the page (`agenda-<meeting id>`)."""
    return f"{name}-{meeting_id}"


@router.post("/mentorships/{mentorship_id}/meetings/{meeting_id}/reschedule")
async def reschedule(
    request: Request, visitor: Visitor, session: SignedIn, mentorship_id: str, meeting_id: str
) -> Response:
    """A party moves an open meeting (`POST …/meetings/{id}/reschedule`)."""
    service = service_of(request)
    name = meeting_form(meeting_id, "scheduled_for")

    def command(row: ScopeRow, form: dict[str, str], zone: str) -> Callable[[], CommandResult]:
        meeting = parsed_meeting(meeting_id)
        moment = local_moment(form, name, zone, required=True)
        assert moment is not None
        return lambda: service.mentorships.reschedule_meeting(session.caller, row.id, meeting, moment)

    return await submitted(
        request, visitor, session, mentorship_id, A.RESCHEDULE_MEETING, f"reschedule-{meeting_id}", command,
        {"scheduled_for": name}, meetings_page, "meetings",
    )  # fmt: skip


@router.post("/mentorships/{mentorship_id}/meetings/{meeting_id}/agenda")
async def agenda(
    request: Request, visitor: Visitor, session: SignedIn, mentorship_id: str, meeting_id: str
) -> Response:
    """The mentee sends the meeting's agenda before it starts (`POST …/meetings/{id}/agenda`)."""
    service = service_of(request)
    name = meeting_form(meeting_id, "agenda")

    def command(row: ScopeRow, form: dict[str, str], zone: str) -> Callable[[], CommandResult]:
        meeting, text = parsed_meeting(meeting_id), form.get(name, "")
        return lambda: service.mentorships.submit_agenda(session.caller, row.id, meeting, text)

    return await submitted(
        request, visitor, session, mentorship_id, A.SUBMIT_AGENDA, f"agenda-{meeting_id}", command,
        {"agenda": name}, meetings_page, "meetings",
    )  # fmt: skip


@router.post("/mentorships/{mentorship_id}/meetings/{meeting_id}/held")
async def hold(request: Request, visitor: Visitor, session: SignedIn, mentorship_id: str, meeting_id: str) -> Response:
    """A party records the meeting held, and may schedule the next one (`POST …/meetings/{id}/held`)."""
    service = service_of(request)
    fields = ("held_at", "duration_minutes", "notes", "next_meeting_for")
    names = {field: meeting_form(meeting_id, field) for field in fields}

    def command(row: ScopeRow, form: dict[str, str], zone: str) -> Callable[[], CommandResult]:
        meeting = parsed_meeting(meeting_id)
        held_at = local_moment(form, names["held_at"], zone, required=False)
        minutes = whole_number(form, names["duration_minutes"])
        notes = optional_text(form, names["notes"])
        following = local_moment(form, names["next_meeting_for"], zone, required=False)
        return lambda: service.mentorships.hold_meeting(
            session.caller, row.id, meeting, held_at, minutes, notes, following
        )

    return await submitted(
        request, visitor, session, mentorship_id, A.RECORD_MEETING_HELD, f"held-{meeting_id}", command, names,
        meetings_page, "meetings",
    )  # fmt: skip


@router.post("/mentorships/{mentorship_id}/meetings/{meeting_id}/cancellation")
async def cancel(
    request: Request, visitor: Visitor, session: SignedIn, mentorship_id: str, meeting_id: str
) -> Response:
    """A party cancels an open meeting, saying whether it was unavoidable (`POST …/meetings/{id}/cancellation`)."""
    service = service_of(request)
    names = {"note": meeting_form(meeting_id, "note"), "unavoidable": meeting_form(meeting_id, "unavoidable")}

    def command(row: ScopeRow, form: dict[str, str], zone: str) -> Callable[[], CommandResult]:
        meeting = parsed_meeting(meeting_id)
        unavoidable = form.get(names["unavoidable"]) == "yes"
        note = optional_text(form, names["note"])
        return lambda: service.mentorships.cancel_meeting(session.caller, row.id, meeting, unavoidable, note)

    return await submitted(
        request, visitor, session, mentorship_id, A.CANCEL_MEETING, f"cancel-{meeting_id}", command, names,
        meetings_page, "meetings",
    )  # fmt: skip


@router.get("/mentorships/{mentorship_id}/disputes")
async def disputes(request: Request, visitor: Visitor, session: SignedIn, mentorship_id: str) -> Response:
    """The pair's disputes, the agreement's rule, and the forms the party may use now."""
    try:
        row = await scoped(request, session, mentorship_id, A.READ_JOURNAL)
    except (NotFound, Forbidden) as error:
        return refused_page(request, visitor, session, error)
    return await disputes_page(request, visitor, session, row)


@router.post("/mentorships/{mentorship_id}/disputes")
async def raise_dispute(request: Request, visitor: Visitor, session: SignedIn, mentorship_id: str) -> Response:
    """A party raises a dispute (`POST …/disputes`)."""
    service = service_of(request)

    def command(row: ScopeRow, form: dict[str, str], zone: str) -> Callable[[], CommandResult]:
        text = form.get("summary", "")
        return lambda: service.mentorships.raise_dispute(session.caller, row.id, text)

    return await submitted(
        request, visitor, session, mentorship_id, A.RAISE_DISPUTE, "raise", command, {}, disputes_page, "disputes"
    )


@router.post("/mentorships/{mentorship_id}/disputes/{dispute_id}/settlement")
async def settle(
    request: Request, visitor: Visitor, session: SignedIn, mentorship_id: str, dispute_id: str
) -> Response:
    """A party settles an open dispute amicably (`POST …/disputes/{id}/settlement`)."""
    service = service_of(request)

    def command(row: ScopeRow, form: dict[str, str], zone: str) -> Callable[[], CommandResult]:
        dispute = parsed_part(dispute_id)
        return lambda: service.mentorships.settle_dispute(session.caller, row.id, dispute)

    return await submitted(
        request, visitor, session, mentorship_id, A.SETTLE_DISPUTE, f"settle-{dispute_id}", command, {},
        disputes_page, "disputes",
    )  # fmt: skip


def parsed_part(text: str) -> UUID:
    """A meeting's or dispute's id in the path; an id of no such part is refused as not found, as the API does."""
    try:
        return parsed_id(text)
    except NotFound as error:
        raise Refused(refusal(error)) from None


parsed_meeting = parsed_part


def whole_number(form: dict[str, str], name: str) -> int:
    """A whole number typed in a field (`duration_minutes`)."""
    text = form.get(name, "").strip()
    if not text:
        raise Refused(invalid(name, Reason.MISSING))
    if not text.isascii() or not text.isdigit():
        raise Refused(invalid(name, Reason.MALFORMED))
    return int(text)
