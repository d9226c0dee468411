"""The tamperer: direct SQL on the store under test, as someone with write access to the database would do it.

Also a small history written through the application (programmes, people, one mentorship with a marker
in every content field) and the ways to read what `verify` named.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from uuid import UUID

import psycopg

from application.service import MentoratService
from bootstrap.settings import Settings
from tests.conftest import postgres_url
from tests.support import FakeClock, invited

COLUMNS = ("originator_id", "originator_version", "topic", "state", "position")


@dataclass(frozen=True)
class Row:
    """A stored event as the tamperer reads it."""

    position: int
    originator_id: Any  # str on SQLite, UUID on PostgreSQL
    version: int
    topic: str
    state: bytes

    @property
    def aggregate_id(self) -> str:
        """The aggregate id as the API writes it."""
        return str(self.originator_id if isinstance(self.originator_id, UUID) else UUID(hex=self.originator_id))


class Raw:
    """SQL straight on the events and chain tables of the store under test."""

    def __init__(self, settings: Settings) -> None:
        self.postgres = settings.uses_postgres
        if self.postgres:
            schema = settings.database_schema
            self.pg = psycopg.connect(postgres_url(), autocommit=True)
            self.events, self.chain = f'"{schema}".mentorat_events', f'"{schema}".mentorat_chain'
            self.pos = "notification_id"
        else:
            self.lite = sqlite3.connect(settings.data_dir / "mentorat.sqlite3", isolation_level=None)
            self.events, self.chain, self.pos = "stored_events", "mentorat_chain", "rowid"

    def run(self, statement: str, params: Sequence[Any] = ()) -> list[Any]:
        """Execute one statement (written with `?`) and answer its rows."""
        if self.postgres:
            cursor = self.pg.execute(statement.replace("?", "%s"), params)
            return cursor.fetchall() if cursor.description else []
        return self.lite.execute(statement, params).fetchall()

    def rows(self) -> list[Row]:
        """Every stored event in position order."""
        columns = f"{self.pos}, originator_id, originator_version, topic, state"
        query = f"SELECT {columns} FROM {self.events} ORDER BY {self.pos}"
        return [Row(p, o, v, t, bytes(s)) for p, o, v, t, s in self.run(query)]

    def set(self, position: int, column: str, value: Any) -> None:
        """Overwrite one column of the event at a position."""
        name = self.pos if column == "position" else column
        self.run(f"UPDATE {self.events} SET {name} = ? WHERE {self.pos} = ?", (value, position))

    def delete_events(self, *positions: int) -> None:
        """Remove events."""
        for position in positions:
            self.run(f"DELETE FROM {self.events} WHERE {self.pos} = ?", (position,))

    def delete_links(self, *, at: Sequence[int] = (), from_position: int | None = None) -> None:
        """Remove chain entries at positions, or from a position on."""
        for position in at:
            self.run(f"DELETE FROM {self.chain} WHERE position = ?", (position,))
        if from_position is not None:
            self.run(f"DELETE FROM {self.chain} WHERE position >= ?", (from_position,))

    def burn_position(self) -> None:
        """On PostgreSQL, take a notification id no event will have (what a rolled-back insert does)."""
        if self.postgres:
            self.run(f"SELECT nextval(pg_get_serial_sequence('{self.events}', 'notification_id'))")

    def close(self) -> None:
        """Release the connection."""
        (self.pg if self.postgres else self.lite).close()


def flipped(value: Any, index: int, mask: int) -> Any:
    """The value with one byte XORed with `mask` (text keeps to ASCII; integers as 8 signed big-endian bytes)."""
    if isinstance(value, UUID):
        raw = bytearray(value.bytes)
        raw[index % 16] ^= mask
        return UUID(bytes=bytes(raw))
    if isinstance(value, int):
        raw = bytearray(value.to_bytes(8, "big", signed=True))
        raw[index % 8] ^= mask
        return int.from_bytes(raw, "big", signed=True)
    if isinstance(value, str):
        raw = bytearray(value.encode())
        raw[index % len(raw)] ^= mask & 0x7F or 1
        return raw.decode()
    raw = bytearray(value)
    raw[index % len(raw)] ^= mask
    return bytes(raw)


@dataclass(frozen=True)
class History:
    """What `write_history` wrote."""

    mentorship_id: UUID
    marker: str


def write_history(service: MentoratService, clock: FakeClock, marker: str = "marker") -> History:
    """Two programmes, a few people, and a mentorship with `marker` in every content field it has."""
    people, m = service.participants, service.mentorships
    service.participants.create_programme("Other programme", "Other coordinator", None)
    created = people.create_programme("Programme", "Coordinator", None)
    coordinator = people.authenticate(created["coordinator_token"])
    pid = coordinator.programme_id
    mentor, mentee = (
        people.authenticate(
            people.redeem(
                invited(
                    service,
                    coordinator,
                    people.register(coordinator, pid, role, role.title(), f"{role}@example.org", "fr").aggregate_id,
                )
            ).data["token"]
        )
        for role in ("mentor", "mentee")
    )
    mid = m.draft(coordinator, pid, mentor.id, mentee.id, date(2026, 1, 1), None).aggregate_id
    objective = UUID(m.add_objective(mentee, mid, f"{marker} objective").data["objective_id"])
    m.sign(mentor, mid)
    m.sign(mentee, mid)
    meeting = UUID(m.schedule_meeting(mentee, mid, clock.now + timedelta(days=1)).data["meeting_id"])
    m.submit_agenda(mentee, mid, meeting, f"{marker} agenda")
    clock.advance(days=2)
    held = m.hold_meeting(mentor, mid, meeting, None, 75, f"{marker} notes", clock.now + timedelta(days=7))
    m.cancel_meeting(mentee, mid, UUID(held.data["next_meeting_id"]), True, f"{marker} cancellation")
    m.assess_objective(mentor, mid, objective, "in_progress")
    m.report_satisfaction(mentee, mid, 4, f"{marker} comment")
    dispute = UUID(m.raise_dispute(mentee, mid, f"{marker} summary").data["dispute_id"])
    m.consult_coordinator(coordinator, mid, "dispute", dispute, "not_reconciled", f"{marker} consultation")
    m.consult_coordinator(coordinator, mid, "early_end", None, "ending_agreed", f"{marker} early end")
    m.end(mentor, mid, "other", f"{marker} end")
    return History(mid, marker)
