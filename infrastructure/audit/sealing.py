"""Chaining stored events: inside each insert's own transaction, and in bulk for a store's unchained tail.

Both run while the writer holds the store's write lock (PostgreSQL's table lock on the events, SQLite's
single writer), so the head they extend is the last committed link and positions commit in order.
"""

from __future__ import annotations

from collections.abc import Sequence

from infrastructure.audit.chain import Linker, Stored
from infrastructure.audit.chain_sql import (
    LOWEST,
    Cursor,
    Dialect,
    any_event_between,
    events_after,
    head,
    head_and_last,
    insert_links,
    last_hashes,
)
from infrastructure.audit.store import AuditStore

SEAL_BATCH = 20_000


class ChainAheadOfEvents(RuntimeError):
    """A new event was given a position the chain already holds: stored events were removed."""

    def __init__(self, position: int) -> None:
        super().__init__(f"position {position} is already chained: the stored events lost their tail")


def link_inserted(cursor: Cursor, dialect: Dialect, events: Sequence[Stored]) -> int:
    """Chain the events this transaction just inserted (and any unchained event stored before them)."""
    ordered = sorted(events, key=lambda e: e.position)
    top, last = head_and_last(cursor, dialect, {e.originator_id for e in ordered})
    if top is not None and ordered[0].position <= top.position:
        raise ChainAheadOfEvents(ordered[0].position)
    after = top.position if top is not None else 0
    if ordered[0].position - 1 > after and any_event_between(cursor, dialect, after, ordered[0].position):
        linker, count = Linker(top), 0  # a foreign writer's events come first: chain everything in order
        while linker.head is None or linker.head.position < ordered[-1].position:
            count += seal_batch(cursor, dialect, SEAL_BATCH, linker)
        return count
    linker = Linker(top, last)
    insert_links(cursor, dialect, [linker.link(event) for event in ordered])
    return len(ordered)


def seal_batch(cursor: Cursor, dialect: Dialect, limit: int = SEAL_BATCH, linker: Linker | None = None) -> int:
    """Chain up to `limit` unchained events after the head, in position order; how many were chained."""
    top = head(cursor, dialect)
    events = events_after(cursor, dialect, top.position if top is not None else LOWEST, limit)
    if not events:
        return 0
    if linker is None or linker.head != top:
        linker = Linker(top)
    unknown = {e.originator_id for e in events if e.originator_id not in linker.last}
    linker.last.update(last_hashes(cursor, dialect, unknown))
    insert_links(cursor, dialect, [linker.link(event) for event in events])
    return len(events)


def seal(store: AuditStore) -> int:
    """Chain every unchained event after the head, one batch per transaction; how many were chained."""
    linker, total = Linker(None), 0
    while True:
        with store.writing() as cursor:
            count = seal_batch(cursor, store.dialect, SEAL_BATCH, linker)
        if not count:
            return total
        total += count
