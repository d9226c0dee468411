"""The application recorders: the hash chain of `infrastructure/audit/` and the idempotency records.

Every inserted event is chained, and a keyed command's idempotency record completed, inside the
insert's own transaction. Selected by the `APPLICATION_RECORDER_TOPIC` setting.
"""

from __future__ import annotations

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


class SQLiteIdempotentRecorder(IdempotencyLedger, SQLiteChainedRecorder):
    """The embedded store's recorder with the chain and idempotency records."""

    def construct_create_table_statements(self) -> list[str]:
        return [
            *super().construct_create_table_statements(),
            f"CREATE TABLE IF NOT EXISTS {TABLE} ({COLUMNS.format(blob='BLOB')})",
            f"CREATE INDEX IF NOT EXISTS {TABLE}_created ON {TABLE} (created_at)",
        ]

    def _execute(self, statements: Sequence[tuple[str, tuple[Any, ...]]]) -> list[Any]:
        with self.datastore.transaction(commit=True) as c:
            for text, params in statements:
                c.execute(text.format(t=TABLE), params)
            rows: list[Any] = c.fetchall()
        return rows

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
        return ids


class PostgresIdempotentRecorder(IdempotencyLedger, PostgresChainedRecorder):
    """PostgreSQL's recorder with the chain and idempotency records (in the store's schema)."""

    def __init__(self, datastore: PostgresDatastore, **kwargs: Any) -> None:
        super().__init__(datastore, **kwargs)
        self.sql_create_statements += [
            sql.SQL(f"CREATE TABLE IF NOT EXISTS {{t}} ({COLUMNS.format(blob='BYTEA')})").format(t=self._table()),
            sql.SQL("CREATE INDEX IF NOT EXISTS {i} ON {t} (created_at)").format(
                i=sql.Identifier(f"{TABLE}_created"), t=self._table()
            ),
        ]

    def _table(self) -> sql.Identifier:
        return sql.Identifier(self.datastore.schema or "public", TABLE)

    def _query(self, text: str) -> sql.Composed:
        return sql.SQL(text.replace("?", "%s")).format(t=self._table())

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
