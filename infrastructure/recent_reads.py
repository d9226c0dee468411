"""When each reader last had a read of a subject recorded: so a repeated read within 10 minutes is not recorded again.

One row per (actor, action, subject), upserted inside the transaction that stores the access records, so the
check holds across API processes (two reads racing may both be recorded: over-recording is the safe side).
Rows older than the window are pruned as new ones arrive.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any

from application.access_records import RecordedReads
from infrastructure.times import micros

RECENT_READS = "mentorat_recent_reads"
RECENT_READS_COLUMNS = "reader_key TEXT PRIMARY KEY, recorded_at BIGINT NOT NULL"
UPSERT_READ = (
    "INSERT INTO {r} (reader_key, recorded_at) VALUES (?, ?) "
    "ON CONFLICT (reader_key) DO UPDATE SET recorded_at = excluded.recorded_at"
)
PRUNE_READS = "DELETE FROM {r} WHERE recorded_at < ?"


def recent_read_rows(kwargs: dict[str, Any]) -> tuple[list[tuple[str, int]], int]:
    """The (reader key, recorded at) rows a save of access records carries, and before when to forget rows."""
    reads = kwargs.get("recent_reads")
    if not isinstance(reads, RecordedReads):
        return [], 0
    return [(key, micros(reads.at)) for key in reads.keys], micros(reads.forget_before)


class RecentReadsLedger(ABC):
    """Looking up when reads were last recorded; each store supplies `_read`."""

    @abstractmethod
    def _read(self, statement: str, params: tuple[Any, ...]) -> list[Any]:
        """Run one query outside any write transaction; its rows."""

    def last_recorded(self, keys: Sequence[str]) -> dict[str, int]:
        """When each of these reads was last recorded (microseconds), for those recorded at all."""
        if not keys:
            return {}
        marks = ", ".join("?" for _ in keys)
        query = f"SELECT reader_key, recorded_at FROM {{r}} WHERE reader_key IN ({marks})"  # noqa: S608
        return {str(row["reader_key"]): int(row["recorded_at"]) for row in self._read(query, tuple(keys))}
