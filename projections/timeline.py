"""The audit timeline read model (MISSION section 4): one row per event of a mentorship, participant or programme.

Type, times, actor, version and position only: never a field of the event's own.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any, ClassVar

from domain.catalogue import SECTION_2_EVENTS, SIGN_IN_EVENTS
from projections.dates import utc_text
from projections.read_model import ReadModel
from projections.tables import Row, Rows, Table
from projections.views import PostgresReadView, SQLiteReadView

ENTRIES = Table(
    "timeline_entry",
    (
        ("position", "BIGINT"), ("aggregate_id", "TEXT"), ("version", "BIGINT"), ("type", "TEXT"),
        ("occurred_at", "TEXT"), ("recorded_at", "TEXT"), ("actor_id", "TEXT"), ("actor_role", "TEXT"),
    ),
    key=("position",),
    indexes=(("aggregate_id", "version"),),
)  # fmt: skip


class TimelineModel(ReadModel):
    """Records who did what kind of thing, and when, for every aggregate but credentials."""

    name: ClassVar[str] = "timeline"
    tables: ClassVar[tuple[Table, ...]] = (ENTRIES,)

    def folds(self) -> Collection[type[Any]]:
        """The event classes this model folds (its handlers): the shared pass decodes no other for it."""
        return HANDLERS.keys()

    def apply(self, event: Any, position: int, rows: Rows) -> None:
        """Add one entry per event of section 2; any other event (a credential's, an access record) adds none."""
        handler = HANDLERS.get(type(event))
        if handler is not None:
            handler(event, position, rows)


def _entry(event: Any, position: int, rows: Rows) -> None:
    """Who did what kind of thing and when: nothing of the event's own fields."""
    rows.put(
        ENTRIES,
        {
            "position": position,
            "aggregate_id": str(event.originator_id),
            "version": event.originator_version,
            "type": type(event).__name__,
            "occurred_at": utc_text(event.occurred_at),
            "recorded_at": utc_text(event.timestamp),
            "actor_id": None if event.actor_id is None else str(event.actor_id),
            "actor_role": event.actor_role,
        },
    )


# Every event of section 2, and the sign-in codes' (MISSION 5b), gets the same entry
HANDLERS: dict[type[Any], Callable[[Any, int, Rows], None]] = dict.fromkeys(SECTION_2_EVENTS + SIGN_IN_EVENTS, _entry)


def history(view: Any, aggregate_id: str) -> list[Row]:
    """An aggregate's entries in version order."""
    return list(
        view.query(
            "SELECT type, occurred_at, recorded_at, actor_id, actor_role, version, position"
            f" FROM {ENTRIES.name} WHERE aggregate_id = ? ORDER BY version",
            aggregate_id,
        )
    )


class TimelineSQLiteView(SQLiteReadView):
    """The timeline in the embedded store."""

    model = TimelineModel()


class TimelinePostgresView(PostgresReadView):
    """The timeline in PostgreSQL."""

    model = TimelineModel()
