"""The names table: one row per participant, their name sealed under their own data key, upserted by version.

Written inside the insert's own transaction with the participant's events (`infrastructure/recorders.py`), or
once from the events of an older store (`application/access_index_build.py`), as the blind index of addresses is.
A page reads the names of its ids in one query and opens each with its person's key (`application/names.py`): no
aggregate is replayed. An erasure writes the row with no name in the same transaction as its event, then its key
is destroyed: a row whose key is gone reads `[erased]`.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from application.access_index import NameRow
from infrastructure.data_keys import KeyRing
from infrastructure.field_mapper import open_text, seal_text
from infrastructure.times import micros

NAMES = "mentorat_names"
NAME_COLUMNS = (
    "participant_id TEXT PRIMARY KEY, version BIGINT NOT NULL, programme_id TEXT NOT NULL, role TEXT NOT NULL, "
    "sealed_name {blob}"
)
UPSERT_NAME = (
    "INSERT INTO {n} AS known (participant_id, version, programme_id, role, sealed_name) VALUES (?, ?, ?, ?, ?) "
    "ON CONFLICT (participant_id) DO UPDATE SET version = excluded.version, programme_id = excluded.programme_id, "
    "role = excluded.role, sealed_name = excluded.sealed_name WHERE excluded.version > known.version"
)
SELECT_NAMES = "SELECT participant_id, version, programme_id, role, sealed_name FROM {n} WHERE programme_id = ? AND "
IS_BUILT = "SELECT built_at FROM {s} WHERE name = 'names'"
MARK_BUILT = "INSERT INTO {s} (name, built_at) VALUES ('names', ?) ON CONFLICT (name) DO NOTHING"


def name_place(person: UUID) -> bytes:
    """The associated data binding a sealed name to its row: it does not open in another person's row."""
    return f"mentorat/names/v1/{person}".encode()


def name_params(row: NameRow) -> tuple[Any, ...]:
    """An upsert's parameters."""
    return (str(row.participant_id), row.version, str(row.programme_id), row.role, row.sealed_name)


class KeyRingNames:
    """Names sealed and opened with the field mapper's sealing, under each person's own data key."""

    def __init__(self, keys: KeyRing) -> None:
        self.keys = keys

    def seal(self, person: UUID, name: str) -> bytes:
        return seal_text(self.keys, person, name, name_place(person))

    def open(self, person: UUID, sealed: bytes) -> str | None:
        return open_text(self.keys, person, bytes(sealed), name_place(person))


class NamesLedger(ABC):
    """Lookups of the names table; each store supplies `_execute`, `_read` and how a list of ids is matched."""

    IDS_MATCH = "participant_id IN (SELECT value FROM json_each(?))"

    @abstractmethod
    def _execute(self, statements: Sequence[tuple[str, tuple[Any, ...]]]) -> list[Any]:
        """Run statements in one write transaction; the rows of the last."""

    @abstractmethod
    def _read(self, statement: str, params: tuple[Any, ...]) -> list[Any]:
        """Run one query in a read transaction; its rows."""

    def _id_list(self, ids: list[str]) -> Any:
        return json.dumps(ids)

    def name_rows(self, programme_id: UUID, participant_ids: Sequence[UUID]) -> list[NameRow]:
        """The rows of these participants of this programme, in one query."""
        ids = sorted({str(pid) for pid in participant_ids})
        if not ids:
            return []
        found = self._read(SELECT_NAMES + self.IDS_MATCH, (str(programme_id), self._id_list(ids)))
        return [
            NameRow(
                UUID(r["participant_id"]),
                int(r["version"]),
                UUID(r["programme_id"]),
                str(r["role"]),
                None if r["sealed_name"] is None else bytes(r["sealed_name"]),
            )
            for r in found
        ]

    def names_built(self) -> bool:
        """Whether the table was built (from the events of an older store, or empty with a new one)."""
        return bool(self._read(IS_BUILT, ()))

    def mark_names_built(self, now: datetime) -> None:
        """Record that the table is built."""
        self._execute([(MARK_BUILT, (micros(now),))])


class PostgresNamesLedger(NamesLedger):
    """PostgreSQL matches a list of ids as an array."""

    IDS_MATCH = "participant_id = ANY(?)"

    def _id_list(self, ids: list[str]) -> Any:
        return ids
