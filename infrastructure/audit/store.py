"""Transactions on the chain's store: a consistent snapshot to read, the events' write lock to write."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from eventsourcing.persistence import ApplicationRecorder
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteDatastore
from psycopg.rows import tuple_row
from psycopg.sql import SQL, Identifier

from infrastructure.audit.chain_sql import CHAIN, Cursor, Dialect


class AuditStore:
    """The events and chain tables of one application recorder, through its datastore's connections."""

    def __init__(self, datastore: SQLiteDatastore | PostgresDatastore, dialect: Dialect) -> None:
        self.datastore = datastore
        self.dialect = dialect

    @contextmanager
    def reading(self) -> Iterator[Cursor]:
        """One snapshot for every statement of the block (a long verification sees a fixed history)."""
        if isinstance(self.datastore, SQLiteDatastore):
            with self.datastore.transaction(commit=False) as cursor:
                yield cursor
            return
        with (
            self.datastore.get_connection() as pg,
            pg.transaction(force_rollback=True),
            pg.cursor(row_factory=tuple_row) as snapshot,
        ):
            snapshot.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            snapshot.execute("SET LOCAL idle_in_transaction_session_timeout = 0")
            yield snapshot

    def has_chain(self) -> bool:
        """Whether the chain's table exists (the application has started once on this store)."""
        with self.reading() as cursor:
            if isinstance(self.datastore, SQLiteDatastore):
                cursor.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (CHAIN,))
                return bool(cursor.fetchall())
            cursor.execute("SELECT to_regclass(%s)", (f'"{self.dialect.schema}".{CHAIN}',))
            return cursor.fetchall()[0][0] is not None

    @contextmanager
    def writing(self) -> Iterator[Cursor]:
        """A transaction that holds the events' write lock, as an insert does; committed on success."""
        if isinstance(self.datastore, SQLiteDatastore):
            with self.datastore.get_connection(commit=True) as conn:
                cursor = conn.cursor()
                cursor.execute("BEGIN IMMEDIATE")
                try:
                    yield cursor
                except BaseException:
                    conn.rollback()
                    raise
                conn.commit()
            return
        with self.datastore.get_connection() as pg, pg.transaction(), pg.cursor(row_factory=tuple_row) as locked:
            table = Identifier(self.dialect.schema or "public", self.dialect.events)
            locked.execute(SQL("LOCK TABLE {} IN EXCLUSIVE MODE").format(table))
            yield locked


def dialect_of(recorder: ApplicationRecorder) -> Dialect:
    """The chain's dialect for one of the library's application recorders."""
    if isinstance(recorder, PostgresApplicationRecorder):
        store = recorder.datastore
        return Dialect(recorder.events_table_name, store.schema or "public", store.originator_id_type == "uuid")
    assert isinstance(recorder, SQLiteApplicationRecorder)
    return Dialect(recorder.events_table_name)


def audit_store(recorder: ApplicationRecorder) -> AuditStore:
    """The audit store of an application recorder (the application's own, or one opened for the CLI)."""
    datastore: Any = recorder.datastore  # type: ignore[attr-defined]
    return AuditStore(datastore, dialect_of(recorder))
