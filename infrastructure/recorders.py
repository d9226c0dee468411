"""The application recorders: the hash chain of `infrastructure/audit/`, and the tables that commit with the events.

Every inserted event is chained, and inside the insert's own transaction a keyed command's idempotency record is
completed, its outgoing messages written, its access index rows upserted and its recorded reads noted. Selected by
the `APPLICATION_RECORDER_TOPIC` setting.
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

from application.access_index import IndexRows
from application.idempotency import IdempotencyKeyInUse
from infrastructure.access_index_tables import (
    CREDENTIAL_COLUMNS,
    CREDENTIALS,
    INDEX_STATE,
    PEOPLE,
    PEOPLE_COLUMNS,
    SCOPE_COLUMNS,
    SCOPES,
    STATE_COLUMNS,
    AccessIndexLedger,
    index_statements,
    upserts,
)
from infrastructure.address_index_table import ADDRESS_COLUMNS, ADDRESS_INDEX, ADDRESSES, AddressIndexLedger
from infrastructure.audit.chained_recorders import PostgresChainedRecorder, SQLiteChainedRecorder
from infrastructure.idempotency_ledger import COLUMNS, COMPLETE, HOLD, TABLE, IdempotencyLedger
from infrastructure.names_table import NAME_COLUMNS, NAMES, NamesLedger, PostgresNamesLedger
from infrastructure.outbox_table import INSERT_MESSAGE, OUTBOX, OUTBOX_COLUMNS, OutboxLedger, outbox_rows
from infrastructure.recent_reads import (
    PRUNE_READS,
    RECENT_READS,
    RECENT_READS_COLUMNS,
    UPSERT_READ,
    RecentReadsLedger,
    recent_read_rows,
)
from infrastructure.web_sessions import WEB_SESSION_COLUMNS, WEB_SESSIONS, WebSessionLedger

log = logging.getLogger("mentorat.outbox")
# The placeholder each table has in the statements of infrastructure/: one name each, rendered per store.
TABLES = {
    "t": TABLE, "o": OUTBOX, "r": RECENT_READS, "c": CREDENTIALS, "p": PEOPLE, "m": SCOPES, "s": INDEX_STATE,
    "w": WEB_SESSIONS, "a": ADDRESSES, "n": NAMES,
}  # fmt: skip
# (table, columns with a {blob} type, index name and column)
SIDE_TABLES = [
    (TABLE, COLUMNS, (f"{TABLE}_created", "created_at")),
    (OUTBOX, OUTBOX_COLUMNS, (f"{OUTBOX}_due", "next_attempt_at")),
    (RECENT_READS, RECENT_READS_COLUMNS, (f"{RECENT_READS}_at", "recorded_at")),
    (CREDENTIALS, CREDENTIAL_COLUMNS, None),
    (PEOPLE, PEOPLE_COLUMNS, None),
    (SCOPES, SCOPE_COLUMNS, None),
    (INDEX_STATE, STATE_COLUMNS, None),
    (WEB_SESSIONS, WEB_SESSION_COLUMNS, (f"{WEB_SESSIONS}_expiry", "expires_at")),
    (ADDRESSES, ADDRESS_COLUMNS, ADDRESS_INDEX),
    (NAMES, NAME_COLUMNS, (f"{NAMES}_programme", "programme_id")),
]


def side_rows(kwargs: dict[str, Any]) -> list[tuple[str, list[tuple[Any, ...]]]]:
    """What commits with a save's events beside the chain: messages, index rows, recorded reads."""
    statements = index_statements(kwargs)
    messages, (reads, forget_before) = outbox_rows(kwargs), recent_read_rows(kwargs)
    if messages:
        statements.append((INSERT_MESSAGE, messages))
    if reads:
        statements += [(PRUNE_READS, [(forget_before,)]), (UPSERT_READ, reads)]
    return statements


class SQLiteIdempotentRecorder(
    IdempotencyLedger,
    OutboxLedger,
    RecentReadsLedger,
    AccessIndexLedger,
    AddressIndexLedger,
    NamesLedger,
    WebSessionLedger,
    SQLiteChainedRecorder,
):
    """The embedded store's recorder with the chain and every table that commits with the events."""

    def construct_create_table_statements(self) -> list[str]:
        statements = super().construct_create_table_statements()
        for table, columns, index in SIDE_TABLES:
            statements.append(f"CREATE TABLE IF NOT EXISTS {table} ({columns.format(blob='BLOB')})")
            if index is not None:
                statements.append(f"CREATE INDEX IF NOT EXISTS {index[0]} ON {table} ({index[1]})")
        return statements

    def _execute(self, statements: Sequence[tuple[str, tuple[Any, ...]]]) -> list[Any]:
        with self.datastore.transaction(commit=True) as c:
            c.execute("PRAGMA secure_delete=ON")  # a deleted outbox row's sealed code is overwritten on disk
            for text, params in statements:
                c.execute(text.format(**TABLES), params)
            rows: list[Any] = c.fetchall()
        return rows

    def _read(self, statement: str, params: tuple[Any, ...]) -> list[Any]:
        with self.datastore.transaction(commit=False) as c:
            c.execute(statement.format(**TABLES), params)
            rows: list[Any] = c.fetchall()
        return rows

    def write_index(self, rows: IndexRows) -> None:
        with self.datastore.transaction(commit=True) as c:
            for text, params in upserts(rows):
                c.executemany(text.format(**TABLES), params)

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
        if ids:
            for text, params in side_rows(kwargs):
                c.executemany(text.format(**TABLES), params)
        return ids


class PostgresIdempotentRecorder(
    IdempotencyLedger,
    OutboxLedger,
    RecentReadsLedger,
    AccessIndexLedger,
    AddressIndexLedger,
    PostgresNamesLedger,
    WebSessionLedger,
    PostgresChainedRecorder,
):
    """PostgreSQL's recorder with the chain and every table that commits with the events (in the store's schema)."""

    def __init__(self, datastore: PostgresDatastore, **kwargs: Any) -> None:
        super().__init__(datastore, **kwargs)
        self._composed: dict[str, bytes] = {}
        for table, columns, index in SIDE_TABLES:
            create = sql.SQL(f"CREATE TABLE IF NOT EXISTS {{n}} ({columns.format(blob='BYTEA')})")
            self.sql_create_statements.append(create.format(n=self._table(table)))
            if index is not None:
                self.sql_create_statements.append(
                    sql.SQL("CREATE INDEX IF NOT EXISTS {i} ON {n} ({c})").format(
                        i=sql.Identifier(index[0]), n=self._table(table), c=sql.Identifier(index[1])
                    )
                )

    def _table(self, name: str = TABLE) -> sql.Identifier:
        return sql.Identifier(self.datastore.schema or "public", name)

    def _query(self, text: str) -> bytes:
        """The statement in this store's schema, composed once per text (composing costs more than the lookup)."""
        try:
            return self._composed[text]
        except KeyError:
            tables = {key: self._table(name) for key, name in TABLES.items()}
            composed = sql.SQL(text.replace("?", "%s")).format(**tables).as_bytes()
            self._composed[text] = composed
            return composed

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

    def _read(self, statement: str, params: tuple[Any, ...]) -> list[Any]:
        # One statement on an autocommit connection: one round trip (a transaction would add BEGIN and ROLLBACK)
        with self.datastore.get_connection() as conn:
            return conn.execute(self._query(statement), params).fetchall()

    def write_index(self, rows: IndexRows) -> None:
        with self.datastore.transaction(commit=True) as curs:
            for text, params in upserts(rows):
                curs.executemany(self._query(text), params)

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
        if ids:
            with curs.connection.cursor() as side:
                for text, params in side_rows(kwargs):
                    side.executemany(self._query(text), params)
