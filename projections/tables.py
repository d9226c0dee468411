"""Read-model tables described once, and the rows a batch of events touches, kept in memory until it commits."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

Row = dict[str, Any]
Key = tuple[Any, ...]


@dataclass(frozen=True)
class Table:
    """A read-model table: its columns with portable SQL types, its primary key and its indexes."""

    name: str
    columns: tuple[tuple[str, str], ...]
    key: tuple[str, ...]
    indexes: tuple[tuple[str, ...], ...] = ()
    json: tuple[str, ...] = ()
    additive: tuple[str, ...] = ()  # counter columns: an upsert adds its values to the stored ones

    def decode(self, row: Mapping[str, Any]) -> Row:
        """A stored row as the projection sees it (JSON columns parsed)."""
        decoded = dict(row)
        for column in self.json:
            decoded[column] = json.loads(decoded[column])
        return decoded

    def values(self, row: Mapping[str, Any]) -> tuple[Any, ...]:
        """A row's values in column order, as stored (JSON columns serialised)."""
        return tuple(
            json.dumps(row[name], sort_keys=True) if name in self.json else row[name] for name in self.column_names
        )

    @cached_property
    def column_names(self) -> tuple[str, ...]:
        """The column names in declaration order (computed once: a batch asks for every row)."""
        return tuple(name for name, _ in self.columns)

    def key_of(self, row: Mapping[str, Any]) -> Key:
        """The primary key of a row."""
        return tuple(row[column] for column in self.key)

    def create_statements(self) -> list[str]:
        """CREATE TABLE and CREATE INDEX statements valid on SQLite and PostgreSQL."""
        columns = ", ".join(f"{name} {kind}" for name, kind in self.columns)
        statements = [f"CREATE TABLE IF NOT EXISTS {self.name} ({columns}, PRIMARY KEY ({', '.join(self.key)}))"]
        statements += [
            f"CREATE INDEX IF NOT EXISTS {self.name}_{'_'.join(index)} ON {self.name} ({', '.join(index)})"
            for index in self.indexes
        ]
        return statements

    def upsert_statement(self) -> str:
        """An INSERT … ON CONFLICT DO UPDATE with `?` placeholders (SQLite 3.24+, PostgreSQL 9.5+)."""
        names = self.column_names
        return (
            f"INSERT INTO {self.name} ({', '.join(names)}) VALUES ({', '.join('?' for _ in names)}) {self._on_conflict}"
        )

    def upsert_unnest_statement(self) -> str:
        """The same upsert of many rows in one statement: one `?` per column, each bound to an array (PostgreSQL)."""
        names = ", ".join(self.column_names)
        arrays = ", ".join(f"?::{kind}[]" for _, kind in self.columns)
        return f"INSERT INTO {self.name} ({names}) SELECT * FROM unnest({arrays}) {self._on_conflict}"

    @property
    def _on_conflict(self) -> str:
        """Replace a stored row's columns, or add to them for counter columns (`additive`)."""
        updates = ", ".join(
            f"{name} = {self.name}.{name} + excluded.{name}" if name in self.additive else f"{name} = excluded.{name}"
            for name in self.column_names
            if name not in self.key
        )
        return f"ON CONFLICT ({', '.join(self.key)}) " + (f"DO UPDATE SET {updates}" if updates else "DO NOTHING")

    def delete_statement(self) -> str:
        """A DELETE of one row by primary key."""
        return f"DELETE FROM {self.name} WHERE " + " AND ".join(f"{column} = ?" for column in self.key)


_DELETED = None


class Rows:
    """The rows a batch reads and writes: loaded on first use, written back once when the batch commits.

    Folding a batch in memory and writing each touched row once is what makes catch-up fast; the
    projections stay plain functions of (event, rows) whatever the store.
    """

    def __init__(self, load: Callable[[Table, Key], Row | None]) -> None:
        self._load = load
        self._cache: dict[str, dict[Key, Row | None]] = {}
        self._dirty: dict[str, dict[Key, Row | None]] = {}
        self._tables: dict[str, Table] = {}

    def get(self, table: Table, *key: Any) -> Row | None:
        """The row with this key (a copy owned by the batch), or None."""
        cached = self._cache.setdefault(table.name, {})
        if key not in cached:
            cached[key] = self._load(table, key)
        return cached[key]

    def require(self, table: Table, *key: Any) -> Row:
        """The row with this key; a missing row means the history is not what the projection expects."""
        row = self.get(table, *key)
        if row is None:
            raise LookupError(f"no row in {table.name} for the event's aggregate")
        return row

    def put(self, table: Table, row: Row) -> None:
        """Insert or replace a row."""
        key = table.key_of(row)
        self._tables[table.name] = table
        self._cache.setdefault(table.name, {})[key] = row
        self._dirty.setdefault(table.name, {})[key] = row

    def add(self, table: Table, row: Row) -> None:
        """Add a row's counter columns to the row with its key (a counter table is only ever added to)."""
        key = table.key_of(row)
        self._tables[table.name] = table
        touched = self._dirty.setdefault(table.name, {})
        held = touched.get(key)
        if held is None:
            touched[key] = dict(row)
        else:
            for column in table.additive:
                held[column] += row[column]

    def delete(self, table: Table, *key: Any) -> None:
        """Remove a row."""
        self._tables[table.name] = table
        self._cache.setdefault(table.name, {})[key] = _DELETED
        self._dirty.setdefault(table.name, {})[key] = _DELETED

    def preload(self, table: Table, rows: Iterable[Row], keys: Iterable[Key]) -> None:
        """Seed the cache with rows fetched in bulk (keys without a row are known to be absent)."""
        cached = self._cache.setdefault(table.name, {})
        for key in keys:
            cached.setdefault(key, None)
        for row in rows:
            cached[table.key_of(row)] = row

    def changes(self) -> list[tuple[Table, list[Row], list[Key]]]:
        """Per table, the rows to upsert and the keys to delete."""
        result = []
        for name, touched in self._dirty.items():
            upserts = [row for row in touched.values() if row is not None]
            deletes = [key for key, row in touched.items() if row is None]
            result.append((self._tables[name], upserts, deletes))
        return result
