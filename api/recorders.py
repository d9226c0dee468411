"""The application recorders: the hash chain of `api/audit/`, and the idempotency records of `api/idempotency.py`.

A record is claimed and released in its own short transactions; it is *completed* inside the
transaction that inserts the command's events, through the recorder's insert hooks, with the answer
the application passes to `save(answer=...)`. Every inserted event is also chained in that transaction
(`api/audit/recorders.py`). Selected by the `APPLICATION_RECORDER_TOPIC` setting.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from eventsourcing.persistence import StoredEvent
from eventsourcing.postgres import PostgresDatastore
from eventsourcing.sqlite import SQLiteCursor
from psycopg import Cursor, sql
from psycopg.rows import DictRow

from api.audit.recorders import PostgresChainedRecorder, SQLiteChainedRecorder
from api.idempotency import Claim, Found, IdempotencyKeyInUse, MalformedKey, current_claim
from application.store import CommandResult

TABLE = "mentorat_idempotency"
COLUMNS = (
    "record_id TEXT PRIMARY KEY, fingerprint TEXT NOT NULL, owner TEXT NOT NULL, state TEXT NOT NULL, "
    "lease_until BIGINT NOT NULL, created_at BIGINT NOT NULL, answer {blob}"
)
FORGET = "DELETE FROM {t} WHERE created_at < ?"
TAKE = (
    "INSERT INTO {t} (record_id, fingerprint, owner, state, lease_until, created_at) VALUES (?, ?, ?, 'running', ?, ?) "
    "ON CONFLICT (record_id) DO UPDATE SET owner = excluded.owner, lease_until = excluded.lease_until "
    "WHERE mentorat_idempotency.state = 'running' AND mentorat_idempotency.lease_until < ? "
    "AND mentorat_idempotency.fingerprint = excluded.fingerprint "
    "RETURNING owner"
)
LOOK = "SELECT fingerprint, state, answer FROM {t} WHERE record_id = ?"
RELEASE = "DELETE FROM {t} WHERE record_id = ? AND owner = ? AND state = 'running'"
RENEW = "UPDATE {t} SET lease_until = ? WHERE record_id = ? AND owner = ? AND state = 'running'"
HOLD = "UPDATE {t} SET state = 'committing' WHERE record_id = ? AND owner = ? AND state = 'running' RETURNING owner"
COMPLETE = "UPDATE {t} SET state = 'done', answer = ? WHERE record_id = ? AND owner = ?"


def micros(moment: datetime) -> int:
    """Microseconds since the epoch: a portable, ordered column type on both stores."""
    return round(moment.timestamp() * 1_000_000)


class IdempotencyLedger:
    """Claiming and releasing records; each store supplies `_execute` in its own dialect."""

    def _execute(self, statements: Sequence[tuple[str, tuple[Any, ...]]]) -> list[Any]:
        """Run statements in one transaction; the rows of the last."""
        raise NotImplementedError

    def claim_key(self, claim: Claim, now: datetime, lease_seconds: float, keep_hours: int) -> Found:
        """Take the record (new, forgotten after `keep_hours`, or abandoned past its lease), or say why not."""
        now_us, lease_us = micros(now), int(lease_seconds * 1_000_000)
        take = (claim.record_id, claim.fingerprint, claim.owner, now_us + lease_us, now_us, now_us)
        taken = self._execute([(FORGET, (micros(now - timedelta(hours=keep_hours)),)), (TAKE, take)])
        if taken and taken[0]["owner"] == claim.owner:
            return Found("claimed")
        rows = self._execute([(LOOK, (claim.record_id,))])
        if not rows:
            return Found("in-use")  # released or forgotten a moment ago: the client retries
        row = rows[0]
        if row["fingerprint"] != claim.fingerprint:
            return Found("reused")
        if row["state"] == "done":
            return Found("replay", bytes(row["answer"]))
        return Found("in-use")

    def release_key(self, claim: Claim) -> None:
        """Forget a record this request still holds."""
        self._execute([(RELEASE, (claim.record_id, claim.owner))])

    def renew_key(self, claim: Claim, now: datetime, lease_seconds: float) -> None:
        """Extend the lease of a record this request still holds (its command is still running)."""
        self._execute([(RENEW, (micros(now) + int(lease_seconds * 1_000_000), claim.record_id, claim.owner))])

    @staticmethod
    def pending(answer: Any) -> Claim | None:
        """The request's claim when this save is a command's (it carries its answer); a malformed key stops it."""
        claim = current_claim.get()
        if claim is None or not isinstance(answer, CommandResult):
            return None
        if isinstance(claim, MalformedKey):
            raise claim  # before anything is inserted: the transaction rolls back
        return claim

    @staticmethod
    def sealed_answer(claim: Claim, answer: CommandResult, ids: Sequence[int]) -> bytes:
        """The command's answer at the position its events were just given, sealed for the record."""
        return claim.seal(replace(answer, position=max(ids)).body())


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
