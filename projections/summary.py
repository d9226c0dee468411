"""The mentorship summary read model (MISSION section 4): one row per mentorship, process facts only.

Also serves the lists of mentorships (a programme's, a party's) and feeds the worklist. Stored: dates,
counts and the times of open meetings; what is relative to "today" is computed when queried.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from datetime import date, datetime
from typing import Any, ClassVar

from domain.catalogue import MENTORSHIP_EVENTS
from domain.mentorship import ACTIVE, AWAITING, Mentorship
from domain.programme import Programme
from domain.values import local_date
from projections.dates import from_utc_text, local_day, whole_months
from projections.read_model import ReadModel
from projections.summary_fold import fold
from projections.tables import Row, Rows, Table
from projections.views import PostgresReadView, SQLiteReadView

M = Mentorship

PROGRAMMES = Table(
    "summary_programme_named_settings",
    (
        ("id", "TEXT"),
        ("name", "TEXT"),  # a programme's name is no one's personal data (stored in clear): every web page shows it
        ("time_zone", "TEXT"),
        ("default_months", "BIGINT"),
        ("meeting_min", "BIGINT"),
        ("meeting_max", "BIGINT"),
        ("thresholds", "TEXT"),
        ("version", "BIGINT"),
    ),
    key=("id",),
    json=("thresholds",),
)  # the settings in force, as of the latest event folded (GET /v1/programmes/{pid} and the worklist read it)
_COUNTS = (
    "meetings_held", "meetings_cancelled", "cancelled_by_mentor", "cancelled_by_mentee", "cancelled_unavoidable",
    "minutes_total", "meetings_within_target", "agendas_in_advance", "objectives_total", "objectives_attained",
    "disputes_raised", "disputes_open", "disputes_settled", "disputes_to_coordinator", "consultations",
    "cancellations_in_a_row",
)  # fmt: skip
MENTORSHIPS = Table(
    "summary_mentorship",
    (
        ("id", "TEXT"), ("programme_id", "TEXT"), ("mentor_id", "TEXT"), ("mentee_id", "TEXT"), ("status", "TEXT"),
        ("time_zone", "TEXT"), ("drafted_position", "BIGINT"), ("drafted_on", "TEXT"), ("starts_on", "TEXT"),
        ("planned_end_on", "TEXT"), ("signed_on", "TEXT"), ("withdrawn_on", "TEXT"), ("last_meeting_on", "TEXT"),
        ("first_open_meeting_at", "TEXT"), ("last_open_meeting_at", "TEXT"),
        *((name, "BIGINT") for name in _COUNTS),
        ("satisfaction_mentor", "BIGINT"), ("satisfaction_mentee", "BIGINT"), ("ended_on", "TEXT"),
        ("ended_early", "BIGINT"), ("end_reason", "TEXT"), ("ended_by_role", "TEXT"), ("version", "BIGINT"),
        ("facts", "TEXT"),
    ),
    key=("id",),
    indexes=(("programme_id", "drafted_position"), ("mentor_id",), ("mentee_id",), ("programme_id", "status")),
    json=("facts",),
)  # fmt: skip

_OPEN_COLUMNS = (
    "id", "programme_id", "status", "drafted_position", "drafted_on", "starts_on", "planned_end_on",
    "last_meeting_on", "first_open_meeting_at", "last_open_meeting_at", "cancellations_in_a_row", "disputes_open",
    "satisfaction_mentor", "satisfaction_mentee",
)  # fmt: skip
OPEN = Table(
    "summary_open",
    tuple((name, kind) for name, kind in MENTORSHIPS.columns if name in _OPEN_COLUMNS),
    key=("id",),
    indexes=(("programme_id", "drafted_position"),),
)  # the worklist's narrow copy of the mentorships awaiting signatures or active (the others need no one)


class SummaryModel(ReadModel):
    """Folds mentorship events into one summary row each."""

    name: ClassVar[str] = "summary"
    tables: ClassVar[tuple[Table, ...]] = (PROGRAMMES, MENTORSHIPS, OPEN)
    # the programmes' tables before their settings, then before their name
    retired: ClassVar[tuple[str, ...]] = ("summary_programme", "summary_programme_settings")

    def preload(self, events: Sequence[tuple[int, Any]], rows: Rows, load_many: Any) -> None:
        """Fetch the batch's mentorships in one query."""
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
        {"id": str(event.originator_id), "name": event.name, "time_zone": event.time_zone,
         "default_months": event.default_months, "meeting_min": event.meeting_minutes_min,
         "meeting_max": event.meeting_minutes_max, "thresholds": dict(event.thresholds),
         "version": event.originator_version},
    )  # fmt: skip


def _settings_changed(event: Programme.SettingsChanged, position: int, rows: Rows) -> None:
    """The new settings: the worklist reads them at once; later facts are dated and classified with them."""
    row = rows.require(PROGRAMMES, str(event.originator_id))
    changed = {
        "time_zone": event.time_zone, "default_months": event.default_months,
        "meeting_min": event.meeting_minutes_min, "meeting_max": event.meeting_minutes_max,
    }  # fmt: skip
    row.update({name: value for name, value in changed.items() if value is not None})
    row.update(thresholds={**row["thresholds"], **event.thresholds}, version=event.originator_version)
    rows.put(PROGRAMMES, row)


def _drafted(event: M.ConventionDrafted, position: int, rows: Rows) -> None:
    programme = rows.require(PROGRAMMES, str(event.programme_id))
    row: Row = dict.fromkeys(MENTORSHIPS.column_names)
    row.update(dict.fromkeys(_COUNTS, 0))
    row.update(
        id=str(event.originator_id),
        programme_id=str(event.programme_id),
        mentor_id=str(event.mentor_id),
        mentee_id=str(event.mentee_id),
        status=AWAITING,
        time_zone=event.time_zone,
        drafted_position=position,
        drafted_on=local_day(event.occurred_at, event.time_zone),
        starts_on=event.starts_on.isoformat(),
        planned_end_on=event.planned_end_on.isoformat(),
        version=event.originator_version,
        facts={
            "target": [programme["meeting_min"], programme["meeting_max"]],
            "open": {},
            "agendas": [],
            "closed": [],
            "objectives": {},
            "disputes": {},
            "consulted": [],
        },
    )
    _put(rows, row)


def _put(rows: Rows, row: Row) -> None:
    """Store the mentorship's row, and its worklist copy while it awaits signatures or is active."""
    rows.put(MENTORSHIPS, row)
    if row["status"] in (AWAITING, ACTIVE):
        rows.put(OPEN, {name: row[name] for name in OPEN.column_names})
    else:
        rows.delete(OPEN, row["id"])


def _later(event: Any, position: int, rows: Rows) -> None:
    """An event after the draft: the summary's fold (`projections/summary_fold.py`) on its mentorship's row.

    It is dated and classified with its programme's settings in force now (what was folded before keeps its own).
    """
    row = rows.require(MENTORSHIPS, str(event.originator_id))
    programme = rows.require(PROGRAMMES, row["programme_id"])
    row["time_zone"] = programme["time_zone"]
    row["facts"]["target"] = [programme["meeting_min"], programme["meeting_max"]]
    fold(row, event)
    row["version"] = event.originator_version
    _put(rows, row)


# The draft's entry comes after the mentorship events': it overrides theirs (it creates the row they fold into)
HANDLERS: dict[type[Any], Callable[[Any, int, Rows], None]] = {
    Programme.ProgrammeLaunched: _launched,
    Programme.SettingsChanged: _settings_changed,
    **dict.fromkeys(MENTORSHIP_EVENTS, _later),
    M.ConventionDrafted: _drafted,
}


def summary(row: Row, now: datetime) -> dict[str, Any]:
    """The summary of MISSION section 4 from a stored row, with what is relative to `now` computed now.

    "Today" is in the programme's time zone in force (`today_zone`, read with the row), as for the worklist.
    """
    today = local_date(now, row.get("today_zone") or row["time_zone"])
    starts_on = date.fromisoformat(row["starts_on"])
    until = row["ended_on"] or row["withdrawn_on"]
    end = date.fromisoformat(until) if until else today
    ahead = [moment for moment in map(from_utc_text, row["facts"]["open"].values()) if moment > now]
    since = date.fromisoformat(row["last_meeting_on"] or row["starts_on"])
    held = row["meetings_held"]
    return {
        "id": row["id"],
        "programme_id": row["programme_id"],
        "mentor_id": row["mentor_id"],
        "mentee_id": row["mentee_id"],
        "status": row["status"],
        "starts_on": row["starts_on"],
        "planned_end_on": row["planned_end_on"],
        "months_elapsed": whole_months(starts_on, end),
        **{name: row[name] for name in _COUNTS if name != "cancellations_in_a_row"},
        "minutes_mean": round(row["minutes_total"] / held, 2) if held else None,
        "last_meeting_on": row["last_meeting_on"],
        "next_meeting_for": min(ahead).isoformat() if ahead else None,
        "days_since_last_meeting": max(0, (today - since).days),
        "satisfaction_mentor": row["satisfaction_mentor"],
        "satisfaction_mentee": row["satisfaction_mentee"],
        "ended_on": row["ended_on"],
        "ended_early": None if row["ended_early"] is None else bool(row["ended_early"]),
        "end_reason": row["end_reason"],
        "ended_by_role": row["ended_by_role"],
        "version": row["version"],
    }


# A mentorship's row with its programme's time zone in force, the zone of "today" (`summary`)
SELECT_ROWS = (
    f"SELECT m.*, p.time_zone AS today_zone FROM {MENTORSHIPS.name} m "
    f"LEFT JOIN {PROGRAMMES.name} p ON p.id = m.programme_id"
)


def find(view: Any, mentorship_id: str) -> Row | None:
    """One mentorship's stored row."""
    found = view.query(f"{SELECT_ROWS} WHERE m.id = ?", mentorship_id)
    return MENTORSHIPS.decode(found[0]) if found else None


def of_programme(view: Any, programme_id: str, after: int, limit: int) -> list[Row]:
    """A page of a programme's mentorships, in drafting order, after a cursor position."""
    found = view.query(
        f"{SELECT_ROWS} WHERE m.programme_id = ? AND m.drafted_position > ? ORDER BY m.drafted_position LIMIT ?",
        programme_id,
        after,
        limit,
    )
    return [MENTORSHIPS.decode(row) for row in found]


def of_programme_in(view: Any, programme_id: str, status: str, after: int, limit: int) -> list[Row]:
    """A page of a programme's mentorships in one status, in drafting order, after a cursor position."""
    found = view.query(
        f"{SELECT_ROWS} WHERE m.programme_id = ? AND m.status = ? AND m.drafted_position > ? "
        "ORDER BY m.drafted_position LIMIT ?",
        programme_id,
        status,
        after,
        limit,
    )
    return [MENTORSHIPS.decode(row) for row in found]


def of_party(view: Any, participant_id: str, after: int, limit: int) -> list[Row]:
    """A page of the mentorships where the participant is the mentor or the mentee."""
    found = view.query(
        f"{SELECT_ROWS} WHERE (m.mentor_id = ? OR m.mentee_id = ?) AND m.drafted_position > ? "
        "ORDER BY m.drafted_position LIMIT ?",
        participant_id,
        participant_id,
        after,
        limit,
    )
    return [MENTORSHIPS.decode(row) for row in found]


def programme(view: Any, programme_id: str) -> Row | None:
    """A programme's name, settings in force (time zone, default months, meeting target, thresholds) and version."""
    found = view.query(f"SELECT * FROM {PROGRAMMES.name} WHERE id = ?", programme_id)
    return PROGRAMMES.decode(found[0]) if found else None


class SummarySQLiteView(SQLiteReadView):
    """The summary in the embedded store."""

    model = SummaryModel()


class SummaryPostgresView(PostgresReadView):
    """The summary in PostgreSQL."""

    model = SummaryModel()


def open_parties(view: Any, programme_id: str) -> dict[str, tuple[str, str]]:
    """The mentor and mentee of each of a programme's mentorships awaiting signatures or active (the worklist's)."""
    found = view.query(
        f"SELECT m.id, m.mentor_id, m.mentee_id FROM {MENTORSHIPS.name} m JOIN {OPEN.name} o ON o.id = m.id "
        "WHERE m.programme_id = ?",
        programme_id,
    )
    return {str(row["id"]): (str(row["mentor_id"]), str(row["mentee_id"])) for row in found}
