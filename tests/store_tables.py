"""Every table of a store, read straight from the database: the events' file or schema and the data keys'."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing
from typing import Any

import psycopg
from psycopg import sql

from bootstrap.settings import Settings
from bootstrap.store_env import KEYS_FILE, SQLITE_FILE, key_schema
from tests.conftest import postgres_url


def tables(settings: Settings) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table (read models included), by `<database>.<table>`."""
    return dict(_postgres(settings) if settings.uses_postgres else _sqlite(settings))


def table_counts(settings: Settings) -> dict[str, int]:
    """How many rows each table holds (read models, idempotency records, outbox, chain, data keys, events)."""
    return dict(_postgres(settings, count=True) if settings.uses_postgres else _sqlite(settings, count=True))


def every_table_bytes(settings: Settings) -> bytes:
    """Every cell of every table as bytes, to search for a secret or a marker."""
    cells = (
        bytes(cell) if isinstance(cell, bytes | memoryview) else str(cell).encode()
        for rows in tables(settings).values()
        for row in rows
        for cell in row
    )
    return b"\n".join(cells)


def _sqlite(settings: Settings, *, count: bool = False) -> Iterator[tuple[str, Any]]:
    for file in (SQLITE_FILE, KEYS_FILE):
        path = settings.data_dir / file
        if not path.exists():
            continue
        with closing(sqlite3.connect(path)) as conn:
            names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
            for name in names:
                if count:
                    yield f"{file}.{name}", conn.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0]
                else:
                    yield f"{file}.{name}", conn.execute(f'SELECT * FROM "{name}"').fetchall()


def _postgres(settings: Settings, *, count: bool = False) -> Iterator[tuple[str, Any]]:
    with psycopg.connect(postgres_url()) as conn:
        for schema in (settings.database_schema or "public", key_schema(settings)):
            found = conn.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = %s", (schema,)
            ).fetchall()
            for (name,) in found:
                table = sql.Identifier(schema, name)
                if count:
                    row = conn.execute(sql.SQL("SELECT count(*) FROM {}").format(table)).fetchone()
                    yield f"{schema}.{name}", row[0] if row else 0
                else:
                    yield f"{schema}.{name}", conn.execute(sql.SQL("SELECT * FROM {}").format(table)).fetchall()
