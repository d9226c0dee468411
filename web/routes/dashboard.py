"""The coordinator's dashboard: the programme report for a period, as charts and as tables, and its CSV.

Read exactly as `GET /v1/programmes/{pid}/report` reads it: the same bounds (`projections/report_period`), the
same figures and the same CSV, from the report and summary read models (no aggregate is replayed).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from application.web_sessions import Session
from bootstrap.read_side import ReadSide
from domain.errors import InvalidValue, Reason
from domain.permissions import Action, may
from domain.values import MAX_SCORE, EndReason
from projections import programme_report, report_period, summary
from web.refusals import Refusal, invalid
from web.rendering import HEADERS
from web.routes.pages import SignedIn, forbidden, page, read_side_of
from web.visits import Visit, Visitor, programme_of, service_of
from web.words import N_

router = APIRouter(include_in_schema=False)
CSV = "text/csv; charset=utf-8"
MAX_BOUND = 40  # as the API's `from` and `to` (`api/routes/reads.py`)
WAIT_SECONDS = 5.0  # a programme just launched: how long the page waits for the report model to know it
END_REASONS = {
    EndReason.COMPLETED.value: N_("Programme completed"),
    EndReason.NO_LONGER_NEEDED.value: N_("No longer needed"),
    EndReason.RELATIONAL_DIFFICULTIES.value: N_("Relational difficulties"),
    EndReason.OTHER.value: N_("Other reason"),
}


@dataclass(frozen=True)
class Figure:
    """One figure of the report: its key in the report's JSON (`name.key` inside a map), its words, its kind."""

    key: str
    words: str  # a message id (some with `%(min)s` and `%(max)s`: the programme's meeting target)
    kind: str  # "count", "rate" (0 to 1, shown as a percentage), "decimal", "score" (out of MAX_SCORE)
    chart: str | None = None  # the chart that draws it (see `chart_top`), or None: in the table only


@dataclass(frozen=True)
class Section:
    """A part of the dashboard: a heading, its figures (one table) and a chart for each scale they are drawn on."""

    id: str
    title: str
    note: str
    figures: tuple[Figure, ...]

    def charts(self) -> list[tuple[str, list[Figure]]]:
        """Each chart of the section (its scale) with its figures, in the order they first appear."""
        drawn: dict[str, list[Figure]] = {}
        for figure in self.figures:
            if figure.chart is not None:
                drawn.setdefault(figure.chart, []).append(figure)
        return list(drawn.items())


SECTIONS = (
    Section(
        "statuses", N_("Mentorships"), N_("Statuses on the period's last day; the worklist as of now."),
        (
            Figure("mentorships_awaiting_signatures", N_("Conventions awaiting signatures"), "count", "count"),
            Figure("mentorships_active", N_("Active mentorships"), "count", "count"),
            Figure("mentorships_completed", N_("Mentorships completed"), "count", "count"),
            Figure("mentorships_ended_early", N_("Mentorships ended early"), "count", "count"),
            Figure("mentorships_withdrawn", N_("Conventions withdrawn"), "count", "count"),
            Figure("at_risk", N_("Mentorships needing you now (worklist)"), "count", "count"),
        ),
    ),
    Section(
        "meetings", N_("Meetings"), N_("Meetings held or cancelled during the period."),
        (
            Figure("meetings_held", N_("Meetings held"), "count"),
            Figure("meetings_cancelled", N_("Meetings cancelled"), "count"),
            Figure("cancellation_rate", N_("Share of meetings cancelled"), "rate", "rate"),
            Figure("active_mentorship_months", N_("Months of active mentorship"), "count"),
            Figure("meetings_per_active_month", N_("Meetings per month of active mentorship"), "decimal", "per-month"),
            Figure("months_with_meeting_rate", N_("Share of active months with a meeting"), "rate", "rate"),
            Figure("minutes_mean", N_("Mean length of a meeting, in minutes"), "decimal"),
            Figure("within_target_rate", N_("Meetings of %(min)s to %(max)s minutes"), "rate", "rate"),
            Figure("agenda_rate", N_("Meetings with an agenda in advance"), "rate", "rate"),
        ),
    ),
    Section(
        "satisfaction", N_("Satisfaction and objectives"),
        N_("The latest score of each mentorship reported during the period, out of 5."),
        (
            Figure("mean_satisfaction_mentors", N_("Mean satisfaction of mentors"), "score", "score"),
            Figure("mean_satisfaction_mentees", N_("Mean satisfaction of mentees"), "score", "score"),
            Figure("objective_attainment_rate", N_("Share of objectives attained (not abandoned)"), "rate"),
        ),
    ),
    Section(
        "early-ends", N_("Ends"), N_("Mentorships ended by the period's last day, and why those ended early."),
        (
            Figure("early_end_rate", N_("Share of ended mentorships ended early"), "rate"),
            *(Figure(f"early_end_reasons.{slug}", words, "count", "count") for slug, words in END_REASONS.items()),
            Figure("median_length_months", N_("Median length of the ended mentorships, in months"), "decimal"),
        ),
    ),
    Section(
        "disputes", N_("Disputes"), N_("Disputes raised, settled or taken to you during the period."),
        (
            Figure("disputes_raised", N_("Disputes raised"), "count", "count"),
            Figure("disputes_settled", N_("Disputes settled"), "count", "count"),
            Figure("disputes_to_coordinator", N_("Disputes taken to the coordinator"), "count", "count"),
        ),
    ),
)  # fmt: skip


def value_of(figures: dict[str, Any], key: str) -> Any:
    """A figure by its key; `name.key` reads inside a map (as the CSV flattens it)."""
    name, _, inner = key.partition(".")
    value = figures.get(name)
    return value.get(inner) if inner and isinstance(value, dict) else value


def chart_top(scale: str, drawn: list[Figure], figures: dict[str, Any]) -> float:
    """What a full bar stands for: 100 %, the top score, or the largest value drawn rounded up (at least 1)."""
    if scale == "rate":
        return 1.0
    if scale == "score":
        return float(MAX_SCORE)
    return float(max([1, *(math.ceil(value_of(figures, f.key) or 0) for f in drawn)]))


@dataclass(frozen=True)
class Period:
    """The period as typed (shown back in the form) and as read ([from, to) in the programme's time zone)."""

    typed: dict[str, str]
    low: date | None
    high: date | None


def _typed(request: Request) -> dict[str, str]:
    """The form's `from` and `to` as given (an empty field is an absent bound)."""
    return {name: request.query_params.get(name, "").strip() for name in ("from", "to")}


def _given(typed: dict[str, str]) -> tuple[date | None, date | None]:
    """Each bound parsed as the API parses it (`InvalidValue` naming the field if refused)."""
    bounds: list[date | None] = []
    for name in ("from", "to"):
        text = typed[name] or None
        if text is not None and len(text) > MAX_BOUND:
            raise InvalidValue(name, reason=Reason.TOO_LONG)
        bounds.append(report_period.given(text, name))
    return bounds[0], bounds[1]


def _zone(reads: ReadSide, programme_id: str, fallback: str) -> str:
    """The programme's time zone as the report model knows it (waiting briefly for a programme just launched)."""
    zone = programme_report.time_zone(reads.view("report"), programme_id)
    if zone is None:
        reads.wait_for(reads.store.position(), ("report",), WAIT_SECONDS)
        zone = programme_report.time_zone(reads.view("report"), programme_id)
    return zone or fallback


def _figures(reads: ReadSide, programme_id: str, now: datetime, bounds: tuple[date | None, date | None]) -> Any:
    return report_period.figures(reads.view("report"), reads.view("summary"), programme_id, now, bounds)


async def _read(request: Request, session: Session) -> tuple[Period, dict[str, Any] | None, Refusal | None]:
    """The period asked for and the report's figures over it, or the refusal of a bad period."""
    typed = _typed(request)
    reads = read_side_of(request)
    programme_id = str(session.caller.programme_id)
    try:
        given = _given(typed)
        zone = await run_in_threadpool(_zone, reads, programme_id, programme_of(request, session).time_zone)
        low, high = report_period.period(*given, zone)
    except InvalidValue as error:
        return Period(typed, None, None), None, invalid(error.fields[0], error.reason)
    now = service_of(request).ports.clock()
    figures = await run_in_threadpool(_figures, reads, programme_id, now, (low, high))
    return Period(typed, low, high), figures, None


def _allowed(session: Session, *actions: Action) -> bool:
    """Whether the caller's role may take every one of these actions (in their own programme: the session's)."""
    return all(may(session.caller.role, action) for action in actions)


@router.get("/programme")
async def dashboard(request: Request, visitor: Visitor, session: SignedIn) -> Response:
    """The programme report over a period (default: since the programme began, until now): the coordinator's."""
    if not _allowed(session, Action.READ_REPORT, Action.READ_WORKLIST):  # `at_risk` is the worklist's
        return forbidden(request, visitor, session)
    period, figures, refusal = await _read(request, session)
    target = await run_in_threadpool(_target, read_side_of(request), str(session.caller.programme_id))
    given = {name: text for name, text in period.typed.items() if text}
    response = _page(request, visitor, session, period, figures, refusal, target, given)
    if refusal is not None:
        response.status_code = refusal.status
    return response


def _target(reads: ReadSide, programme_id: str) -> tuple[int, int] | None:
    """The programme's meeting length target in force (minutes), as the summary model keeps its settings."""
    row = summary.programme(reads.view("summary"), programme_id)
    return None if row is None else (int(row["meeting_min"]), int(row["meeting_max"]))


def _page(
    request: Request,
    visitor: Visit,
    session: Session,
    period: Period,
    figures: dict[str, Any] | None,
    refusal: Refusal | None,
    target: tuple[int, int] | None,
    given: dict[str, str],
) -> Response:
    return page(
        request,
        visitor,
        session,
        "dashboard.html",
        period=period,
        figures=figures,
        refusal=refusal,
        sections=SECTIONS,
        value_of=value_of,
        chart_top=chart_top,
        target={"min": target[0], "max": target[1]} if target else {"min": "?", "max": "?"},
        csv_link="/programme/report.csv" + (f"?{urlencode(given)}" if given else ""),
        max_score=MAX_SCORE,
    )


@router.get("/programme/report.csv")
async def report_csv(request: Request, visitor: Visitor, session: SignedIn) -> Response:
    """The same period's report as the API's CSV (`GET /v1/programmes/{pid}/report.csv`), by the session."""
    if not _allowed(session, Action.READ_REPORT):  # the API's permission for its CSV
        return forbidden(request, visitor, session)
    period, figures, refusal = await _read(request, session)
    if refusal is not None or figures is None:
        return await _dashboard_refused(request, visitor, session, period, refusal)
    name = "report.csv"
    headers = {**HEADERS, "Content-Disposition": f'attachment; filename="{name}"'}
    return Response(report_period.csv_text(figures), media_type=CSV, headers=headers)


async def _dashboard_refused(
    request: Request, visitor: Visit, session: Session, period: Period, refusal: Refusal | None
) -> Response:
    """A CSV asked for a bad period: the dashboard's form, with the refusal announced."""
    target = await run_in_threadpool(_target, read_side_of(request), str(session.caller.programme_id))
    given = {name: text for name, text in period.typed.items() if text}
    response = _page(request, visitor, session, period, None, refusal, target, given)
    response.status_code = refusal.status if refusal else 422
    return response
