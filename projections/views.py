"""The read models' stores: one SQLite and one PostgreSQL view class, each with its own tracking table.

A batch of events, the rows it changes and the tracking position are written in one transaction; events
at or below the recorded position are dropped in that same transaction, so re-delivery changes nothing.
The library's SQLite tracking recorder shares one `tracking` table between every read model of a file,
and its runner handles one event per transaction: these views keep the library's datastores, pools and
`TrackingRecorder` interface (so its `ProjectionRunner` can drive them too) and replace only that.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, ClassVar

from eventsourcing.persistence import Tracking
from eventsourcing.postgres import PostgresDatastore, PostgresTrackingRecorder
from eventsourcing.sqlite import SQLiteDatastore, SQLiteTrackingRecorder
from psycopg.sql import SQL, Identifier

from projections.read_model import ProjectionError, ReadModel
from projections.tables import Key, Row, Rows, Table

APPLICATION = "Mentorat"
ANALYZE_AFTER = 10_000  # events folded in one catch-up after which the planner's statistics are refreshed


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

    @contextmanager
    def snapshot(self) -> Iterator[Snapshot]:
        """Several reads that see one state of the read model (one transaction, one position)."""
        with self._transaction(commit=False, snapshot=True) as cursor:
            yield Snapshot(self, cursor)

    def analyze(self) -> None:
        """Refresh the planner's statistics of the read model's tables (after a large catch-up or a rebuild)."""
        return

    def create(self) -> None:
        """Create the tables and the tracking row if missing (the tracking table last, in one transaction)."""
        with self._transaction(commit=True) as cursor:
            if self._exists(cursor):
                if all(self._has_table(cursor, table.name) for table in self.model.tables):
                    return
                # An older layout of this read model: drop it, so it is rebuilt from the first event
                for name in (*self.model.retired, *(table.name for table in self.model.tables), self.tracking_table):
                    self._execute(cursor, f"DROP TABLE IF EXISTS {name}", ())
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
            for name in (*self.model.retired, *(table.name for table in self.model.tables), self.tracking_table):
                self._execute(cursor, f"DROP TABLE IF EXISTS {name}", ())

    def _exists(self, cursor: Any) -> bool:
        """Whether this read model's tables exist (its tracking table is created last)."""
        return self._has_table(cursor, self.tracking_table)

    @abstractmethod
    def _has_table(self, cursor: Any, name: str) -> bool:
        """Whether a table of this name exists."""

    @abstractmethod
    def _locked_position(self, cursor: Any) -> int:
        """The recorded position, read under the tracking row's lock."""

    @abstractmethod
    def _transaction(self, *, commit: bool, snapshot: bool = False) -> Any:
        """A transaction on the store's connection (committed on success when `commit`; one snapshot throughout)."""

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


def analyzed(views: Mapping[str, ReadView], before: Mapping[str, int], after: dict[str, int]) -> dict[str, int]:
    """ANALYZE each read model rebuilt (`before` has no position for it) or moved far; answer `after`."""
    for name, position in after.items():
        if name not in before or position - before[name] >= ANALYZE_AFTER:
            views[name].analyze()
    return after


class Snapshot:
    """Reads inside one transaction of a read model's store: one state, one position."""

    def __init__(self, view: ReadView, cursor: Any) -> None:
        self._view = view
        self._cursor = cursor

    def query(self, statement: str, *params: Any) -> list[Row]:
        """Rows of a read-only statement written with `?` placeholders."""
        self._view._execute(self._cursor, statement, params)
        return [dict(row) for row in self._cursor.fetchall()]

    def position(self) -> int:
        """The last position the state seen includes."""
        rows = self.query(
            f"SELECT notification_id FROM {self._view.tracking_table} WHERE application_name = ?", APPLICATION
        )
        return int(rows[0]["notification_id"]) if rows else 0


class SQLiteReadView(ReadView, SQLiteTrackingRecorder):
    """A read model in the embedded SQLite file, beside the events."""

    datastore: SQLiteDatastore

    @contextmanager
    def _transaction(self, *, commit: bool, snapshot: bool = False) -> Iterator[Any]:
        # The library begins every transaction explicitly: its reads see one state of the file (WAL)
        with self.datastore.transaction(commit=commit) as cursor:
            yield cursor

    def _has_table(self, cursor: Any, name: str) -> bool:
        cursor.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,))
        return cursor.fetchone() is not None

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
        kwargs["tracking_table_name"] = self.tracking_table
        super().__init__(datastore, **kwargs)

    @contextmanager
    def _transaction(self, *, commit: bool, snapshot: bool = False) -> Iterator[Any]:
        with self.datastore.transaction(commit=commit) as cursor:
            if snapshot:  # before any query: every statement of the transaction then sees its first one's snapshot
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            if not self._search_path_set(cursor):
                cursor.execute(SQL("SET LOCAL search_path TO {}").format(Identifier(self.datastore.schema)))
            yield cursor

    def query(self, statement: str, *params: Any) -> list[Row]:
        """One read-only statement in one round trip, on an autocommit connection when the schema is its path."""
        with self.datastore.get_connection() as conn:
            if not conn.autocommit or not self._search_path_set(conn):
                return super().query(statement, *params)
            return [dict(row) for row in conn.execute(statement.replace("?", "%s"), params, prepare=True)]

    def _search_path_set(self, conn_or_cursor: Any) -> bool:
        """Whether the connection opened with this schema as its search path (as the read side opens them)."""
        conn = getattr(conn_or_cursor, "connection", conn_or_cursor)
        return f"search_path={self.datastore.schema}" in (conn.info.options or "").split()

    def _has_table(self, cursor: Any, name: str) -> bool:
        # Looked up before any CREATE: even `CREATE INDEX IF NOT EXISTS` takes a SHARE lock, which can deadlock
        # with a running batch.
        self._execute(cursor, "SELECT to_regclass(?) IS NOT NULL AS found", (name,))
        return bool(cursor.fetchone()["found"])

    def analyze(self) -> None:
        """ANALYZE the read model's tables: counters and rows added in bulk otherwise plan as empty tables."""
        with self._transaction(commit=True) as cursor:
            for table in self.model.tables:
                self._execute(cursor, f"ANALYZE {table.name}", ())

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
