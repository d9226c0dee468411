"""The programme report read model (MISSION section 4): counters per programme and day, kept by the fold.

Stored per mentorship: its dates and the dated facts the counters derive from (meeting days, scores,
objective statuses, consultation days), each classified when folded with the settings then in force (the
local day in the mentorship's time zone, the programme's meeting target). Per programme: counters by day
(`report_counts` says how each is read) and the signed mentorships' spans of months. No content, no names:
ids, dates, counts and categories only.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from datetime import date
from typing import Any, ClassVar

from domain.catalogue import MENTORSHIP_EVENTS
from domain.mentorship import Mentorship
from domain.programme import Programme
from domain.values import ConsultationTopic, ObjectiveStatus
from projections import report_counts as rc
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
        ("start_month", "BIGINT"), ("end_month", "BIGINT"), ("agendas", "TEXT"), ("held", "TEXT"),
        ("scores", "TEXT"), ("objectives", "TEXT"), ("consultations", "TEXT"),
    ),
    key=("id",),
    json=("agendas", "held", "scores", "objectives", "consultations"),
)  # fmt: skip
COUNTS = Table(
    "report_count",
    (
        ("programme_id", "TEXT"), ("metric", "TEXT"), ("since", "TEXT"), ("bound", "TEXT"), ("gate", "TEXT"),
        ("category", "TEXT"), ("n", "BIGINT"), ("total", "BIGINT"),
    ),
    key=("programme_id", "metric", "since", "bound", "gate", "category"),
    indexes=(("programme_id", "metric", "bound"),),  # scores superseded after `to`
    additive=("n", "total"),
)  # fmt: skip
SPANS = Table(
    "report_span",
    (("programme_id", "TEXT"), ("signed_on", "TEXT"), ("start_month", "BIGINT"), ("end_month", "BIGINT"),
     ("n", "BIGINT")),
    key=("programme_id", "signed_on", "start_month", "end_month"),
    additive=("n",),
)  # fmt: skip
SPAN_MONTHS = Table(
    "report_span_month",
    (("programme_id", "TEXT"), ("month", "BIGINT"), ("n", "BIGINT")),
    key=("programme_id", "month"),
    additive=("n",),
)  # by month, +1 as signed mentorships' spans begin and -1 after they end


class ReportModel(ReadModel):
    """Folds events into per-mentorship state and per-programme counters for the programme report."""

    name: ClassVar[str] = "report"
    tables: ClassVar[tuple[Table, ...]] = (PROGRAMMES, MENTORSHIPS, COUNTS, SPANS, SPAN_MONTHS)
    retired: ClassVar[tuple[str, ...]] = ("report_fact",)  # the dated facts of the layout before the counters

    def preload(self, events: Sequence[tuple[int, Any]], rows: Rows, load_many: Any) -> None:
        """Fetch the batch's mentorships in one query (counters are only ever added to)."""
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


def _settings_changed(event: Programme.SettingsChanged, position: int, rows: Rows) -> None:
    """The programme's new time zone and meeting target: for the facts folded from now on only."""
    row = rows.require(PROGRAMMES, str(event.originator_id))
    changed = {"time_zone": event.time_zone, "meeting_min": event.meeting_minutes_min,
               "meeting_max": event.meeting_minutes_max}  # fmt: skip
    row.update({name: value for name, value in changed.items() if value is not None})
    rows.put(PROGRAMMES, row)


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
        agendas=[], held=[], scores={}, objectives={}, consultations={},
    )  # fmt: skip
    rows.put(MENTORSHIPS, row)
    _add(rows, row, rc.counts(row), rc.spans(row), rc.span_months(row))


def _withdrawn(row: Row, day: str, event: M.ConventionWithdrawn, rows: Rows) -> None:
    row["withdrawn_on"] = day


def _signed(row: Row, day: str, event: M.ConventionSigned, rows: Rows) -> None:
    row["signed_on"] = day


def _ended(row: Row, day: str, event: M.RelationshipEnded, rows: Rows) -> None:
    ended_on = event.ended_on
    row.update(
        ended_on=ended_on.isoformat(),
        end_reason=event.reason,
        completed=int(ended_on >= date.fromisoformat(row["planned_end_on"])),
        length_months=whole_months(date.fromisoformat(row["starts_on"]), ended_on),
        end_month=month_number(ended_on),
    )


def _agenda(row: Row, day: str, event: M.AgendaSubmitted, rows: Rows) -> None:
    row["agendas"] = [*row["agendas"], str(event.meeting_id)]


def _held(row: Row, day: str, event: M.MeetingHeld, rows: Rows) -> None:
    """Classified now, with the programme's target and time zone in force when folded."""
    programme = rows.require(PROGRAMMES, row["programme_id"])
    held_on = local_day(event.held_at, row["time_zone"])
    minutes = event.duration_minutes
    row["held"] = [*row["held"], [held_on, month_number(date.fromisoformat(held_on))]]
    _event(rows, row, rc.HELD, held_on, total=minutes)
    if programme["meeting_min"] <= minutes <= programme["meeting_max"]:
        _event(rows, row, rc.WITHIN_TARGET, held_on)
    if str(event.meeting_id) in row["agendas"]:
        _event(rows, row, rc.WITH_AGENDA, held_on)


def _cancelled(row: Row, day: str, event: M.MeetingCancelled, rows: Rows) -> None:
    _event(rows, row, rc.CANCELLED, day)


def _dispute_raised(row: Row, day: str, event: M.DisputeRaised, rows: Rows) -> None:
    _event(rows, row, rc.RAISED, day)


def _dispute_settled(row: Row, day: str, event: M.DisputeSettled, rows: Rows) -> None:
    _event(rows, row, rc.SETTLED, day)


def _consulted(row: Row, day: str, event: M.CoordinatorConsulted, rows: Rows) -> None:
    if event.topic == ConsultationTopic.DISPUTE:
        ref = str(event.dispute_id)
        row["consultations"] = {**row["consultations"], ref: [*row["consultations"].get(ref, []), day]}


def _satisfaction(row: Row, day: str, event: M.SatisfactionReported, rows: Rows) -> None:
    role = event.actor_role
    row["scores"] = {**row["scores"], role: [*row["scores"].get(role, []), [day, event.score]]}


def _objective(row: Row, day: str, ref: str, status: str) -> None:
    row["objectives"] = {**row["objectives"], ref: [*row["objectives"].get(ref, []), [day, status]]}


def _objective_added(row: Row, day: str, event: M.ObjectiveAdded, rows: Rows) -> None:
    _objective(row, day, str(event.objective_id), ObjectiveStatus.NOT_STARTED.value)


def _objective_assessed(row: Row, day: str, event: M.ObjectiveAssessed, rows: Rows) -> None:
    _objective(row, day, str(event.objective_id), event.status)


# One handler per event after the draft: it updates the mentorship's state or adds to its programme's counts
FACT_HANDLERS: dict[type[Any], Callable[[Row, str, Any, Rows], None]] = {
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


def _count(rows: Rows, programme_id: str, key: rc.CountKey, n: int, total: int) -> None:
    """Add to a counter, and to its month's roll-up for a day counter."""
    metric, since, bound, gate, category = key
    for counter, on in rc.rolled_up(metric, since):
        row = {"programme_id": programme_id, "metric": counter, "since": on, "bound": bound, "gate": gate}
        rows.add(COUNTS, {**row, "category": category, "n": n, "total": total})


def _event(rows: Rows, row: Row, metric: str, day: str, total: int = 0) -> None:
    """Count one event on its day (events are only ever added, never revised)."""
    _count(rows, row["programme_id"], (metric, day, rc.NEVER, rc.NONE, ""), 1, total)


def _add(rows: Rows, row: Row, counts: dict[Any, int], spans: dict[Any, int], months: dict[Any, int]) -> None:
    """Add a mentorship's change of contribution to its programme's counters and spans."""
    programme_id = row["programme_id"]
    for (key, column), amount in counts.items():
        _count(rows, programme_id, key, amount if column == "n" else 0, amount if column == "total" else 0)
    for (signed_on, start_month, end_month), amount in spans.items():
        span = {"signed_on": signed_on, "start_month": start_month, "end_month": end_month}
        rows.add(SPANS, {"programme_id": programme_id, **span, "n": amount})
    for month, amount in months.items():
        rows.add(SPAN_MONTHS, {"programme_id": programme_id, "month": month, "n": amount})


def _fold(event: Any, position: int, rows: Rows) -> None:
    """Apply one event after the draft and add what it changes in the mentorship's contribution.

    The event is dated in its programme's time zone in force now: a change of zone moves no fact folded before.
    """
    row = rows.require(MENTORSHIPS, str(event.originator_id))
    handler = FACT_HANDLERS.get(type(event))
    if handler is None:
        return
    row["time_zone"] = rows.require(PROGRAMMES, row["programme_id"])["time_zone"]
    counts, spans, months = rc.counts(row), rc.spans(row), rc.span_months(row)
    handler(row, local_day(event.occurred_at, row["time_zone"]), event, rows)
    counted = rc.difference(rc.counts(row), counts)
    _add(rows, row, counted, rc.difference(rc.spans(row), spans), rc.difference(rc.span_months(row), months))
    rows.put(MENTORSHIPS, row)


# The model's table; the draft's entry overrides the mentorship events' (it creates the row they fold into)
HANDLERS: dict[type[Any], Callable[[Any, int, Rows], None]] = {
    Programme.ProgrammeLaunched: _launched,
    Programme.SettingsChanged: _settings_changed,
    **dict.fromkeys(MENTORSHIP_EVENTS, _fold),
    M.ConventionDrafted: _drafted,
}


class ReportSQLiteView(SQLiteReadView):
    """The report's counters in the embedded store."""

    model = ReportModel()


class ReportPostgresView(PostgresReadView):
    """The report's counters in PostgreSQL."""

    model = ReportModel()
