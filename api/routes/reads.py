"""Queries of contract v1: summaries, lists, timelines, the report, the worklist, the parties' journal, the access log.

Reading a journal or personal data records the access (application/access_records.py) before the answer leaves.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any, Literal, TypeVar
from uuid import UUID

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from api import conditional, waits
from api.deps import (
    CallerMay,
    CurrentCaller,
    InProgramme,
    MentorshipReader,
    ParticipantPath,
    ProgrammeScope,
    ReadsMentorship,
    Service,
    parse_id,
)
from api.problems import NotReady, RequestInvalid
from api.query_params import Freshness, Page, Paging, fresh
from api.schemas import (
    AccessLogPage,
    JournalOut,
    ParticipantPage,
    ReportOut,
    SummaryOut,
    SummaryPage,
    TimelineOut,
    WorklistOut,
)
from application.authorization import Caller
from application.participants import served_email, served_name
from application.service import MentoratService
from bootstrap.read_side import ReadSide
from domain.errors import InvalidValue
from domain.permissions import Action
from projections import access_log, directory, programme_report, report_period, summary, timeline, worklist

router = APIRouter(prefix="/v1", lifespan=waits.lifespan)  # the pending waits and the worker threads
T = TypeVar("T")
A = Action
SummaryReads = Annotated[Freshness, Depends(fresh(("summary",)))]
TimelineReads = Annotated[Freshness, Depends(fresh(("timeline",)))]
DirectoryReads = Annotated[Freshness, Depends(fresh(("directory",)))]
ReportReads = Annotated[Freshness, Depends(fresh(("report", "summary")))]
AccessReads = Annotated[Freshness, Depends(fresh(("access",)))]


async def projected(freshness: Freshness, name: str, lookup: Callable[[], T | None]) -> T:
    """What the write side knows but a read model may not yet: waits for what is stored now, else 503."""
    found = await run_in_threadpool(lookup)
    if found is None:
        await freshness.wait_for_store(name)
        found = await run_in_threadpool(lookup)
        if found is None:
            raise NotReady
    return found


@dataclass(frozen=True)
class ParticipantReader:
    """A dependency: a participant whose history the caller may read: themself, or in a role the table allows."""

    action: Action = A.READ_PARTICIPANT_HISTORY

    def __call__(self, caller: CurrentCaller, service: Service, participant_id: ParticipantPath) -> UUID:
        pid = parse_id(participant_id)
        if pid != caller.id:
            service.participants.scope(caller, pid, self.action)
        return pid


@router.get(
    "/mentorships/{mentorship_id}",
    response_model=SummaryOut,
    responses=conditional.NOT_MODIFIED,
    operation_id="getMentorship",
    tags=["mentorships"],
)
async def get_summary(
    scope: Annotated[ReadsMentorship, Depends(MentorshipReader(A.READ_SUMMARY))],
    freshness: SummaryReads,
    service: Service,
    response: Response,
    if_none_match: conditional.IfNoneMatch = None,
) -> Any:
    """A mentorship's summary: parties, coordinator and auditor; its `ETag` is the version for `If-Match`.

    With `If-None-Match` naming the current version, 304 and no body (after scope: outside it, 404).
    """
    reads = await freshness.wait()
    mentorship_id = str(scope[1].id)
    row = await projected(freshness, "summary", lambda: summary.find(reads.view("summary"), mentorship_id))
    body = summary.summary(row, service.ports.clock())
    return conditional.conditional(body, body["version"], if_none_match, response)


@router.get(
    "/mentorships/{mentorship_id}/history",
    response_model=TimelineOut,
    operation_id="getMentorshipHistory",
    tags=["audit"],
)
async def get_mentorship_history(
    scope: Annotated[ReadsMentorship, Depends(MentorshipReader(A.READ_MENTORSHIP_HISTORY))], freshness: TimelineReads
) -> dict[str, Any]:
    """A mentorship's audit timeline: event types, times and actors, never content."""
    reads = await freshness.wait()
    return {"items": await run_in_threadpool(timeline.history, reads.view("timeline"), str(scope[1].id))}


@router.get(
    "/mentorships/{mentorship_id}/journal", response_model=JournalOut, operation_id="getJournal", tags=["mentorships"]
)
def get_journal(
    scope: Annotated[ReadsMentorship, Depends(MentorshipReader(A.READ_JOURNAL))], service: Service
) -> dict[str, Any]:
    """The parties' journal with its texts, read from the events: the two parties only; the read is recorded."""
    caller, mentorship = scope
    journal = service.journal.read(mentorship.id)
    service.access_log.journal_read(caller, mentorship)
    return journal


@router.get("/me/mentorships", response_model=SummaryPage, operation_id="listMyMentorships", tags=["mentorships"])
async def my_mentorships(
    caller: Annotated[Caller, Depends(CallerMay(A.LIST_MY_MENTORSHIPS))],
    freshness: SummaryReads,
    paging: Paging,
    service: Service,
) -> dict[str, Any]:
    """The caller's own mentorships, as mentor or mentee."""
    reads = await freshness.wait()
    rows = await run_in_threadpool(summary.of_party, reads.view("summary"), str(caller.id), paging.after, paging.limit)
    return _summaries(rows, paging, service)


@router.get(
    "/programmes/{programme_id}/mentorships",
    response_model=SummaryPage,
    operation_id="listProgrammeMentorships",
    tags=["mentorships"],
)
async def programme_mentorships(
    scope: Annotated[InProgramme, Depends(ProgrammeScope(A.LIST_PROGRAMME_MENTORSHIPS))],
    freshness: SummaryReads,
    paging: Paging,
    service: Service,
) -> Any:
    """A programme's mentorships: coordinator and auditor."""
    reads = await freshness.wait()
    rows = await run_in_threadpool(
        summary.of_programme, reads.view("summary"), str(scope[1]), paging.after, paging.limit
    )
    return _summaries(rows, paging, service)


def _summaries(rows: list[dict[str, Any]], paging: Page, service: MentoratService) -> dict[str, Any]:
    now = service.ports.clock()
    return {
        "items": [summary.summary(row, now) for row in rows],
        "next_cursor": paging.cursor(rows, lambda row: row["drafted_position"]),
    }


@router.get(
    "/programmes/{programme_id}/participants",
    response_model=ParticipantPage,
    operation_id="listParticipants",
    tags=["participants"],
)
async def programme_participants(
    scope: Annotated[InProgramme, Depends(ProgrammeScope(A.LIST_PARTICIPANTS))],
    freshness: DirectoryReads,
    paging: Paging,
    service: Service,
) -> dict[str, Any]:
    """A programme's participants; names and e-mails come from the write side, never from a read model.

    Each participant listed is a personal-data read, recorded before the page leaves.
    """
    reads = await freshness.wait()
    return await run_in_threadpool(_participants, reads, scope, paging, service)


def _participants(reads: ReadSide, scope: InProgramme, paging: Page, service: MentoratService) -> dict[str, Any]:
    rows = directory.of_programme(reads.view("directory"), str(scope[1]), paging.after, paging.limit)
    items = []
    for row in rows:
        person = service.participants.get(UUID(row["id"]))
        name, email = served_name(person), served_email(person)
        items.append({"id": person.id, "role": person.role, "name": name, "email": email, "active": person.active})
    service.access_log.personal_data_read(scope[0], scope[1], [UUID(row["id"]) for row in rows])
    return {"items": items, "next_cursor": paging.cursor(rows, lambda row: row["position"])}


@router.get(
    "/participants/{participant_id}/history",
    response_model=TimelineOut,
    operation_id="getParticipantHistory",
    tags=["audit"],
)
async def participant_history(
    pid: Annotated[UUID, Depends(ParticipantReader())], freshness: TimelineReads
) -> dict[str, Any]:
    """A participant's events without personal data: the participant, their coordinators and auditors."""
    reads = await freshness.wait()
    return {"items": await run_in_threadpool(timeline.history, reads.view("timeline"), str(pid))}


@router.get(
    "/programmes/{programme_id}/access-log", response_model=AccessLogPage, operation_id="getAccessLog", tags=["audit"]
)
async def get_access_log(
    scope: Annotated[InProgramme, Depends(ProgrammeScope(A.READ_ACCESS_LOG))], freshness: AccessReads, paging: Paging
) -> dict[str, Any]:
    """Who read journals and personal data, and who issued, redeemed or lost access, and when: the auditor only."""
    reads = await freshness.wait()
    rows = await run_in_threadpool(
        access_log.of_programme, reads.view("access"), str(scope[1]), paging.after, paging.limit
    )
    return {"items": rows, "next_cursor": paging.cursor(rows, lambda row: row["position"])}


@router.get(
    "/programmes/{programme_id}/worklist", response_model=WorklistOut, operation_id="getWorklist", tags=["reports"]
)
async def get_worklist(
    scope: Annotated[InProgramme, Depends(ProgrammeScope(A.READ_WORKLIST))], freshness: SummaryReads, service: Service
) -> dict[str, Any]:
    """The mentorships that need the coordinator now, with their reasons."""
    reads = await freshness.wait()
    items = await run_in_threadpool(worklist.worklist, reads.view("summary"), str(scope[1]), service.ports.clock())
    return {"items": items}


REPORT_FROM = (
    "The first day counted: a date (`2026-01-01`) or a time with an offset, counted as its date in the "
    "programme's time zone. Absent: since the programme began."
)
REPORT_TO = (
    "The day after the last one counted, and the day the statuses are taken at (same forms as `from`). Absent: now."
)
ReportFrom = Annotated[str | None, Query(alias="from", max_length=40, description=REPORT_FROM)]
ReportTo = Annotated[str | None, Query(alias="to", max_length=40, description=REPORT_TO)]
CSV_FORMAT = (
    "`csv` answers the report as `text/csv`, as `GET /v1/programmes/{programme_id}/report.csv` does (kept for "
    "contract v1: a generated client calls that operation, whose answer is CSV only)."
)
CSV = "text/csv; charset=utf-8"


@router.get(
    "/programmes/{programme_id}/report",
    response_model=ReportOut,
    responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}}},
    operation_id="getProgrammeReport",
    tags=["reports"],
)
async def get_report(
    scope: Annotated[InProgramme, Depends(ProgrammeScope(A.READ_REPORT))],
    freshness: ReportReads,
    service: Service,
    start: ReportFrom = None,
    end: ReportTo = None,
    format: Annotated[Literal["json", "csv"], Query(description=CSV_FORMAT)] = "json",
) -> Any:
    """The programme report: event figures over [from, to), statuses as of `to`; JSON (or CSV with `format`)."""
    figures = await _figures(scope, freshness, service, start, end)
    return _csv(figures) if format == "csv" else figures


@router.get(
    "/programmes/{programme_id}/report.csv",
    response_class=Response,
    responses={
        200: {
            "description": "One `metric,value` row per figure.",
            "content": {"text/csv": {"schema": {"type": "string"}}},
        }
    },
    operation_id="getProgrammeReportCsv",
    tags=["reports"],
)
async def get_report_csv(
    scope: Annotated[InProgramme, Depends(ProgrammeScope(A.READ_REPORT))],
    freshness: ReportReads,
    service: Service,
    start: ReportFrom = None,
    end: ReportTo = None,
) -> Response:
    """The programme report as CSV: the same figures, bounds, permissions and `?after` as the JSON report."""
    return _csv(await _figures(scope, freshness, service, start, end))


async def _figures(
    scope: InProgramme, freshness: Freshness, service: MentoratService, start: str | None, end: str | None
) -> dict[str, Any]:
    """The report's figures over [from, to) once the read models are fresh enough (`projections/report_period`)."""
    with _refused_bounds():  # a malformed bound is refused before any wait
        given = report_period.given(start, "from"), report_period.given(end, "to")
    reads = await freshness.wait()
    programme_id = str(scope[1])
    zone = await projected(freshness, "report", lambda: programme_report.time_zone(reads.view("report"), programme_id))
    with _refused_bounds():
        bounds = report_period.period(*given, zone)
    return await run_in_threadpool(_report, reads, programme_id, service.ports.clock(), bounds)


@contextmanager
def _refused_bounds() -> Iterator[None]:
    """A refused bound as the query parameter's problem."""
    try:
        yield
    except InvalidValue as error:  # a query parameter, not a field of a body
        reason = error.reason
        raise RequestInvalid.query(error.fields[0], report_period.query_code(reason), reason) from None


def _report(reads: ReadSide, programme_id: str, now: datetime, bounds: tuple[date | None, date | None]) -> Any:
    return report_period.figures(reads.view("report"), reads.view("summary"), programme_id, now, bounds)


def _csv(figures: dict[str, Any]) -> Response:
    """The figures as `metric,value` rows."""
    return Response(report_period.csv_text(figures), media_type=CSV)
