"""The library's application recorders, chaining every event they insert inside the insert's own transaction.

Starting a recorder creates the chain's tables and chains nothing: an event stored by someone else stays
unchained (`verify` names it) until the operator seals it (`mentorat audit seal --yes`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from functools import cached_property
from typing import Any
from weakref import WeakKeyDictionary

import psycopg
from eventsourcing.persistence import StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteCursor
from psycopg import Cursor
from psycopg.rows import DictRow, tuple_row

from application.store_sealing import SEAL_UNCHAINED
from infrastructure.audit.chain import Stored, canonical_id
from infrastructure.audit.chain_sql import Dialect, one_statement, read_head_and_last, send_head_and_last
from infrastructure.audit.history_state import HistoryStateReads
from infrastructure.audit.sealing import link_inserted
from infrastructure.audit.store import dialect_of


def inserted(stored_events: Sequence[StoredEvent], ids: Sequence[int]) -> list[Stored]:
    """The events just inserted, with the positions the store gave them."""
    return [
        Stored(position, canonical_id(s.originator_id), s.originator_version, s.topic, s.state)
        for position, s in zip(ids, stored_events, strict=True)
    ]


class SQLiteChainedRecorder(HistoryStateReads, SQLiteApplicationRecorder):
    """The embedded store's recorder; its tables include the chain (and the verifications' outcomes)."""

    @cached_property
    def chain_dialect(self) -> Dialect:
        """The chain's dialect for this recorder (every insert uses it)."""
        return dialect_of(self)

    def construct_create_table_statements(self) -> list[str]:
        return [*super().construct_create_table_statements(), *self.chain_dialect.create_statements()]

    def _insert_events(
        self, c: SQLiteCursor, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        ids = super()._insert_events(c, stored_events, **kwargs)
        if ids:
            link_inserted(c, self.chain_dialect, inserted(stored_events, ids), **kwargs)
        return ids


class PostgresChainedRecorder(HistoryStateReads, PostgresApplicationRecorder):
    """PostgreSQL's recorder; it chains after the library's table lock, once the new ids are known.

    The table lock is held for two round trips: the lock, the insert and the chain's head go in one (the
    library's pipeline sends them together); the links, what commits with them and the commit in the other.
    """

    def __init__(self, datastore: PostgresDatastore, **kwargs: Any) -> None:
        super().__init__(datastore, **kwargs)
        self.chain_dialect = dialect_of(self)
        self.sql_create_statements += self.chain_dialect.create_statements()
        self._heads: WeakKeyDictionary[Cursor[DictRow], Cursor[Any]] = WeakKeyDictionary()  # per insert's cursor

    def _insert_stored_events(self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent], **kwargs: Any) -> None:
        super()._insert_stored_events(curs, stored_events, **kwargs)  # the lock and the insert, not yet sent
        ids = {canonical_id(s.originator_id) for s in stored_events}
        if stored_events and not kwargs.get(SEAL_UNCHAINED) and one_statement(self.chain_dialect, ids):
            head = curs.connection.cursor(row_factory=tuple_row)  # its answer comes with the insert's
            send_head_and_last(head, self.chain_dialect, ids)
            self._heads[curs] = head

    def _fetch_ids_after_insert_events(
        self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        head = self._heads.pop(curs, None)
        try:
            ids = super()._fetch_ids_after_insert_events(curs, stored_events, **kwargs)
            if ids:
                read_head = None if head is None else (lambda: read_head_and_last(head))
                with curs.connection.cursor(row_factory=tuple_row) as chain:
                    link_inserted(chain, self.chain_dialect, inserted(stored_events, ids), read_head, **kwargs)
                self._complete_insert(curs, ids, **kwargs)
        except Exception:
            # The library catches what this hook raises and re-raises it only after its transaction
            # block has exited, which would COMMIT the events: abort the transaction in the server first.
            abort_transaction(curs)
            raise
        finally:
            if head is not None:
                head.close()
        return ids

    def _complete_insert(self, curs: Cursor[DictRow], ids: Sequence[int], **kwargs: Any) -> None:
        """Write what must commit with the events, once their positions are known (a subclass's hook)."""


ABORT = "DO $$ BEGIN RAISE EXCEPTION 'mentorat: the insert was abandoned and rolled back'; END $$"


def abort_transaction(curs: Cursor[DictRow]) -> None:
    """Put the server's transaction in the failed state, so the library's commit becomes a rollback."""
    with contextlib.suppress(psycopg.Error), curs.connection.cursor() as abort:
        abort.execute(ABORT)
