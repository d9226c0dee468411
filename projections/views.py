"""The read models' stores: one SQLite and one PostgreSQL view class, each with its own tracking table.

A batch of events, the rows it changes and the tracking position are written in one transaction; events
at or below the recorded position are dropped in that same transaction, so re-delivery changes nothing.
The library's SQLite tracking recorder shares one `tracking` table between every read model of a file,
and its runner handles one event per transaction: these views keep the library's datastores, pools and
`TrackingRecorder` interface (so its `ProjectionRunner` can drive them too) and replace only that.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, ClassVar

from eventsourcing.persistence import Tracking
from eventsourcing.postgres import PostgresDatastore, PostgresTrackingRecorder
from eventsourcing.sqlite import SQLiteDatastore, SQLiteTrackingRecorder
from psycopg.sql import SQL, Identifier

from projections.read_model import ProjectionError, ReadModel
from projections.tables import Key, Row, Rows, Table

APPLICATION = "Mentorat"


class ReadView(ABC):
    """The operations the runner, the rebuild and the queries need from a read model's store."""

    model: ClassVar[ReadModel]

    @property
    def tracking_table(self) -> str:
        """This read model's own tracking table."""
        return f"{self.model.name}_tracking"

    def project(self, events: Sequence[tuple[int, Any]], through: int, after: int | None = None) -> int:
        """Fold the events after the recorded position and record `through`, in one transaction.

        `after` is the position the caller read from: if the recorded one differs (another projector moved
        it, or a rebuild reset it), nothing is written and the caller reads again from the answer.
        """
        with self._transaction(commit=True) as cursor:
            current = self._locked_position(cursor)
            if through <= current or (after is not None and after != current):
                return current
            fresh = [(position, event) for position, event in events if position > current]
            rows = Rows(lambda table, key: self._load(cursor, table, key))
            self.model.preload(fresh, rows, lambda table, keys: self._load_many(cursor, table, keys))
            for position, event in fresh:
                try:
                    self.model.apply(event, position, rows)
                except Exception as error:
                    raise ProjectionError(self.model.name, position, error) from error
            for table, upserts, deletes in rows.changes():
                if deletes:
                    self._executemany(cursor, table.delete_statement(), deletes)
                if upserts:
                    self._upsert(cursor, table, [table.values(row) for row in upserts])
            self._execute(
                cursor,
                f"UPDATE {self.tracking_table} SET notification_id = ? WHERE application_name = ?",
                (through, APPLICATION),
            )
            return through

    # The library's TrackingRecorder interface, so its factory and ProjectionRunner can use these views.
    def create_table(self) -> None:
        """Create the read model's tables (what the library's factory calls)."""
        self.create()

    def max_tracking_id(self, application_name: str) -> int | None:
        """The position, as the library's runner asks for it."""
        return self.position() or None

    def insert_tracking(self, tracking: Tracking) -> None:
        """Record a position with no rows (what the library does for events it skips)."""
        self.project([], tracking.notification_id)

    def position(self) -> int:
        """The last position this read model includes."""
        rows = self.query(f"SELECT notification_id FROM {self.tracking_table} WHERE application_name = ?", APPLICATION)
        return int(rows[0]["notification_id"]) if rows else 0

    def query(self, statement: str, *params: Any) -> list[Row]:
        """Rows of a read-only statement written with `?` placeholders."""
        with self._transaction(commit=False) as cursor:
            self._execute(cursor, statement, params)
            return [dict(row) for row in cursor.fetchall()]

    def create(self) -> None:
        """Create the tables and the tracking row if missing (the tracking table last, in one transaction)."""
        with self._transaction(commit=True) as cursor:
            if self._exists(cursor):
                return
            for table in self.model.tables:
                for statement in table.create_statements():
                    self._execute(cursor, statement, ())
            self._execute(
                cursor,
                f"CREATE TABLE IF NOT EXISTS {self.tracking_table} "
                "(application_name TEXT PRIMARY KEY, notification_id BIGINT NOT NULL)",
                (),
            )
            self._execute(
                cursor,
                f"INSERT INTO {self.tracking_table} VALUES (?, 0) ON CONFLICT (application_name) DO NOTHING",
                (APPLICATION,),
            )

    def drop(self) -> None:
        """Drop the tables and the tracking position (a rebuild starts from nothing)."""
        with self._transaction(commit=True) as cursor:
            for table in (*self.model.tables, Table(self.tracking_table, (), ())):
                self._execute(cursor, f"DROP TABLE IF EXISTS {table.name}", ())

    def _exists(self, cursor: Any) -> bool:
        """Whether this read model's tables exist (its tracking table is created last)."""
        return False

    @abstractmethod
    def _locked_position(self, cursor: Any) -> int:
        """The recorded position, read under the tracking row's lock."""

    @abstractmethod
    def _transaction(self, *, commit: bool) -> Any:
        """A transaction on the store's connection (committed on success when `commit`)."""

    @abstractmethod
    def _execute(self, cursor: Any, statement: str, params: Sequence[Any]) -> None:
        """Run one statement written with `?` placeholders."""

    @abstractmethod
    def _executemany(self, cursor: Any, statement: str, params: Sequence[Sequence[Any]]) -> None:
        """Run one statement for each set of parameters."""

    def _upsert(self, cursor: Any, table: Table, rows: Sequence[Sequence[Any]]) -> None:
        """Insert or replace rows (one statement per row, pipelined by the driver)."""
        self._executemany(cursor, table.upsert_statement(), rows)

    def _load(self, cursor: Any, table: Table, key: Key) -> Row | None:
        where = " AND ".join(f"{column} = ?" for column in table.key)
        self._execute(cursor, f"SELECT * FROM {table.name} WHERE {where}", key)
        found = cursor.fetchone()
        return table.decode(found) if found is not None else None

    def _load_many(self, cursor: Any, table: Table, keys: Sequence[Any]) -> list[Row]:
        """Rows whose first key column is one of `keys` (chunked to stay under parameter limits)."""
        found: list[Row] = []
        keys = list(dict.fromkeys(keys))
        for start in range(0, len(keys), 500):
            chunk = keys[start : start + 500]
            marks = ", ".join("?" for _ in chunk)
            self._execute(cursor, f"SELECT * FROM {table.name} WHERE {table.key[0]} IN ({marks})", chunk)
            found += [table.decode(row) for row in cursor.fetchall()]
        return found


class SQLiteReadView(ReadView, SQLiteTrackingRecorder):
    """A read model in the embedded SQLite file, beside the events."""

    datastore: SQLiteDatastore

    @contextmanager
    def _transaction(self, *, commit: bool) -> Iterator[Any]:
        with self.datastore.transaction(commit=commit) as cursor:
            yield cursor

    def _locked_position(self, cursor: Any) -> int:
        # Write first, so the transaction takes SQLite's write lock (waiting its busy timeout) before it reads:
        # a deferred transaction that reads first cannot upgrade once another connection has written.
        self._execute(
            cursor,
            f"UPDATE {self.tracking_table} SET notification_id = notification_id WHERE application_name = ?",
            (APPLICATION,),
        )
        self._execute(
            cursor, f"SELECT notification_id FROM {self.tracking_table} WHERE application_name = ?", (APPLICATION,)
        )
        found = cursor.fetchone()
        return int(found[0]) if found else 0

    def _execute(self, cursor: Any, statement: str, params: Sequence[Any]) -> None:
        cursor.execute(statement, tuple(params))

    def _executemany(self, cursor: Any, statement: str, params: Sequence[Sequence[Any]]) -> None:
        cursor.executemany(statement, params)


class PostgresReadView(ReadView, PostgresTrackingRecorder):
    """A read model in the configured PostgreSQL schema."""

    datastore: PostgresDatastore
    # From this many rows of one table in a batch, they are upserted in one statement over arrays; below, by
    # `executemany` (which psycopg pipelines). A COPY into a staging table was slower here (a temporary table
    # emptied at each commit costs more than it saves); `bench/onepass.py` measures arrays against executemany.
    bulk_from: ClassVar[int] = 200

    def __init__(self, datastore: PostgresDatastore, **kwargs: Any) -> None:
        kwargs["tracking_table_name"] = f"{self.model.name}_tracking"
        super().__init__(datastore, **kwargs)

    @contextmanager
    def _transaction(self, *, commit: bool) -> Iterator[Any]:
        with self.datastore.transaction(commit=commit) as cursor:
            cursor.execute(SQL("SET LOCAL search_path TO {}").format(Identifier(self.datastore.schema)))
            yield cursor

    def _exists(self, cursor: Any) -> bool:
        # Even `CREATE INDEX IF NOT EXISTS` takes a SHARE lock, which can deadlock with a running batch.
        self._execute(cursor, "SELECT to_regclass(?) IS NOT NULL AS found", (self.tracking_table,))
        return bool(cursor.fetchone()["found"])

    def _locked_position(self, cursor: Any) -> int:
        self._execute(
            cursor,
            f"SELECT notification_id FROM {self.tracking_table} WHERE application_name = ? FOR UPDATE",
            (APPLICATION,),
        )
        found = cursor.fetchone()
        return int(found["notification_id"]) if found else 0

    def _execute(self, cursor: Any, statement: str, params: Sequence[Any]) -> None:
        cursor.execute(statement.replace("?", "%s"), tuple(params), prepare=True)

    def _upsert(self, cursor: Any, table: Table, rows: Sequence[Sequence[Any]]) -> None:
        """Many rows: one statement over one array per column (`unnest`), rather than a statement per row."""
        if len(rows) < self.bulk_from:
            super()._upsert(cursor, table, rows)
            return
        columns = [list(column) for column in zip(*rows, strict=True)]
        cursor.execute(table.upsert_unnest_statement().replace("?", "%s"), columns)

    def _executemany(self, cursor: Any, statement: str, params: Sequence[Sequence[Any]]) -> None:
        cursor.executemany(statement.replace("?", "%s"), params)
