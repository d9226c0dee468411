"""The report as it was before the counters (a test oracle): dated facts, counted over [from, to) when queried.

Stored per mentorship: the dates it was drafted, signed, withdrawn and ended, and its month numbers; per
event of interest, one dated fact (a meeting held or cancelled, a dispute, a satisfaction score, an
objective's status). No content, no names: ids, dates, counts and categories only.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Collection, Sequence
from datetime import date, datetime, timedelta
from typing import Any, ClassVar

from domain.catalogue import MENTORSHIP_EVENTS
from domain.mentorship import HELD, Mentorship
from domain.programme import Programme
from domain.values import ConsultationTopic, EndReason, ObjectiveStatus, local_date
from projections.dates import local_day, month_number, whole_months
from projections.read_model import ReadModel
from projections.tables import Row, Rows, Table

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
        """The event classes this model folds (its handlers)."""
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
    """A new time zone or meeting target: for the facts recorded from now on only."""
    row = rows.require(PROGRAMMES, str(event.originator_id))
    for column, value in (("time_zone", event.time_zone), ("meeting_min", event.meeting_minutes_min),
                          ("meeting_max", event.meeting_minutes_max)):  # fmt: skip
        if value is not None:
            row[column] = value
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
        row["time_zone"] = rows.require(PROGRAMMES, row["programme_id"])["time_zone"]  # the zone in force now
        fact["on_date"] = local_day(event.occurred_at, row["time_zone"])
        handler(row, fact, event, rows)
    if fact["kind"] is not None:
        rows.put(FACTS, fact)
    rows.put(MENTORSHIPS, row)


# The model's table; the draft's entry overrides the mentorship events' (it creates the row they fold into)
HANDLERS: dict[type[Any], Callable[[Any, int, Rows], None]] = {
    Programme.ProgrammeLaunched: _launched,
    Programme.SettingsChanged: _settings_changed,
    **dict.fromkeys(MENTORSHIP_EVENTS, _fold),
    M.ConventionDrafted: _drafted,
}


EARLIEST, LATEST = "0001-01-01", "9999-12-31"


def rate(numerator: float, denominator: float, digits: int = 3) -> float | None:
    """A fraction rounded to 3 decimals, or None when the denominator is 0."""
    return round(numerator / denominator, digits) if denominator else None


def time_zone(view: Any, programme_id: str) -> str | None:
    """The programme's time zone, or None if the read model does not know the programme."""
    found = view.query(f"SELECT time_zone FROM {PROGRAMMES.name} WHERE id = ?", programme_id)
    return str(found[0]["time_zone"]) if found else None


def report(view: Any, programme_id: str, now: datetime, start: date | None, end: date | None) -> dict[str, Any]:
    """The programme report of MISSION section 4 (without `at_risk`, which the worklist answers)."""
    zone = time_zone(view, programme_id) or "UTC"
    low, high = (start.isoformat() if start else EARLIEST), (end.isoformat() if end else LATEST)
    figures: dict[str, Any] = {}
    figures.update(_statuses(view, programme_id, high))
    figures.update(_meetings(view, programme_id, low, high))
    figures.update(_months(view, programme_id, low, high, _month_span(start, end, local_date(now, zone))))
    figures.update(_satisfaction_and_objectives(view, programme_id, low, high))
    figures.update(_disputes(view, programme_id, low, high))
    figures["median_length_months"] = _median_length(view, programme_id, high)
    return figures


def _one(view: Any, statement: str, *params: Any) -> dict[str, Any]:
    return dict(view.query(statement, *params)[0])


def _statuses(view: Any, programme_id: str, high: str) -> dict[str, Any]:
    row = _one(
        view,
        "SELECT"
        " SUM(CASE WHEN (signed_on IS NULL OR signed_on >= ?) AND (withdrawn_on IS NULL OR withdrawn_on >= ?)"
        "  THEN 1 ELSE 0 END) AS awaiting,"
        " SUM(CASE WHEN signed_on < ? AND (ended_on IS NULL OR ended_on >= ?) THEN 1 ELSE 0 END) AS active,"
        " SUM(CASE WHEN ended_on < ? AND completed = 1 THEN 1 ELSE 0 END) AS completed,"
        " SUM(CASE WHEN ended_on < ? AND completed = 0 THEN 1 ELSE 0 END) AS early,"
        " SUM(CASE WHEN withdrawn_on < ? THEN 1 ELSE 0 END) AS withdrawn"
        f" FROM {MENTORSHIPS.name} WHERE programme_id = ? AND drafted_on < ?",
        *([high] * 7),
        programme_id,
        high,
    )
    counts = {name: int(row[name] or 0) for name in ("awaiting", "active", "completed", "early", "withdrawn")}
    reasons = dict.fromkeys((reason.value for reason in EndReason), 0)
    for found in view.query(
        f"SELECT end_reason, COUNT(*) AS n FROM {MENTORSHIPS.name}"
        " WHERE programme_id = ? AND ended_on < ? AND completed = 0 GROUP BY end_reason",
        programme_id,
        high,
    ):
        reasons[found["end_reason"]] = int(found["n"])
    return {
        "mentorships_awaiting_signatures": counts["awaiting"],
        "mentorships_active": counts["active"],
        "mentorships_completed": counts["completed"],
        "mentorships_ended_early": counts["early"],
        "mentorships_withdrawn": counts["withdrawn"],
        "early_end_rate": rate(counts["early"], counts["early"] + counts["completed"]),
        "early_end_reasons": reasons,
    }


def _meetings(view: Any, programme_id: str, low: str, high: str) -> dict[str, Any]:
    row = _one(
        view,
        "SELECT"
        " SUM(CASE WHEN kind = ? THEN 1 ELSE 0 END) AS held,"
        " SUM(CASE WHEN kind = ? THEN 1 ELSE 0 END) AS cancelled,"
        " SUM(CASE WHEN kind = ? THEN value ELSE 0 END) AS minutes,"
        " SUM(CASE WHEN kind = ? THEN within_target ELSE 0 END) AS within_target,"
        " SUM(CASE WHEN kind = ? THEN with_agenda ELSE 0 END) AS with_agenda"
        f" FROM {FACTS.name} WHERE programme_id = ? AND kind IN (?, ?) AND on_date >= ? AND on_date < ?",
        HELD_FACT, CANCELLED_FACT, HELD_FACT, HELD_FACT, HELD_FACT, programme_id, HELD_FACT, CANCELLED_FACT, low, high,
    )  # fmt: skip
    held, cancelled = int(row["held"] or 0), int(row["cancelled"] or 0)
    return {
        "meetings_held": held,
        "meetings_cancelled": cancelled,
        "cancellation_rate": rate(cancelled, held + cancelled),
        "minutes_mean": rate(int(row["minutes"] or 0), held, 2),
        "within_target_rate": rate(int(row["within_target"] or 0), held),
        "agenda_rate": rate(int(row["with_agenda"] or 0), held),
    }


def _month_span(start: date | None, end: date | None, today: date) -> tuple[int, int]:
    """The first and last calendar months (as numbers) that count as active months in the window."""
    first = month_number(start) if start else 0
    last = month_number(today)
    if end is not None:  # the month of the window's last day (none before the calendar's first day)
        last = min(last, month_number(end - timedelta(days=1)) if end > date.min else first - 1)
    return first, last


def _months(view: Any, programme_id: str, low: str, high: str, span: tuple[int, int]) -> dict[str, Any]:
    first, last = span
    months = _one(
        view,
        "SELECT SUM(CASE WHEN l >= f THEN l - f + 1 ELSE 0 END) AS months FROM ("
        " SELECT CASE WHEN start_month > ? THEN start_month ELSE ? END AS f,"
        "  CASE WHEN end_month IS NOT NULL AND end_month < ? THEN end_month ELSE ? END AS l"
        f" FROM {MENTORSHIPS.name} WHERE programme_id = ? AND signed_on < ?) AS spans",
        first, first, last, last, programme_id, high,
    )["months"]  # fmt: skip
    with_meeting = _one(
        view,
        "SELECT COUNT(*) AS n FROM (SELECT DISTINCT f.mentorship_id, f.month"
        f" FROM {FACTS.name} f JOIN {MENTORSHIPS.name} m ON m.id = f.mentorship_id"
        " WHERE f.programme_id = ? AND f.kind = ? AND f.on_date >= ? AND f.on_date < ? AND m.signed_on < ?"
        " AND f.month >= ? AND f.month <= ? AND f.month >= m.start_month"
        " AND (m.end_month IS NULL OR f.month <= m.end_month)) AS months",
        programme_id, HELD_FACT, low, high, high, first, last,
    )["n"]  # fmt: skip
    held = _one(
        view,
        f"SELECT COUNT(*) AS n FROM {FACTS.name} WHERE programme_id = ? AND kind = ? AND on_date >= ? AND on_date < ?",
        programme_id,
        HELD_FACT,
        low,
        high,
    )["n"]
    active_months = int(months or 0)
    return {
        "active_mentorship_months": active_months,
        "meetings_per_active_month": rate(int(held), active_months),
        "months_with_meeting_rate": rate(int(with_meeting), active_months),
    }


def _latest(kind: str, partition: str, where: str) -> str:
    """Each partition's latest fact of a kind (highest position)."""
    return (
        f"SELECT * FROM (SELECT role, status, value, ROW_NUMBER() OVER (PARTITION BY {partition}"
        f" ORDER BY position DESC) AS rn FROM {FACTS.name} WHERE programme_id = ? AND kind = '{kind}' {where})"
        " AS facts WHERE rn = 1"
    )


def _satisfaction_and_objectives(view: Any, programme_id: str, low: str, high: str) -> dict[str, Any]:
    scores: dict[str, list[int]] = {"mentor": [], "mentee": []}
    latest_scores = _latest(SATISFACTION, "mentorship_id, role", "AND on_date >= ? AND on_date < ?")
    for found in view.query(latest_scores, programme_id, low, high):
        scores.setdefault(found["role"], []).append(int(found["value"]))
    withdrawn = (
        f"AND mentorship_id NOT IN (SELECT id FROM {MENTORSHIPS.name} WHERE programme_id = ? AND withdrawn_on < ?)"
    )
    statuses = [
        row["status"]
        for row in view.query(
            _latest(OBJECTIVE, "ref", f"AND on_date < ? {withdrawn}"), programme_id, high, programme_id, high
        )
    ]
    kept = len(statuses) - statuses.count(ObjectiveStatus.ABANDONED.value)
    return {
        "objective_attainment_rate": rate(statuses.count(ObjectiveStatus.ATTAINED.value), kept),
        "mean_satisfaction_mentors": rate(sum(scores["mentor"]), len(scores["mentor"]), 2),
        "mean_satisfaction_mentees": rate(sum(scores["mentee"]), len(scores["mentee"]), 2),
    }


def _disputes(view: Any, programme_id: str, low: str, high: str) -> dict[str, Any]:
    row = _one(
        view,
        "SELECT SUM(CASE WHEN kind = ? THEN 1 ELSE 0 END) AS raised,"
        " SUM(CASE WHEN kind = ? THEN 1 ELSE 0 END) AS settled,"
        " COUNT(DISTINCT CASE WHEN kind = ? THEN ref END) AS consulted"
        f" FROM {FACTS.name} WHERE programme_id = ? AND kind IN (?, ?, ?) AND on_date >= ? AND on_date < ?",
        RAISED, SETTLED_FACT, CONSULTED, programme_id, RAISED, SETTLED_FACT, CONSULTED, low, high,
    )  # fmt: skip
    return {
        "disputes_raised": int(row["raised"] or 0),
        "disputes_settled": int(row["settled"] or 0),
        "disputes_to_coordinator": int(row["consulted"] or 0),
    }


def _median_length(view: Any, programme_id: str, high: str) -> float | int | None:
    lengths = [
        int(row["length_months"])
        for row in view.query(
            f"SELECT length_months FROM {MENTORSHIPS.name} WHERE programme_id = ? AND ended_on < ?", programme_id, high
        )
    ]
    if not lengths:
        return None
    median = statistics.median(lengths)
    return int(median) if median == int(median) else median
