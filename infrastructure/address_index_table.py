"""The blind index of addresses: one row per participant, the keyed hash of their address, upserted by version.

Written inside the insert's own transaction with the participant's events (`infrastructure/recorders.py`), or
once from the events of an older store (`application/access_index_build.py`). Every save of a participant rewrites
their row from their address as it then is, so a change of address (no command changes one yet) would re-key it in
its own transaction. An erasure writes the row with no key in the same transaction as its event: from then on no
row finds the person (`mentorat participant erase`).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from application.access_index import AddressRow
from infrastructure.times import micros

ADDRESSES = "mentorat_addresses"
ADDRESS_COLUMNS = "participant_id TEXT PRIMARY KEY, version BIGINT NOT NULL, address_key TEXT"
ADDRESS_INDEX = (f"{ADDRESSES}_key", "address_key")
UPSERT_ADDRESS = (
    "INSERT INTO {a} AS known (participant_id, version, address_key) VALUES (?, ?, ?) "
    "ON CONFLICT (participant_id) DO UPDATE SET version = excluded.version, address_key = excluded.address_key "
    "WHERE excluded.version > known.version"
)
# The people table says who is active: a deactivated participant is found by nobody's request
FIND_HOLDERS = (
    "SELECT a.participant_id FROM {a} a JOIN {p} p ON p.participant_id = a.participant_id "
    "WHERE a.address_key = ? AND p.active ORDER BY a.participant_id"
)
FIND_ADDRESS = "SELECT participant_id, version, address_key FROM {a} WHERE participant_id = ?"
IS_BUILT = "SELECT built_at FROM {s} WHERE name = 'address index'"
MARK_BUILT = "INSERT INTO {s} (name, built_at) VALUES ('address index', ?) ON CONFLICT (name) DO NOTHING"


def address_params(row: AddressRow) -> tuple[Any, ...]:
    """An upsert's parameters."""
    return (str(row.participant_id), row.version, row.address_key)


class AddressIndexLedger(ABC):
    """Lookups of the blind index; each store supplies `_execute` and `_read`."""

    @abstractmethod
    def _execute(self, statements: Sequence[tuple[str, tuple[Any, ...]]]) -> list[Any]:
        """Run statements in one write transaction; the rows of the last."""

    @abstractmethod
    def _read(self, statement: str, params: tuple[Any, ...]) -> list[Any]:
        """Run one query in a read transaction; its rows."""

    def holders_of(self, address_key: str) -> list[UUID]:
        """The active participants whose address has this key."""
        return [UUID(r["participant_id"]) for r in self._read(FIND_HOLDERS, (address_key,))]

    def address_row(self, participant_id: UUID) -> AddressRow | None:
        """A participant's row, if any."""
        found = self._read(FIND_ADDRESS, (str(participant_id),))
        if not found:
            return None
        r = found[0]
        return AddressRow(UUID(r["participant_id"]), int(r["version"]), r["address_key"])

    def address_index_built(self) -> bool:
        """Whether the index was built (from the events of an older store, or empty with a new one)."""
        return bool(self._read(IS_BUILT, ()))

    def mark_address_index_built(self, now: datetime) -> None:
        """Record that the index is built."""
        self._execute([(MARK_BUILT, (micros(now),))])
