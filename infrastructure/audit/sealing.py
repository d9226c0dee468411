"""Chaining stored events: inside each insert's own transaction, and the operator's explicit sealing.

Both run while the writer holds the store's write lock (PostgreSQL's table lock on the events, SQLite's
single writer), so the head they extend is the last committed link and positions commit in order.

Nothing is ever chained silently: an insert links its own events after the chain's head and leaves any
event it did not write (a foreign writer's row) without a link, `unchained`, for `verify` to name. Only
`mentorat audit seal --yes` chains such events, in the transaction that stores its `HistorySealed` event.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from application.store_sealing import SEAL_PROGRESS, SEAL_UNCHAINED, UnchainedRange
from infrastructure.audit.chain import Link, Linker, Stored
from infrastructure.audit.chain_sql import (
    DELETE_LINKS_FROM,
    LOWEST,
    UNCHAINED,
    Cursor,
    Dialect,
    events_after,
    head,
    head_and_last,
    insert_links,
    last_hashes,
)

SEAL_BATCH = 20_000
HIGHEST = 2**63 - 1  # after every position


class ChainAheadOfEvents(RuntimeError):
    """A new event was given a position the chain already holds: stored events were removed."""

    def __init__(self, position: int) -> None:
        super().__init__(f"position {position} is already chained: the stored events lost their tail")


class SealingChanged(RuntimeError):
    """The unchained events are no longer those the operator was shown: nothing is sealed."""

    def __init__(self) -> None:
        super().__init__("the unchained events changed since they were counted: nothing sealed, run it again")


Head = tuple[Link | None, dict[str, bytes]]  # the chain's last link, and the last hash of each aggregate inserted


def link_inserted(
    cursor: Cursor,
    dialect: Dialect,
    events: Sequence[Stored],
    read_head: Callable[[], Head] | None = None,
    **kwargs: Any,
) -> int:
    """Chain the events this transaction just inserted, after the chain's head; how many links were written.

    `read_head` answers a head the insert already asked for in its own round trip (not after sealing).
    Events stored by someone else stay unchained, unless this insert is the operator's sealing (the
    `seal_unchained` keyword): then they are chained first, with every event after them.
    """
    ordered = sorted(events, key=lambda e: e.position)
    sealing, progress = kwargs.get(SEAL_UNCHAINED), kwargs.get(SEAL_PROGRESS)
    sealed = 0 if sealing is None else seal_unchained(cursor, dialect, sealing, ordered[0].position, progress)
    if read_head is not None and sealing is None:
        top, last = read_head()
    else:
        top, last = head_and_last(cursor, dialect, {e.originator_id for e in ordered})
    if top is not None and ordered[0].position <= top.position:
        raise ChainAheadOfEvents(ordered[0].position)
    linker = Linker(top, last)
    insert_links(cursor, dialect, [linker.link(event) for event in ordered])
    return sealed + len(ordered)


def unchained(cursor: Cursor, dialect: Dialect, before: int = HIGHEST) -> UnchainedRange | None:
    """The stored events without a chain link (before a position): their range and count."""
    cursor.execute(dialect.q(UNCHAINED), (before,))
    count, first, last = cursor.fetchall()[0]
    return None if not count else UnchainedRange(int(first), int(last), int(count))


def seal_unchained(
    cursor: Cursor,
    dialect: Dialect,
    expected: UnchainedRange,
    before: int = HIGHEST,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Chain the unchained events before `before`, re-linking every event from the first of them on.

    `SealingChanged` unless the unchained events are exactly those expected. Answers how many links were written;
    `progress` hears `(position chained, last position to chain)` after each batch.
    """
    if unchained(cursor, dialect, before) != expected:
        raise SealingChanged
    cursor.execute(dialect.q(DELETE_LINKS_FROM), (expected.first_position, before))
    top = head(cursor, dialect)
    linker, count = Linker(top), 0
    position = LOWEST if top is None else top.position
    while True:
        batch = [e for e in events_after(cursor, dialect, position, SEAL_BATCH) if e.position < before]
        if not batch:
            return count
        unknown = {e.originator_id for e in batch if e.originator_id not in linker.last}
        linker.last.update(last_hashes(cursor, dialect, unknown))
        insert_links(cursor, dialect, [linker.link(event) for event in batch])
        count, position = count + len(batch), batch[-1].position
        if progress is not None:
            progress(position, min(before - 1, max(position, expected.last_position)))


def relink_from(cursor: Cursor, dialect: Dialect, position: int) -> int:
    """Delete the links from a position on and chain every event from there again (what a tamperer can do)."""
    cursor.execute(dialect.q(DELETE_LINKS_FROM), (position, HIGHEST))
    found = unchained(cursor, dialect)
    return 0 if found is None else seal_unchained(cursor, dialect, found)
