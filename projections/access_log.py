"""The access log read model (MISSION section 5): who read or opened access to what, and when, per programme.

One row per access, in store order: journal and personal-data reads (`AccessRecorded`), and the invitations,
redemptions, sign-in codes and deactivations of participants (the subject is the participant). Ids, roles,
actions and times only: never what was read, never a name, an e-mail or a code.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from typing import Any, ClassVar

from domain.access_record import AccessAction, AccessRecord
from domain.participant import Participant
from projections.dates import utc_text
from projections.read_model import ReadModel
from projections.tables import Row, Rows, Table
from projections.views import PostgresReadView, SQLiteReadView

P = Participant
PARTICIPANT_ACTIONS: dict[type[Any], str] = {
    P.InvitationIssued: AccessAction.INVITATION_ISSUED,
    P.InvitationRedeemed: AccessAction.INVITATION_REDEEMED,
    P.ParticipantDeactivated: AccessAction.PARTICIPANT_DEACTIVATED,
    P.SignInCodeIssued: AccessAction.SIGN_IN_CODE_ISSUED,
    P.SignInCodeRedeemed: AccessAction.SIGN_IN_CODE_REDEEMED,
}
PARTICIPANT_EVENTS = tuple(PARTICIPANT_ACTIONS)

# Which programme a participant belongs to: participant events do not carry it.
PROGRAMME_OF = Table("access_participant", (("id", "TEXT"), ("programme_id", "TEXT")), key=("id",))
ENTRIES = Table(
    "access_entry",
    (
        ("position", "BIGINT"), ("programme_id", "TEXT"), ("action", "TEXT"), ("actor_id", "TEXT"),
        ("actor_role", "TEXT"), ("subject_id", "TEXT"), ("at", "TEXT"),
    ),
    key=("position",),
    indexes=(("programme_id", "position"),),
)  # fmt: skip


class AccessLogModel(ReadModel):
    """Folds access records and participants' credential events into one entry per access."""

    name: ClassVar[str] = "access"
    tables: ClassVar[tuple[Table, ...]] = (PROGRAMME_OF, ENTRIES)

    def preload(self, events: Sequence[tuple[int, Any]], rows: Rows, load_many: Any) -> None:
        """Fetch the programmes of the batch's participants in one query."""
        ids = [str(event.originator_id) for _, event in events if isinstance(event, PARTICIPANT_EVENTS)]
        rows.preload(PROGRAMME_OF, load_many(PROGRAMME_OF, ids), [(i,) for i in ids])

    def folds(self) -> Collection[type[Any]]:
        """The event classes this model folds (its handlers): the shared pass decodes no other for it."""
        return HANDLERS.keys()

    def apply(self, event: Any, position: int, rows: Rows) -> None:
        """Remember each participant's programme; add an entry per access."""
        handler = HANDLERS.get(type(event))
        if handler is not None:
            handler(event, position, rows)


def _registered(event: P.ParticipantRegistered, position: int, rows: Rows) -> None:
    rows.put(PROGRAMME_OF, {"id": str(event.originator_id), "programme_id": str(event.programme_id)})


def _credential_changed(event: Any, position: int, rows: Rows) -> None:
    """An invitation issued or redeemed, or a deactivation: an access of the participant's own."""
    programme_id = rows.require(PROGRAMME_OF, str(event.originator_id))["programme_id"]
    rows.put(ENTRIES, _entry(event, position, programme_id, PARTICIPANT_ACTIONS[type(event)], event.originator_id))


def _read(event: AccessRecord.AccessRecorded, position: int, rows: Rows) -> None:
    rows.put(ENTRIES, _entry(event, position, str(event.programme_id), event.action, event.subject_id))


HANDLERS: dict[type[Any], Callable[[Any, int, Rows], None]] = {
    P.ParticipantRegistered: _registered,
    **dict.fromkeys(PARTICIPANT_ACTIONS, _credential_changed),
    AccessRecord.AccessRecorded: _read,
}


def _entry(event: Any, position: int, programme_id: str, action: str, subject_id: Any) -> Row:
    return {
        "position": position,
        "programme_id": programme_id,
        "action": str(action),
        "actor_id": None if event.actor_id is None else str(event.actor_id),
        "actor_role": event.actor_role,
        "subject_id": str(subject_id),
        "at": utc_text(event.occurred_at),
    }


def of_programme(view: Any, programme_id: str, after: int, limit: int) -> list[Row]:
    """A page of a programme's access log, oldest first, after a cursor position."""
    return list(
        view.query(
            "SELECT position, action, actor_id, actor_role, subject_id, at"
            f" FROM {ENTRIES.name} WHERE programme_id = ? AND position > ? ORDER BY position LIMIT ?",
            programme_id,
            after,
            limit,
        )
    )


class AccessLogSQLiteView(SQLiteReadView):
    """The access log in the embedded store."""

    model = AccessLogModel()


class AccessLogPostgresView(PostgresReadView):
    """The access log in PostgreSQL."""

    model = AccessLogModel()
