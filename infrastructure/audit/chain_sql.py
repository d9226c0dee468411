"""The chain's tables and queries, written once with `?` markers and rendered for each store."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Protocol
from uuid import UUID

from psycopg import sql

from infrastructure.audit.chain import Link, Stored, canonical_id

CHAIN = "mentorat_chain"
CHECKPOINTS = "mentorat_checkpoints"
VERIFICATIONS = "mentorat_verifications"  # each `mentorat audit verify` run's outcome: counts and positions only
LOWEST = -(2**63)  # before every position
LINKS = "position, originator_id, originator_version, hash, previous_position"

HEAD = "SELECT {links} FROM {chain} ORDER BY position DESC LIMIT 1"
HEAD_AND_LAST = (  # PostgreSQL, one round trip inside the insert's table lock
    "(SELECT true, {links} FROM {chain} ORDER BY position DESC LIMIT 1) UNION ALL "
    "(SELECT DISTINCT ON (originator_id) false, {links} FROM {chain} WHERE originator_id = ANY(?) "
    "ORDER BY originator_id, position DESC)"
)
EVENTS_AFTER = (
    "SELECT {pos}, originator_id, originator_version, topic, state FROM {events} WHERE {pos} > ? ORDER BY {pos} LIMIT ?"
)
LAST_EVENT = "SELECT max({pos}) FROM {events}"
UNCHAINED = (
    "SELECT count(*), min(e.{pos}), max(e.{pos}) FROM {events} e WHERE e.{pos} < ? "
    "AND NOT EXISTS (SELECT 1 FROM {chain} c WHERE c.position = e.{pos})"
)
DELETE_LINKS_FROM = "DELETE FROM {chain} WHERE position >= ? AND position < ?"
LINKS_AFTER = "SELECT {links} FROM {chain} WHERE position > ? ORDER BY position LIMIT ?"
LINKS_OF_AGGREGATE = "SELECT {links} FROM {chain} WHERE originator_id = ? ORDER BY position"
EVENTS_OF_AGGREGATE = (
    "SELECT {pos}, originator_id, originator_version, topic, state FROM {events} WHERE originator_id = ? "
    "ORDER BY originator_version"
)
AGGREGATE_HASH_AT = "SELECT hash FROM {chain} WHERE originator_id = ? AND position <= ? ORDER BY position DESC LIMIT 1"
LINK_AT = "SELECT {links} FROM {chain} WHERE position = ?"
LINK_OF_EVENT = "SELECT {links} FROM {chain} WHERE originator_id = ? AND originator_version = ?"
INSERT_LINK = "INSERT INTO {chain} ({links}) VALUES (?, ?, ?, ?, ?)"
LAST_CHECKPOINT = (
    "SELECT head_position, head_hash, created_at FROM {checkpoints} "
    "ORDER BY created_at DESC, head_position DESC LIMIT 1"
)
RECORD_CHECKPOINT = "INSERT INTO {checkpoints} (created_at, head_position, head_hash, events) VALUES (?, ?, ?, ?)"
LAST_CHECKPOINT_WRITTEN = (
    "SELECT created_at, head_position, events FROM {checkpoints} ORDER BY created_at DESC, head_position DESC LIMIT 1"
)
VERIFICATION_COLUMNS = (
    "verified_at, intact, events, head_position, against_checkpoints, "
    "first_bad_kind, first_bad_position, first_bad_aggregate_id, first_bad_version"
)
RECORD_VERIFICATION = f"INSERT INTO {{verifications}} ({VERIFICATION_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"  # noqa: S608
LAST_VERIFICATION = f"SELECT {VERIFICATION_COLUMNS} FROM {{verifications}} ORDER BY verified_at DESC, id DESC LIMIT 1"  # noqa: S608


class Cursor(Protocol):
    """The part of a DB-API cursor the chain uses (sqlite3's, the library's SQLite wrapper, psycopg's)."""

    def execute(self, query: Any, params: Any = ...) -> Any: ...

    def executemany(self, query: Any, params_seq: Any) -> Any: ...

    def fetchall(self) -> Any: ...


class PipelinedCursor(Cursor, Protocol):
    """A psycopg cursor: its statements can be kept from being prepared."""

    def execute(self, query: Any, params: Any = ..., *, prepare: bool | None = None) -> Any: ...


@dataclass(frozen=True)
class Dialect:
    """Table names and parameter style of one store."""

    events: str
    schema: str | None = None  # PostgreSQL only
    uuid_ids: bool = True

    @property
    def postgres(self) -> bool:
        """Whether this is PostgreSQL."""
        return self.schema is not None

    def q(self, template: str) -> Any:
        """A statement for this store (rendered once: every insert runs the chain's statements)."""
        return _rendered(self, template)

    def param(self, originator_id: str) -> Any:
        """An originator id as the store's column takes it."""
        return UUID(originator_id) if self.postgres and self.uuid_ids else originator_id

    def create_statements(self) -> list[Any]:
        """The chain and checkpoint tables, and the index the per-aggregate lookups use."""
        oid = ("uuid" if self.uuid_ids else "text") if self.postgres else "TEXT"
        blob, pos = ("BYTEA", "BIGINT") if self.postgres else ("BLOB", "INTEGER")  # SQLite: the rowid itself
        return [
            self.q(
                f"CREATE TABLE IF NOT EXISTS {{chain}} (position {pos} PRIMARY KEY, originator_id {oid} NOT NULL, "
                f"originator_version BIGINT NOT NULL, hash {blob} NOT NULL, previous_position BIGINT)"
            ),
            self.q(f"CREATE INDEX IF NOT EXISTS {CHAIN}_aggregate ON {{chain}} (originator_id, position)"),
            self.q(
                "CREATE TABLE IF NOT EXISTS {checkpoints} (created_at BIGINT NOT NULL, "
                f"head_position BIGINT NOT NULL, head_hash {blob} NOT NULL, events BIGINT NOT NULL, "
                "PRIMARY KEY (created_at, head_position))"
            ),
            self.verifications_statement(),
        ]

    def verifications_statement(self) -> Any:
        """The table of the verifications' outcomes (also created by `verify` on a store started before it)."""
        serial = "BIGSERIAL" if self.postgres else "INTEGER"  # SQLite: the rowid itself
        return self.q(
            f"CREATE TABLE IF NOT EXISTS {{verifications}} (id {serial} PRIMARY KEY, verified_at BIGINT NOT NULL, "
            "intact BIGINT NOT NULL, events BIGINT NOT NULL, head_position BIGINT, "
            "against_checkpoints BIGINT NOT NULL, first_bad_kind TEXT, first_bad_position BIGINT, "
            "first_bad_aggregate_id TEXT, first_bad_version BIGINT)"
        )


@lru_cache(maxsize=1024)
def _rendered(dialect: Dialect, template: str) -> Any:
    if dialect.schema is None:
        return template.format(
            events=dialect.events,
            chain=CHAIN,
            checkpoints=CHECKPOINTS,
            verifications=VERIFICATIONS,
            pos="rowid",
            links=LINKS,
        )
    return sql.SQL(template.replace("?", "%s")).format(
        events=sql.Identifier(dialect.schema, dialect.events),
        chain=sql.Identifier(dialect.schema, CHAIN),
        checkpoints=sql.Identifier(dialect.schema, CHECKPOINTS),
        verifications=sql.Identifier(dialect.schema, VERIFICATIONS),
        pos=sql.Identifier("notification_id"),
        links=sql.SQL(LINKS),
    )


def stored(row: Sequence[Any]) -> Stored:
    """An events-table row (position, originator_id, originator_version, topic, state)."""
    oid, version, topic, state = row[1], row[2], row[3], row[4]
    if type(version) is not int or type(topic) is not str or type(state) is not bytes:
        version, topic, state = _integer(version), _text(topic), _raw(state)
    return Stored(row[0], canonical_id(oid if isinstance(oid, str | UUID) else _text(oid)), version, topic, state)


def _raw(value: Any) -> bytes:
    """A value's stored bytes (SQLite keeps whatever type a write gave a column)."""
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    return b"" if value is None else str(value).encode("utf-8", "surrogateescape")


def _text(value: Any) -> str:
    return value if isinstance(value, str) else _raw(value).decode("utf-8", "surrogateescape")


def _integer(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return -1  # not a version: the hash cannot match


def link(row: Sequence[Any]) -> Link:
    """A chain row (position, originator_id, originator_version, hash, previous_position)."""
    return Link(int(row[0]), canonical_id(row[1]), int(row[2]), bytes(row[3]), row[4])


def head(cursor: Cursor, dialect: Dialect) -> Link | None:
    """The last chain entry."""
    cursor.execute(dialect.q(HEAD), ())
    rows = cursor.fetchall()
    return link(rows[0]) if rows else None


def head_and_last(cursor: Cursor, dialect: Dialect, originator_ids: set[str]) -> tuple[Link | None, dict[str, bytes]]:
    """The last chain entry, and each of these aggregates' last chained hash."""
    if not one_statement(dialect, originator_ids):
        return head(cursor, dialect), last_hashes(cursor, dialect, originator_ids)
    cursor.execute(dialect.q(HEAD_AND_LAST), head_and_last_params(dialect, originator_ids))
    return read_head_and_last(cursor)


def one_statement(dialect: Dialect, originator_ids: set[str]) -> bool:
    """Whether the head and these aggregates' last hashes come in one statement (PostgreSQL, up to 500 ids)."""
    return dialect.postgres and len(originator_ids) <= 500


def send_head_and_last(cursor: PipelinedCursor, dialect: Dialect, originator_ids: set[str]) -> None:
    """Send the one statement of `head_and_last` (in a pipeline, its answer comes with the others').

    Never prepared: queued behind the insert, it is skipped when the insert fails (a version conflict), and
    psycopg 3.3 can then take a statement the server never parsed for prepared ("_pg3_N does not exist").
    """
    cursor.execute(dialect.q(HEAD_AND_LAST), head_and_last_params(dialect, originator_ids), prepare=False)


def head_and_last_params(dialect: Dialect, originator_ids: set[str]) -> tuple[list[Any]]:
    """The parameters of `HEAD_AND_LAST`: the aggregates' ids as one array."""
    return ([dialect.param(oid) for oid in originator_ids],)


def read_head_and_last(cursor: Cursor) -> tuple[Link | None, dict[str, bytes]]:
    """The answer of `send_head_and_last`."""
    top, last = None, {}
    for row in cursor.fetchall():
        entry = link(row[1:])
        if row[0]:
            top = entry
        else:
            last[entry.originator_id] = entry.hash
    return top, last


def last_hashes(cursor: Cursor, dialect: Dialect, originator_ids: Iterable[str]) -> dict[str, bytes]:
    """Each aggregate's last chained hash (aggregates never chained are left out)."""
    wanted, found = sorted(set(originator_ids)), dict[str, bytes]()
    for start in range(0, len(wanted), 500):
        chunk = [dialect.param(oid) for oid in wanted[start : start + 500]]
        if dialect.postgres:
            query = "SELECT DISTINCT ON (originator_id) originator_id, hash FROM {chain} WHERE originator_id = ANY(?) "
            cursor.execute(dialect.q(query + "ORDER BY originator_id, position DESC"), (chunk,))
        else:  # SQLite gives the bare columns of the row holding the MAX()
            marks = ", ".join("?" for _ in chunk)
            query = f"SELECT originator_id, hash, MAX(position) FROM {{chain}} WHERE originator_id IN ({marks}) "  # noqa: S608
            cursor.execute(dialect.q(query + "GROUP BY originator_id"), chunk)
        found.update((canonical_id(row[0]), bytes(row[1])) for row in cursor.fetchall())
    return found


def events_after(cursor: Cursor, dialect: Dialect, position: int, limit: int) -> list[Stored]:
    """Stored events after a position, in position order."""
    cursor.execute(dialect.q(EVENTS_AFTER), (position, limit))
    return [stored(row) for row in cursor.fetchall()]


def insert_links(cursor: Cursor, dialect: Dialect, links: Sequence[Link]) -> None:
    """Store chain entries."""
    cursor.executemany(
        dialect.q(INSERT_LINK),
        [(k.position, dialect.param(k.originator_id), k.version, k.hash, k.previous_position) for k in links],
    )
