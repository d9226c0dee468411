"""The key tables: wrapped data keys in a SQLite file of their own, or in a PostgreSQL schema of their own.

Destroying a key deletes its row and leaves a tombstone (the person's id, no key), so no new key is ever
created for an erased person. SQLite overwrites the deleted bytes (`secure_delete`) and empties its
write-ahead log (`wal_checkpoint(TRUNCATE)`); PostgreSQL vacuums the table, which holds against dumps,
not against forensics of the disk (VACUUM zeroes neither the freed space nor the WAL).
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path
from typing import Any
from uuid import UUID

from psycopg import sql
from psycopg_pool import ConnectionPool

from infrastructure.data_keys import KeyStoreError, StoredKey
from infrastructure.private_files import private_file

TABLE = "data_keys"  # named in full in the SQLite statements
COLUMNS = "person_id {id} PRIMARY KEY, wrapped {blob}, master_id TEXT"


class SQLiteKeyTable:
    """Wrapped keys in a SQLite file (owner-only), one connection shared by the process's threads."""

    def __init__(self, path: Path, busy_seconds: float = 10.0) -> None:
        private_file(path)  # owner-only; its WAL inherits the mode
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(path, timeout=busy_seconds, isolation_level=None, check_same_thread=False)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA secure_delete=ON")
        self._conn.execute(f"CREATE TABLE IF NOT EXISTS {TABLE} ({COLUMNS.format(id='TEXT', blob='BLOB')})")

    def find(self, person: UUID) -> StoredKey | None:
        with self._lock:
            row = self._conn.execute("SELECT wrapped, master_id FROM data_keys WHERE person_id = ?", (str(person),))
            found = row.fetchone()
        return None if found is None else StoredKey(found[0], found[1])

    def add(self, person: UUID, wrapped: bytes, master_id: str) -> None:
        with self._lock:
            self._conn.execute(
                "INSERT INTO data_keys (person_id, wrapped, master_id) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                (str(person), wrapped, master_id),
            )

    def any_master_id(self) -> str | None:
        with self._lock:
            found = self._conn.execute("SELECT master_id FROM data_keys WHERE wrapped IS NOT NULL LIMIT 1").fetchone()
        return None if found is None else str(found[0])

    def shred(self, person: UUID) -> None:
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                self._conn.execute("DELETE FROM data_keys WHERE person_id = ?", (str(person),))
                self._conn.execute("INSERT INTO data_keys (person_id) VALUES (?)", (str(person),))
                self._conn.execute("COMMIT")
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            busy, _, _ = self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        if busy:
            raise KeyStoreError("the key file is busy: its log still holds the key; erase again")

    def close(self) -> None:
        with self._lock:
            self._conn.close()


class PostgresKeyTable:
    """Wrapped keys in a PostgreSQL schema of their own (grant and back it up apart from the events)."""

    def __init__(self, connect_args: dict[str, Any], schema: str, timeout: float = 30.0) -> None:
        self._table = sql.Identifier(schema, TABLE)
        self._pool = ConnectionPool(
            kwargs={**connect_args, "autocommit": True},
            min_size=1,
            max_size=2,
            open=True,
            timeout=timeout,  # how long a lookup waits for a connection (the pool timeout)
            check=ConnectionPool.check_connection,
            name="mentorat-keys",
        )
        with self._pool.connection() as conn:
            conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema)))
            columns = sql.SQL(COLUMNS.format(id="UUID", blob="BYTEA"))
            conn.execute(sql.SQL("CREATE TABLE IF NOT EXISTS {} ({})").format(self._table, columns))

    def _query(self, text: str) -> sql.Composed:
        return sql.SQL(text).format(t=self._table)

    def find(self, person: UUID) -> StoredKey | None:
        with self._pool.connection() as conn:
            found = conn.execute(self._query("SELECT wrapped, master_id FROM {t} WHERE person_id = %s"), (person,))
            row = found.fetchone()
        return None if row is None else StoredKey(None if row[0] is None else bytes(row[0]), row[1])

    def add(self, person: UUID, wrapped: bytes, master_id: str) -> None:
        insert = "INSERT INTO {t} (person_id, wrapped, master_id) VALUES (%s, %s, %s) ON CONFLICT DO NOTHING"
        with self._pool.connection() as conn:
            conn.execute(self._query(insert), (person, wrapped, master_id))

    def any_master_id(self) -> str | None:
        with self._pool.connection() as conn:
            row = conn.execute(self._query("SELECT master_id FROM {t} WHERE wrapped IS NOT NULL LIMIT 1")).fetchone()
        return None if row is None else str(row[0])

    def shred(self, person: UUID) -> None:
        with self._pool.connection() as conn:
            with conn.transaction():
                conn.execute(self._query("DELETE FROM {t} WHERE person_id = %s"), (person,))
                conn.execute(self._query("INSERT INTO {t} (person_id) VALUES (%s)"), (person,))
            conn.execute(self._query("VACUUM {t}"))

    def close(self) -> None:
        self._pool.close()
