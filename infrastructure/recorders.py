"""The application recorders: the hash chain of `infrastructure/audit/`, the idempotency records and the outbox.

Every inserted event is chained, a keyed command's idempotency record completed, and the command's outgoing
messages written, inside the insert's own transaction. Selected by the `APPLICATION_RECORDER_TOPIC` setting.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Sequence
from typing import Any

from eventsourcing.persistence import StoredEvent
from eventsourcing.postgres import PostgresDatastore
from eventsourcing.sqlite import SQLiteCursor
from psycopg import Cursor, sql
from psycopg.rows import DictRow

from application.idempotency import IdempotencyKeyInUse
from infrastructure.audit.chained_recorders import PostgresChainedRecorder, SQLiteChainedRecorder
from infrastructure.idempotency_ledger import COLUMNS, COMPLETE, HOLD, TABLE, IdempotencyLedger
from infrastructure.outbox_table import INSERT_MESSAGE, OUTBOX, OUTBOX_COLUMNS, OutboxLedger, outbox_rows
from infrastructure.recent_reads import (
    PRUNE_READS,
    RECENT_READS,
    RECENT_READS_COLUMNS,
    UPSERT_READ,
    RecentReadsLedger,
    recent_read_rows,
)

log = logging.getLogger("mentorat.outbox")


class SQLiteIdempotentRecorder(IdempotencyLedger, OutboxLedger, RecentReadsLedger, SQLiteChainedRecorder):
    """The embedded store's recorder with the chain, idempotency records and the outbox."""

    def construct_create_table_statements(self) -> list[str]:
        return [
            *super().construct_create_table_statements(),
            f"CREATE TABLE IF NOT EXISTS {TABLE} ({COLUMNS.format(blob='BLOB')})",
            f"CREATE INDEX IF NOT EXISTS {TABLE}_created ON {TABLE} (created_at)",
            f"CREATE TABLE IF NOT EXISTS {OUTBOX} ({OUTBOX_COLUMNS.format(blob='BLOB')})",
            f"CREATE INDEX IF NOT EXISTS {OUTBOX}_due ON {OUTBOX} (next_attempt_at)",
            f"CREATE TABLE IF NOT EXISTS {RECENT_READS} ({RECENT_READS_COLUMNS})",
            f"CREATE INDEX IF NOT EXISTS {RECENT_READS}_at ON {RECENT_READS} (recorded_at)",
        ]

    def _execute(self, statements: Sequence[tuple[str, tuple[Any, ...]]]) -> list[Any]:
        with self.datastore.transaction(commit=True) as c:
            c.execute("PRAGMA secure_delete=ON")  # a deleted outbox row's sealed code is overwritten on disk
            for text, params in statements:
                c.execute(text.format(t=TABLE, o=OUTBOX, r=RECENT_READS), params)
            rows: list[Any] = c.fetchall()
        return rows

    def _purge_deleted(self) -> None:
        # Deleted pages were overwritten; the write-ahead log still holds earlier copies until truncated
        # (a reader holding a snapshot keeps it busy: the next delivery tries again).
        with contextlib.suppress(Exception), self.datastore.get_connection(commit=True) as conn:
            conn.cursor().execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def _insert_events(
        self, c: SQLiteCursor, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        claim = self.pending(kwargs.get("answer"))
        if claim is not None:
            c.execute(HOLD.format(t=TABLE), (claim.record_id, claim.owner))
            if not c.fetchall():
                raise IdempotencyKeyInUse
        ids = super()._insert_events(c, stored_events, **kwargs)
        if claim is not None and ids:
            sealed = self.sealed_answer(claim, kwargs["answer"], ids)
            c.execute(COMPLETE.format(t=TABLE), (sealed, claim.record_id, claim.owner))
        messages, (reads, forget_before) = outbox_rows(kwargs), recent_read_rows(kwargs)
        if messages and ids:
            c.executemany(INSERT_MESSAGE.format(o=OUTBOX), messages)
        if reads and ids:
            c.execute(PRUNE_READS.format(r=RECENT_READS), (forget_before,))
            c.executemany(UPSERT_READ.format(r=RECENT_READS), reads)
        return ids


class PostgresIdempotentRecorder(IdempotencyLedger, OutboxLedger, RecentReadsLedger, PostgresChainedRecorder):
    """PostgreSQL's recorder with the chain, idempotency records and the outbox (in the store's schema)."""

    def __init__(self, datastore: PostgresDatastore, **kwargs: Any) -> None:
        super().__init__(datastore, **kwargs)
        outbox = OUTBOX_COLUMNS.format(blob="BYTEA")
        self.sql_create_statements += [
            sql.SQL(f"CREATE TABLE IF NOT EXISTS {{t}} ({COLUMNS.format(blob='BYTEA')})").format(t=self._table()),
            sql.SQL("CREATE INDEX IF NOT EXISTS {i} ON {t} (created_at)").format(
                i=sql.Identifier(f"{TABLE}_created"), t=self._table()
            ),
            sql.SQL(f"CREATE TABLE IF NOT EXISTS {{o}} ({outbox})").format(o=self._table(OUTBOX)),
            sql.SQL("CREATE INDEX IF NOT EXISTS {i} ON {o} (next_attempt_at)").format(
                i=sql.Identifier(f"{OUTBOX}_due"), o=self._table(OUTBOX)
            ),
            sql.SQL(f"CREATE TABLE IF NOT EXISTS {{r}} ({RECENT_READS_COLUMNS})").format(r=self._table(RECENT_READS)),
            sql.SQL("CREATE INDEX IF NOT EXISTS {i} ON {r} (recorded_at)").format(
                i=sql.Identifier(f"{RECENT_READS}_at"), r=self._table(RECENT_READS)
            ),
        ]

    def _table(self, name: str = TABLE) -> sql.Identifier:
        return sql.Identifier(self.datastore.schema or "public", name)

    def _query(self, text: str) -> sql.Composed:
        return sql.SQL(text.replace("?", "%s")).format(
            t=self._table(), o=self._table(OUTBOX), r=self._table(RECENT_READS)
        )

    def _purge_deleted(self) -> None:
        # VACUUM removes deleted rows from the table's pages (not from the WAL or a disk's free space).
        try:
            with self.datastore.get_connection() as conn:
                autocommit = conn.autocommit
                conn.autocommit = True
                try:
                    conn.execute(sql.SQL("VACUUM {o}").format(o=self._table(OUTBOX)))
                finally:
                    conn.autocommit = autocommit
        except Exception as error:  # the next delivery vacuums again
            log.warning("outbox vacuum failed (%s)", type(error).__name__)

    def _execute(self, statements: Sequence[tuple[str, tuple[Any, ...]]]) -> list[Any]:
        with self.datastore.transaction(commit=True) as curs:
            for text, params in statements:
                curs.execute(self._query(text), params)
            return curs.fetchall() if curs.description else []

    def _insert_events(self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent], **kwargs: Any) -> None:
        # Runs inside the events' transaction, before their insert: an exception here rolls it back.
        claim = self.pending(kwargs.get("answer"))
        if claim is not None:
            curs.execute(self._query(HOLD), (claim.record_id, claim.owner))
            if curs.fetchone() is None:
                raise IdempotencyKeyInUse
        super()._insert_events(curs, stored_events, **kwargs)

    def _complete_insert(self, curs: Cursor[DictRow], ids: Sequence[int], **kwargs: Any) -> None:
        claim = self.pending(kwargs.get("answer"))
        if claim is not None and ids:
            sealed = self.sealed_answer(claim, kwargs["answer"], ids)
            with curs.connection.cursor() as update:
                update.execute(self._query(COMPLETE), (sealed, claim.record_id, claim.owner))
        messages, (reads, forget_before) = outbox_rows(kwargs), recent_read_rows(kwargs)
        if messages and ids:
            with curs.connection.cursor() as insert:
                insert.executemany(self._query(INSERT_MESSAGE), messages)
        if reads and ids:
            with curs.connection.cursor() as upsert:
                upsert.execute(self._query(PRUNE_READS), (forget_before,))
                upsert.executemany(self._query(UPSERT_READ), reads)
