"""The outcomes kept beside the chain: each verification's (`mentorat_verifications`), each checkpoint's.

A verification's row holds when it ran, whether the history was intact, how many events it verified, the head it
reached and the first event it named (kind, position, aggregate id, version): never anything stored in an event.
The checkpoints' rows are the ones `write_checkpoint` records (`mentorat_checkpoints`, which also times the
periodic writer). The recorders read both for the application (`application/history_state.py`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from application.history_state import Checkpoint, Verification
from infrastructure.audit.chain import display_id
from infrastructure.audit.chain_sql import LAST_CHECKPOINT_WRITTEN, LAST_VERIFICATION, RECORD_VERIFICATION
from infrastructure.audit.findings import Report
from infrastructure.audit.store import AuditStore, audit_store
from infrastructure.times import from_micros, micros


def record_verification(store: AuditStore, report: Report, at: datetime) -> None:
    """Keep one verification's outcome (its table is created first on a store started before it existed)."""
    bad = report.failure
    row = (
        micros(at),
        int(report.intact),
        report.events,
        None if report.head is None else report.head.position,
        int(report.checkpoints is not None),
        None if bad is None else bad.kind,
        None if bad is None else bad.position,
        None if bad is None or bad.aggregate_id is None else display_id(bad.aggregate_id),
        None if bad is None else bad.version,
    )
    with store.writing() as cursor:
        cursor.execute(store.dialect.verifications_statement(), ())
        cursor.execute(store.dialect.q(RECORD_VERIFICATION), row)


def last_verification(store: AuditStore) -> Verification | None:
    """The last verification recorded."""
    rows = _read(store, LAST_VERIFICATION)
    if not rows:
        return None
    at, intact, events, head, against, kind, position, aggregate_id, version = rows[0]
    return Verification(
        from_micros(int(at)),
        bool(intact),
        int(events),
        None if head is None else int(head),
        bool(against),
        kind,
        None if position is None else int(position),
        aggregate_id,
        None if version is None else int(version),
    )


def last_checkpoint(store: AuditStore) -> Checkpoint | None:
    """The last checkpoint recorded."""
    rows = _read(store, LAST_CHECKPOINT_WRITTEN)
    if not rows:
        return None
    at, head, events = rows[0]
    return Checkpoint(from_micros(int(at)), int(head), int(events))


def _read(store: AuditStore, query: str) -> list[Any]:
    with store.reading() as cursor:
        cursor.execute(store.dialect.q(query), ())
        rows: list[Any] = cursor.fetchall()
    return rows


class HistoryStateReads:
    """A chained recorder's side: the application's `HistoryRecords` (the last verification and checkpoint)."""

    def last_verification(self) -> Verification | None:
        """The last verification recorded in this recorder's store."""
        return last_verification(audit_store(self))  # type: ignore[arg-type]

    def last_checkpoint(self) -> Checkpoint | None:
        """The last checkpoint recorded in this recorder's store."""
        return last_checkpoint(audit_store(self))  # type: ignore[arg-type]
