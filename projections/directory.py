"""The participants directory read model: who belongs to which programme, with which role, still active.

Names and e-mails are personal data: they are never stored here, the API reads them from the write side.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any, ClassVar

from domain.participant import Participant
from projections.read_model import ReadModel
from projections.tables import Row, Rows, Table
from projections.views import PostgresReadView, SQLiteReadView

P = Participant

PARTICIPANTS = Table(
    "directory_participant",
    (("id", "TEXT"), ("programme_id", "TEXT"), ("role", "TEXT"), ("active", "BIGINT"), ("position", "BIGINT")),
    key=("id",),
    indexes=(("programme_id", "position"),),
)


class DirectoryModel(ReadModel):
    """Folds participant events into one row per participant (ids, role, active)."""

    name: ClassVar[str] = "directory"
    tables: ClassVar[tuple[Table, ...]] = (PARTICIPANTS,)

    def folds(self) -> Collection[type[Any]]:
        """The event classes this model folds (its handlers): the shared pass decodes no other for it."""
        return HANDLERS.keys()

    def apply(self, event: Any, position: int, rows: Rows) -> None:
        """Register, deactivate and erase participants."""
        handler = HANDLERS.get(type(event))
        if handler is not None:
            handler(event, position, rows)


def _registered(event: P.ParticipantRegistered, position: int, rows: Rows) -> None:
    rows.put(
        PARTICIPANTS,
        {"id": str(event.originator_id), "programme_id": str(event.programme_id), "role": event.role,
         "active": 1, "position": position},
    )  # fmt: skip


def _inactive(event: P.ParticipantDeactivated | P.ParticipantErased, position: int, rows: Rows) -> None:
    row = rows.require(PARTICIPANTS, str(event.originator_id))
    rows.put(PARTICIPANTS, {**row, "active": 0})


HANDLERS: dict[type[Any], Callable[[Any, int, Rows], None]] = {
    P.ParticipantRegistered: _registered,
    P.ParticipantDeactivated: _inactive,
    P.ParticipantErased: _inactive,
}


def of_programme(view: Any, programme_id: str, after: int, limit: int) -> list[Row]:
    """A page of a programme's participants in registration order, after a cursor position."""
    return list(
        view.query(
            f"SELECT id, role, active, position FROM {PARTICIPANTS.name}"
            " WHERE programme_id = ? AND position > ? ORDER BY position LIMIT ?",
            programme_id,
            after,
            limit,
        )
    )


class DirectorySQLiteView(SQLiteReadView):
    """The directory in the embedded store."""

    model = DirectoryModel()


class DirectoryPostgresView(PostgresReadView):
    """The directory in PostgreSQL."""

    model = DirectoryModel()


def find(view: Any, participant_id: str) -> Row | None:
    """One participant's row (programme, role, active): what scopes their timeline, never their name."""
    found = view.query(f"SELECT id, programme_id, role, active FROM {PARTICIPANTS.name} WHERE id = ?", participant_id)
    return dict(found[0]) if found else None
