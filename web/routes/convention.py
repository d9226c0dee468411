"""The pair's convention (issue 14): its terms as the agreement states them, both signatures, the objectives,
satisfaction, a disclosure, the end; and the pair's journal. For the mentor and the mentee of it only.

Every page reads the read models (the summary, the timeline, the programme's settings) and the pair's own texts
from their journal, as `GET /v1/mentorships/{id}/journal` reads it (the read is recorded); its scope is checked
on the mentorship's index row, as the API's reads check it: nothing is replayed to render. Every form sends the
API's command (`service.mentorships.…`), checked by the same permission table, then redirects (303).
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
from application.errors import NotFound
from application.mentorat import CommandResult
from application.web_sessions import Session
from domain.errors import DomainError, Forbidden, Reason
from domain.permissions import Action, may
from domain.values import Authority, DisclosureBasis, EndReason, ObjectiveStatus, Role, local_date
from projections import summary, timeline
from projections.dates import whole_months
from web.forms import check_csrf, posted
from web.refusals import Refusal, attempt, invalid, refusal
from web.rendering import HEADERS
from web.routes.pages import SignedIn, page, read_side_of
from web.visits import Visit, Visitor, service_of
from web.words import N_, STATUSES, in_words

router = APIRouter(include_in_schema=False)
READ_MODELS = ("summary", "timeline")  # what the convention's page reads; a form waits for them before redirecting
WAIT_SECONDS = 5.0
OBJECTIVE_STATUSES = {
    ObjectiveStatus.NOT_STARTED.value: N_("Not started"),
    ObjectiveStatus.IN_PROGRESS.value: N_("In progress"),
    ObjectiveStatus.ATTAINED.value: N_("Attained"),
    ObjectiveStatus.ABANDONED.value: N_("Abandoned"),
}
CHOOSE = {"": N_("Choose one")}  # a required choice's first option: nothing is chosen for the visitor
SCORES = {
    **CHOOSE,
    "1": N_("1: not at all satisfied"),
    "2": N_("2: not very satisfied"),
    "3": N_("3: fairly satisfied"),
    "4": N_("4: satisfied"),
    "5": N_("5: very satisfied"),
}
END_REASONS = {
    **CHOOSE,
    EndReason.COMPLETED.value: N_("The convention's term is reached: its objectives are completed"),
    EndReason.NO_LONGER_NEEDED.value: N_("Going on is no longer needed"),
    EndReason.RELATIONAL_DIFFICULTIES.value: N_("Relational difficulties that cannot be overcome"),
    EndReason.OTHER.value: N_("Another reason"),
}
BASES = {
    **CHOOSE,
    DisclosureBasis.REQUIRED_BY_LAW.value: N_("The law requires it"),
    DisclosureBasis.DANGER_TO_SELF_OR_OTHERS.value: N_(
        "The mentee stated an intention to endanger themself or others (the mentor informs the authorities)"
    ),
    DisclosureBasis.MADE_PUBLIC_BY_OTHER_PARTY.value: N_("The other party made the information public"),
}
AUTHORITIES = {
    "": N_("Not said"),
    Authority.POLICE.value: N_("A police service"),
    Authority.YOUTH_PROTECTION.value: N_("Youth protection"),
    Authority.HEALTH_SERVICES.value: N_("Health services"),
    Authority.COURT.value: N_("A court"),
    Authority.OTHER.value: N_("Another authority"),
}
MEETING_STATUSES = {"scheduled": N_("Scheduled"), "held": N_("Held"), "cancelled": N_("Cancelled")}
DISPUTE_STATUSES = {
    "open": N_("Open"),
    "settled": N_("Settled between you"),
    "reconciled": N_("Reconciled with the coordinator"),
    "closed_by_end": N_("Closed by the end of the relationship"),
}
ENTRY_TYPES = {
    "MeetingCancelled": N_("Meeting cancelled"),
    "CoordinatorConsulted": N_("Coordinator consulted"),
    "RelationshipEnded": N_("Relationship ended"),
    "SatisfactionReported": N_("Satisfaction reported"),
}
ROLE_WORDS = {"mentor": N_("Mentor"), "mentee": N_("Mentee"), "coordinator": N_("Coordinator")}
SIGNED_ROLES = (Role.MENTOR.value, Role.MENTEE.value)
# The page of a mentorship a coordinator or an auditor has instead of the pair's (URL plan of issue 14)
OVERSEERS_PAGES = {Role.COORDINATOR.value: "/programme/mentorships/{}", Role.AUDITOR.value: "/audit/mentorships/{}"}


def parse_id(value: str) -> UUID | None:
    """A path id in its one spelling (lower-case, dashed), as the API reads it; None for any other."""
    try:
        parsed = UUID(value)
    except ValueError:
        return None
    return parsed if str(parsed) == value else None


def party_scope(request: Request, session: Session, mentorship_id: str) -> ScopeRow:
    """The mentorship's index row if the visitor is one of its two parties (no replay); else the API's refusal.

    Out of scope (another pair, another programme, an unknown id): not found. A coordinator or auditor of the
    programme: forbidden, as the journal is the parties' alone (the coordinator's page is `/programme/…`).
    """
    parsed = parse_id(mentorship_id)
    if parsed is None:
        raise NotFound
    return service_of(request).mentorships.scope_row(session.caller, parsed, Action.READ_JOURNAL)


def refused_page(
    request: Request, visitor: Visit, session: Session, problem: Refusal, elsewhere: str | None = None
) -> Response:
    """A page the visitor may not open (403) or cannot see (404): nothing of the mentorship is shown.

    `elsewhere`: the page of this mentorship the visitor's role has instead (a coordinator's, an auditor's).
    """
    response = page(request, visitor, session, "convention_refused.html", refusal=problem, elsewhere=elsewhere)
    response.status_code = problem.status
    return response


async def scoped(request: Request, visitor: Visit, session: Session, mentorship_id: str) -> ScopeRow | Response:
    """The party's scope row, or the refused page."""
    try:
        return await run_in_threadpool(party_scope, request, session, mentorship_id)
    except DomainError as error:
        # Forbidden means the mentorship is in the visitor's programme: their role's own page of it
        instead = OVERSEERS_PAGES.get(session.caller.role) if isinstance(error, Forbidden) else None
        elsewhere = instead.format(mentorship_id) if instead else None
        return refused_page(request, visitor, session, refusal(error), elsewhere)


def _read(request: Request, session: Session, row: ScopeRow) -> dict[str, Any]:
    """What the convention's page shows: the summary, the programme's settings, the signatures, the journal."""
    read_side = read_side_of(request)
    service = service_of(request)
    mid = str(row.id)
    found = summary.find(read_side.view("summary"), mid)
    if found is None:  # just drafted: wait for the read models to include what is stored now
        read_side.wait_for(service.store.position(), READ_MODELS, WAIT_SECONDS)
        found = summary.find(read_side.view("summary"), mid)
    if found is None:
        raise NotFound
    now = service.ports.clock()
    facts = summary.summary(found, now)
    settings = summary.programme(read_side.view("summary"), str(row.programme_id)) or {}
    target = found["facts"].get("target") or [None, None]
    entries = timeline.history(read_side.view("timeline"), mid)
    signatures = {e["actor_role"]: e["occurred_at"] for e in entries if e["type"] == "PartySigned"}
    journal = service.journal.read(row.id)
    service.access_log.journal_read(session.caller, row)
    starts_on, planned_end_on = date.fromisoformat(facts["starts_on"]), date.fromisoformat(facts["planned_end_on"])
    today = local_date(now, found.get("today_zone") or found["time_zone"])
    return {
        "facts": facts,
        "months": whole_months(starts_on, planned_end_on),
        "meeting_min": settings.get("meeting_min", target[0]),
        "meeting_max": settings.get("meeting_max", target[1]),
        "signatures": signatures,
        "journal": journal,
        "before_planned_end": today < planned_end_on,
    }


def may_now(role: str, status: str, signed: dict[str, str]) -> dict[str, bool]:
    """What this party may do now: the permission table, then the convention's status (the domain's guards)."""
    open_ = status in ("awaiting_signatures", "active")
    signed_at_all = status in ("active", "ended")
    return {
        "sign": may(role, Action.SIGN_CONVENTION) and status == "awaiting_signatures" and role not in signed,
        "add_objective": may(role, Action.ADD_OBJECTIVE) and open_,
        "assess": may(role, Action.ASSESS_OBJECTIVE) and signed_at_all,
        "satisfaction": may(role, Action.REPORT_SATISFACTION) and signed_at_all,
        "disclose": may(role, Action.RECORD_DISCLOSURE) and signed_at_all,
        "end": may(role, Action.END_RELATIONSHIP) and status == "active",
    }


async def convention_page(
    request: Request,
    visitor: Visit,
    session: Session,
    row: ScopeRow,
    problem: Refusal | None = None,
    form: str | None = None,
    values: dict[str, str] | None = None,
) -> Response:
    """The convention's page; after a refused form, that form's values and refusal, with the refusal's status."""
    read = await run_in_threadpool(_read, request, session, row)
    role = row.role_of(session.caller.id) or ""
    forms = {f"assess-{objective['id']}" for objective in read["journal"]["objectives"]}
    if form is not None and form.startswith("assess-") and form not in forms:
        form = "page"  # an objective the page does not show: the refusal is said at the page's top
    basis_choices = {
        key: words
        for key, words in BASES.items()
        if key != DisclosureBasis.DANGER_TO_SELF_OR_OTHERS.value or role == Role.MENTOR.value
    }  # the danger basis is the mentor's alone (the domain refuses it from a mentee)
    response = page(
        request,
        visitor,
        session,
        "convention.html",
        mid=str(row.id),
        my_role=role,
        can=may_now(role, read["facts"]["status"], read["signatures"]),
        signed_roles=SIGNED_ROLES,
        status_words=in_words(STATUSES, read["facts"]["status"], lambda text: text),
        objective_statuses=OBJECTIVE_STATUSES,
        end_reasons=END_REASONS,
        scores=SCORES,
        bases=basis_choices,
        authorities=AUTHORITIES,
        role_words=ROLE_WORDS,
        refusal=problem,
        form=form,
        values=values or {},
        **read,
    )
    if problem is not None:
        response.status_code = problem.status
    return response


@router.get("/mentorships/{mentorship_id}")
async def convention(request: Request, visitor: Visitor, session: SignedIn, mentorship_id: str) -> Response:
    """The convention as the agreement states it, its signatures, objectives and what the party may do now."""
    row = await scoped(request, visitor, session, mentorship_id)
    if isinstance(row, Response):
        return row
    return await convention_page(request, visitor, session, row)


@router.get("/mentorships/{mentorship_id}/journal")
async def journal(request: Request, visitor: Visitor, session: SignedIn, mentorship_id: str) -> Response:
    """The pair's journal, as `GET /v1/mentorships/{id}/journal` gives it; the read is recorded."""
    row = await scoped(request, visitor, session, mentorship_id)
    if isinstance(row, Response):
        return row

    def read() -> dict[str, Any]:
        service = service_of(request)
        pages = service.journal.read(row.id)
        service.access_log.journal_read(session.caller, row)
        return pages

    pages = await run_in_threadpool(read)
    return page(
        request,
        visitor,
        session,
        "convention_journal.html",
        mid=str(row.id),
        journal=pages,
        objective_statuses=OBJECTIVE_STATUSES,
        meeting_statuses=MEETING_STATUSES,
        dispute_statuses=DISPUTE_STATUSES,
        entry_types=ENTRY_TYPES,
        role_words=ROLE_WORDS,
        in_words=in_words,
    )


# A form's command: from the session, the scope row and the form, the API's command to run, or a refusal at once
Command = Callable[[Session, ScopeRow, dict[str, str]], Callable[[], CommandResult] | Refusal]


async def submitted(
    request: Request,
    visitor: Visit,
    session: Session,
    mentorship_id: str,
    form_name: str,
    command: Command,
    anchor: str,
    fields: dict[str, str] | None = None,
) -> Response:
    """A form of the convention's page: CSRF first, then the party's scope, then the API's command.

    Success: wait for the read models to include it, then 303 to the page. Refused: the page again, with the
    refusal and its status; nothing was stored.
    """
    form = await posted(request)
    check_csrf(form, session.csrf)
    row = await scoped(request, visitor, session, mentorship_id)
    if isinstance(row, Response):
        return row
    prepared = command(session, row, form)
    if isinstance(prepared, Refusal):
        return await convention_page(request, visitor, session, row, prepared, form_name, form)
    result, problem = await attempt(prepared, fields)
    if problem is not None or result is None:
        return await convention_page(request, visitor, session, row, problem, form_name, form)
    await run_in_threadpool(read_side_of(request).wait_for, result.position, READ_MODELS, WAIT_SECONDS)
    return RedirectResponse(f"/mentorships/{row.id}#{anchor}", status_code=303, headers=HEADERS)


def optional(form: dict[str, str], name: str) -> str | None:
    """An optional text: None when left empty."""
    value = form.get(name, "")
    return value if value.strip() else None


@router.post("/mentorships/{mentorship_id}/signature")
async def sign(request: Request, visitor: Visitor, session: SignedIn, mentorship_id: str) -> Response:
    """The party signs the convention (`active` once both have)."""

    def command(s: Session, row: ScopeRow, form: dict[str, str]) -> Callable[[], CommandResult]:
        return lambda: service_of(request).mentorships.sign(s.caller, row.id)

    return await submitted(request, visitor, session, mentorship_id, "sign", command, "signatures")


@router.post("/mentorships/{mentorship_id}/objectives")
async def add_objective(request: Request, visitor: Visitor, session: SignedIn, mentorship_id: str) -> Response:
    """The party adds an objective, in their own words."""

    def command(s: Session, row: ScopeRow, form: dict[str, str]) -> Callable[[], CommandResult]:
        text = form.get("text", "")  # absent or blank: the domain's reason (blank)
        return lambda: service_of(request).mentorships.add_objective(s.caller, row.id, text)

    return await submitted(request, visitor, session, mentorship_id, "objective", command, "objectives")


@router.post("/mentorships/{mentorship_id}/objectives/{objective_id}/assessment")
async def assess(
    request: Request, visitor: Visitor, session: SignedIn, mentorship_id: str, objective_id: str
) -> Response:
    """The party assesses an objective: where it stands now."""

    def command(s: Session, row: ScopeRow, form: dict[str, str]) -> Callable[[], CommandResult] | Refusal:
        oid = parse_id(objective_id)
        if oid is None:
            return refusal(NotFound())
        status = form.get(f"status-{objective_id}", "")  # one form per objective: its field named after it
        return lambda: service_of(request).mentorships.assess_objective(s.caller, row.id, oid, status)

    fields = {"status": f"status-{objective_id}"}
    name = f"assess-{objective_id}"
    return await submitted(request, visitor, session, mentorship_id, name, command, "objectives", fields)


@router.post("/mentorships/{mentorship_id}/satisfaction")
async def report_satisfaction(request: Request, visitor: Visitor, session: SignedIn, mentorship_id: str) -> Response:
    """The party reports their satisfaction (1 to 5) and, if they wish, a comment."""

    def command(s: Session, row: ScopeRow, form: dict[str, str]) -> Callable[[], CommandResult] | Refusal:
        given = form.get("score", "").strip()
        if not given:
            return invalid("score", Reason.MISSING)
        if not given.isascii() or not given.isdigit():
            return invalid("score", Reason.WRONG_TYPE)
        score, comment = int(given), optional(form, "comment")
        return lambda: service_of(request).mentorships.report_satisfaction(s.caller, row.id, score, comment)

    return await submitted(request, visitor, session, mentorship_id, "satisfaction", command, "satisfaction")


@router.post("/mentorships/{mentorship_id}/disclosure")
async def record_disclosure(request: Request, visitor: Visitor, session: SignedIn, mentorship_id: str) -> Response:
    """The party records a disclosure: its basis and whom it went to, never its content."""

    def command(s: Session, row: ScopeRow, form: dict[str, str]) -> Callable[[], CommandResult] | Refusal:
        basis = form.get("basis", "")
        if not basis:
            return invalid("basis", Reason.MISSING)
        authority = form.get("authority") or None
        return lambda: service_of(request).mentorships.record_disclosure(s.caller, row.id, basis, authority)

    return await submitted(request, visitor, session, mentorship_id, "disclosure", command, "disclosure")


@router.post("/mentorships/{mentorship_id}/end")
async def end(request: Request, visitor: Visitor, session: SignedIn, mentorship_id: str) -> Response:
    """The party ends the relationship (an early end only after a consultation with the coordinator)."""

    def command(s: Session, row: ScopeRow, form: dict[str, str]) -> Callable[[], CommandResult] | Refusal:
        reason = form.get("reason", "")
        if not reason:
            return invalid("reason", Reason.MISSING)
        note = optional(form, "note")
        return lambda: service_of(request).mentorships.end(s.caller, row.id, reason, note)

    return await submitted(request, visitor, session, mentorship_id, "end", command, "end")
