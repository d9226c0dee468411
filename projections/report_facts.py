"""The programme report read model (MISSION section 4): dated facts, counted over [from, to) when queried.

Stored per mentorship: the dates it was drafted, signed, withdrawn and ended, and its month numbers; per
event of interest, one dated fact (a meeting held or cancelled, a dispute, a satisfaction score, an
objective's status). No content, no names: ids, dates, counts and categories only.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from datetime import date
from typing import Any, ClassVar

from domain.catalogue import MENTORSHIP_EVENTS
from domain.mentorship import HELD, Mentorship
from domain.programme import Programme
from domain.values import ConsultationTopic, ObjectiveStatus
from projections.dates import local_day, month_number, whole_months
from projections.read_model import ReadModel
from projections.tables import Row, Rows, Table
from projections.views import PostgresReadView, SQLiteReadView

M = Mentorship

PROGRAMMES = Table(
    "report_programme",
    (("id", "TEXT"), ("time_zone", "TEXT"), ("meeting_min", "BIGINT"), ("meeting_max", "BIGINT")),
    key=("id",),
)
MENTORSHIPS = Table(
    "report_mentorship",
    (
        ("id", "TEXT"), ("programme_id", "TEXT"), ("time_zone", "TEXT"), ("drafted_on", "TEXT"),
        ("signed_on", "TEXT"), ("withdrawn_on", "TEXT"), ("starts_on", "TEXT"), ("planned_end_on", "TEXT"),
        ("ended_on", "TEXT"), ("end_reason", "TEXT"), ("completed", "BIGINT"), ("length_months", "BIGINT"),
        ("start_month", "BIGINT"), ("end_month", "BIGINT"), ("agendas", "TEXT"),
    ),
    key=("id",),
    indexes=(("programme_id",),),
    json=("agendas",),
)  # fmt: skip
FACTS = Table(
    "report_fact",
    (
        ("position", "BIGINT"), ("programme_id", "TEXT"), ("mentorship_id", "TEXT"), ("kind", "TEXT"),
        ("on_date", "TEXT"), ("month", "BIGINT"), ("role", "TEXT"), ("ref", "TEXT"), ("status", "TEXT"),
        ("value", "BIGINT"), ("within_target", "BIGINT"), ("with_agenda", "BIGINT"),
    ),
    key=("position",),
    indexes=(("programme_id", "kind", "on_date"),),
)  # fmt: skip

HELD_FACT, CANCELLED_FACT, RAISED, SETTLED_FACT = "held", "cancelled", "dispute_raised", "dispute_settled"
CONSULTED, SATISFACTION, OBJECTIVE = "dispute_consulted", "satisfaction", "objective"


class ReportModel(ReadModel):
    """Folds events into dated facts for the programme report."""

    name: ClassVar[str] = "report"
    tables: ClassVar[tuple[Table, ...]] = (PROGRAMMES, MENTORSHIPS, FACTS)

    def preload(self, events: Sequence[tuple[int, Any]], rows: Rows, load_many: Any) -> None:
        """Fetch the batch's mentorships in one query (facts are only ever inserted)."""
        ids = [str(event.originator_id) for _, event in events if isinstance(event, MENTORSHIP_EVENTS)]
        rows.preload(MENTORSHIPS, load_many(MENTORSHIPS, ids), [(i,) for i in ids])

    def folds(self) -> Collection[type[Any]]:
        """The event classes this model folds (its handlers): the shared pass decodes no other for it."""
        return HANDLERS.keys()

    def apply(self, event: Any, position: int, rows: Rows) -> None:
        """Fold one event with its handler; events without one change nothing."""
        handler = HANDLERS.get(type(event))
        if handler is not None:
            handler(event, position, rows)


def _launched(event: Programme.ProgrammeLaunched, position: int, rows: Rows) -> None:
    rows.put(
        PROGRAMMES,
        {"id": str(event.originator_id), "time_zone": event.time_zone, "meeting_min": event.meeting_minutes_min,
         "meeting_max": event.meeting_minutes_max},
    )  # fmt: skip


def _drafted(event: M.ConventionDrafted, position: int, rows: Rows) -> None:
    row: Row = dict.fromkeys(MENTORSHIPS.column_names)
    row.update(
        id=str(event.originator_id),
        programme_id=str(event.programme_id),
        time_zone=event.time_zone,
        drafted_on=local_day(event.occurred_at, event.time_zone),
        starts_on=event.starts_on.isoformat(),
        planned_end_on=event.planned_end_on.isoformat(),
        start_month=month_number(event.starts_on),
        agendas=[],
    )
    rows.put(MENTORSHIPS, row)


def _withdrawn(row: Row, fact: Row, event: M.ConventionWithdrawn, rows: Rows) -> None:
    row["withdrawn_on"] = fact["on_date"]


def _signed(row: Row, fact: Row, event: M.ConventionSigned, rows: Rows) -> None:
    row["signed_on"] = fact["on_date"]


def _ended(row: Row, fact: Row, event: M.RelationshipEnded, rows: Rows) -> None:
    ended_on = event.ended_on
    row.update(
        ended_on=ended_on.isoformat(),
        end_reason=event.reason,
        completed=int(ended_on >= date.fromisoformat(row["planned_end_on"])),
        length_months=whole_months(date.fromisoformat(row["starts_on"]), ended_on),
        end_month=month_number(ended_on),
    )


def _agenda(row: Row, fact: Row, event: M.AgendaSubmitted, rows: Rows) -> None:
    row["agendas"] = [*row["agendas"], str(event.meeting_id)]


def _held(row: Row, fact: Row, event: M.MeetingHeld, rows: Rows) -> None:
    programme = rows.require(PROGRAMMES, row["programme_id"])
    held_on = local_day(event.held_at, row["time_zone"])
    minutes = event.duration_minutes
    fact.update(
        kind=HELD_FACT, on_date=held_on, month=month_number(date.fromisoformat(held_on)), value=minutes,
        within_target=int(programme["meeting_min"] <= minutes <= programme["meeting_max"]),
        with_agenda=int(str(event.meeting_id) in row["agendas"]), ref=str(event.meeting_id), status=HELD,
    )  # fmt: skip


def _cancelled(row: Row, fact: Row, event: M.MeetingCancelled, rows: Rows) -> None:
    fact.update(kind=CANCELLED_FACT, role=event.actor_role, ref=str(event.meeting_id), value=int(event.unavoidable))


def _dispute_raised(row: Row, fact: Row, event: M.DisputeRaised, rows: Rows) -> None:
    fact.update(kind=RAISED, ref=str(event.dispute_id))


def _dispute_settled(row: Row, fact: Row, event: M.DisputeSettled, rows: Rows) -> None:
    fact.update(kind=SETTLED_FACT, ref=str(event.dispute_id))


def _consulted(row: Row, fact: Row, event: M.CoordinatorConsulted, rows: Rows) -> None:
    if event.topic == ConsultationTopic.DISPUTE:
        fact.update(kind=CONSULTED, ref=str(event.dispute_id), status=event.outcome)


def _satisfaction(row: Row, fact: Row, event: M.SatisfactionReported, rows: Rows) -> None:
    fact.update(kind=SATISFACTION, role=event.actor_role, value=event.score)


def _objective_added(row: Row, fact: Row, event: M.ObjectiveAdded, rows: Rows) -> None:
    fact.update(kind=OBJECTIVE, ref=str(event.objective_id), status=ObjectiveStatus.NOT_STARTED.value)


def _objective_assessed(row: Row, fact: Row, event: M.ObjectiveAssessed, rows: Rows) -> None:
    fact.update(kind=OBJECTIVE, ref=str(event.objective_id), status=event.status)


# One handler per event after the draft: it updates the mentorship's dates or fills in a dated fact
FACT_HANDLERS: dict[type[Any], Callable[[Row, Row, Any, Rows], None]] = {
    M.ConventionWithdrawn: _withdrawn,
    M.ConventionSigned: _signed,
    M.RelationshipEnded: _ended,
    M.AgendaSubmitted: _agenda,
    M.MeetingHeld: _held,
    M.MeetingCancelled: _cancelled,
    M.DisputeRaised: _dispute_raised,
    M.DisputeSettled: _dispute_settled,
    M.CoordinatorConsulted: _consulted,
    M.SatisfactionReported: _satisfaction,
    M.ObjectiveAdded: _objective_added,
    M.ObjectiveAssessed: _objective_assessed,
}


def _fold(event: Any, position: int, rows: Rows) -> None:
    """Apply one event after the draft: update the mentorship's dates or add a dated fact."""
    row = rows.require(MENTORSHIPS, str(event.originator_id))
    fact: Row = dict.fromkeys(FACTS.column_names)
    fact.update(position=position, programme_id=row["programme_id"], mentorship_id=row["id"])
    handler = FACT_HANDLERS.get(type(event))
    if handler is not None:
        fact["on_date"] = local_day(event.occurred_at, row["time_zone"])
        handler(row, fact, event, rows)
    if fact["kind"] is not None:
        rows.put(FACTS, fact)
    rows.put(MENTORSHIPS, row)


# The model's table; the draft's entry overrides the mentorship events' (it creates the row they fold into)
HANDLERS: dict[type[Any], Callable[[Any, int, Rows], None]] = {
    Programme.ProgrammeLaunched: _launched,
    **dict.fromkeys(MENTORSHIP_EVENTS, _fold),
    M.ConventionDrafted: _drafted,
}


class ReportSQLiteView(SQLiteReadView):
    """The report's facts in the embedded store."""

    model = ReportModel()


class ReportPostgresView(PostgresReadView):
    """The report's facts in PostgreSQL."""

    model = ReportModel()
