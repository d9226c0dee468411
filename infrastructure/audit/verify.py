"""Verifying the stored history: one pass over events and chain entries in position order, and the checkpoints.

The first event that was altered, removed, reordered or inserted is named by aggregate id, version and
position (from its chain entry or a signed checkpoint, which still hold what was there). An event without
a chain entry is `unchained` and fails at once, whatever its age and wherever it stands: the application
chains every event it writes in the insert's own transaction, so an unlinked event was written by someone
else. The operator's sealing (`HistorySealed` events, themselves chained) is reported as sealed ranges.
A chain entry whose hash matches its event but whose aggregate id or version does not is altered (the
hash binds the event's identity, so the event is named as stored).

The same pass, started after a checkpoint's head, is what the checkpointer signs: `Verification.verified()`
yields each link recomputed from the stored event, never the chain table's stored hash.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any, Generic, TypeVar

from domain.store_sealing import StoreSealing
from infrastructure.audit.chain import Link, Linker, Stored, display_id
from infrastructure.audit.chain_sql import (
    AGGREGATE_HASH_AT,
    EVENTS_AFTER,
    LAST_EVENT,
    LINK_OF_EVENT,
    LINKS_AFTER,
    LOWEST,
    Cursor,
    Dialect,
    link,
    stored,
)
from infrastructure.audit.checkpoint_format import Mark
from infrastructure.audit.checkpoint_reader import CheckpointIndex
from infrastructure.audit.findings import Finding, Report, named
from infrastructure.audit.store import AuditStore

PAGE = 20_000
SEALED_TOPIC = StoreSealing.HistorySealed.TOPIC
T = TypeVar("T", Stored, Link)
Progress = Callable[[int, int], None]  # (position reached, last stored position): counts only, never content
REPORT_EVERY = 1_000  # events between two progress reports


class Ahead(Generic[T]):
    """A stream of rows in position order, with the next one in view."""

    def __init__(self, rows: Iterator[T]) -> None:
        self.rows: Iterator[T] = rows
        self.current: T | None = next(rows, None)

    def take(self, position: int) -> T | None:
        """The row at this position, if it is the next one."""
        row = self.current
        if row is None or row.position != position:
            return None
        self.current = next(self.rows, None)
        return row


def pages(cursor: Cursor, dialect: Dialect, query: str, size: int, after: int = LOWEST) -> Iterator[Any]:
    """Rows after a position, then after each page's last position, `size` at a time."""
    position = after
    while True:
        cursor.execute(dialect.q(query), (position, size))
        rows: list[Any] = cursor.fetchall()
        yield from rows
        if len(rows) < size:
            return
        position = int(rows[-1][0])


def sealed_range(event: Stored) -> dict[str, Any]:
    """What a `HistorySealed` event says it sealed, read from its stored JSON (None where unreadable)."""
    found: dict[str, Any] = {"position": event.position, "aggregate_id": display_id(event.originator_id)}
    try:
        state = json.loads(event.state)
        sealed_at = state["timestamp"]["_data_"]
    except (ValueError, KeyError, TypeError):  # a whole-event cipher or compressor: the range is still chained
        state, sealed_at = {}, None
    names = ("first_position", "last_position", "count", "actor_role")
    return {**found, **{name: state.get(name) for name in names}, "sealed_at": sealed_at}


def verify(
    store: AuditStore, index: CheckpointIndex | None, now: datetime, page: int = PAGE, progress: Progress | None = None
) -> Report:
    """Verify the store's history, and against the checkpoints when given (reporting the positions reached)."""
    with store.reading() as cursor:
        return Verification(cursor, store.dialect, index, now, page, progress=progress).run()


def last_position(cursor: Cursor, dialect: Dialect) -> int:
    """The last stored event's position (0: none), for progress reports."""
    cursor.execute(dialect.q(LAST_EVENT), ())
    found = cursor.fetchall()[0][0]
    return 0 if found is None else int(found)


class Verification:
    """One pass: recompute every link from the stored bytes, compare with the chain and the checkpoints."""

    def __init__(
        self,
        cursor: Cursor,
        dialect: Dialect,
        index: CheckpointIndex | None,
        now: datetime,
        page: int,
        start: Link | None = None,
        *,
        skip_unchained: bool = False,
        progress: Progress | None = None,
    ):
        """From the start of the history, or after `start` (a chain entry already vouched for: a checkpoint's head).

        With `skip_unchained` (before sealing), unchained events are listed in the report and the pass goes on
        over the chained ones, as the inserts linked them. `progress` hears the position reached now and then.
        """
        after = LOWEST if start is None else start.position
        self.cursor, self.dialect, self.now, self.start = cursor, dialect, now, start
        self.events = Ahead(stored(row) for row in pages(cursor, dialect, EVENTS_AFTER, page, after))
        self.links = Ahead(link(row) for row in pages(cursor, dialect, LINKS_AFTER, page, after))
        self.index = index or CheckpointIndex()
        self.mark, self.range = 0, 0
        self.linker = Linker(start)
        self.skip_unchained = skip_unchained
        self.report = Report(checkpoints=index)
        self.progress = progress
        self.last = 0 if progress is None else last_position(cursor, dialect)  # read in the pass's own snapshot

    def run(self) -> Report:
        """Walk every position that holds an event, a chain entry or a checkpoint mark."""
        for _ in self.verified():
            pass
        return self.report

    def reported(self, position: int | None) -> None:
        """Tell `progress` the position reached, every `REPORT_EVERY` events and at the end (None)."""
        if self.progress is not None and (position is None or self.report.events % REPORT_EVERY == 0):
            self.progress(self.last if position is None else position, self.last)

    def verified(self) -> Iterator[Link]:
        """Each event's link as recomputed from its stored bytes, once it matched its chain entry (and marks).

        Stops at the first finding, left in `self.report.failure`.
        """
        while self.report.failure is None:
            upcoming = [row.position for row in (self.events.current, self.links.current) if row is not None]
            position = min(upcoming) if upcoming else None
            self.report.failure = self.marks_missing_before(position)
            if position is None:
                self.reported(None)
            if position is None or self.report.failure:
                break
            event, entry = self.events.take(position), self.links.take(position)
            if entry is None:
                assert event is not None
                self.report.failure = self.unchained(event)
            elif event is None:
                self.report.failure = Finding("removed", position, entry.originator_id, entry.version, "not stored")
            else:
                self.report.failure = self.chained(event, entry)
                if self.report.failure is None and self.report.head is not None:
                    self.reported(position)
                    yield self.report.head

    def chained(self, event: Stored, entry: Link) -> Finding | None:
        """Check one event against its chain entry and the checkpoints' marks at its position."""
        head = self.linker.head
        before = None if head is None else head.position
        if entry.previous_position != before:
            back = entry.previous_position
            if back is not None and (before is None or back > before) and back < event.position:
                detail = f"removed with its chain entry (the entry at {event.position} follows it)"
                return Finding("removed", back, None, None, detail)
            return Finding("altered", event.position, entry.originator_id, entry.version, "chain entry out of order")
        self.recall_aggregate(event.originator_id)
        new = self.linker.link(event)
        if new.hash != entry.hash:
            elsewhere = self.chained_elsewhere(event)
            kind = "reordered" if elsewhere is not None and elsewhere != event.position else "altered"
            return Finding(kind, event.position, entry.originator_id, entry.version, "stored bytes differ from chain")
        if (entry.originator_id, entry.version) != (event.originator_id, event.version):
            # The hash binds the event's identity: the event is as chained, its entry's identity was rewritten
            return Finding("altered", event.position, event.originator_id, event.version, "chain entry's identity")
        listed = False
        for mark in self.marks_at(event.position):
            listed = listed or mark.aggregate_id is not None
            if mark.hash != new.hash:
                return named(mark, entry.originator_id, entry.version, "differs from the signed checkpoint")
            if mark.aggregate_id is not None and (mark.aggregate_id, mark.version) != (
                display_id(event.originator_id),
                event.version,
            ):
                detail = "the signed checkpoint lists another identity here"
                return Finding("altered", event.position, event.originator_id, event.version, detail)
        if not listed and self.covered(event.position):
            return Finding("inserted", event.position, event.originator_id, event.version, "not in its checkpoint")
        self.report.events += 1
        self.report.head = new
        if event.topic == SEALED_TOPIC:
            self.report.sealed_ranges.append(sealed_range(event))
        return None

    def unchained(self, event: Stored) -> Finding | None:
        """An event without a chain entry: moved from its chained position, or written by someone else."""
        for mark in self.marks_at(event.position):
            return named(mark, event.originator_id, event.version, "chain entry gone; not what the checkpoint signed")
        elsewhere = self.chained_elsewhere(event)
        if elsewhere is not None:
            return Finding("reordered", elsewhere, event.originator_id, event.version, f"now at {event.position}")
        where = " (inside a signed checkpoint's range)" if self.covered(event.position) else ""
        finding = Finding("unchained", event.position, event.originator_id, event.version, "no chain link" + where)
        if self.skip_unchained and not where:
            self.report.unchained.append(finding)
            return None
        return finding

    def recall_aggregate(self, originator_id: str) -> None:
        """Started after a checkpoint's head: the aggregate's last hash at or before it, from the chain, once."""
        if self.start is None or originator_id in self.linker.last:
            return
        query = self.dialect.q(AGGREGATE_HASH_AT)
        self.cursor.execute(query, (self.dialect.param(originator_id), self.start.position))
        rows = self.cursor.fetchall()
        if rows:
            self.linker.last[originator_id] = bytes(rows[0][0])

    def chained_elsewhere(self, event: Stored) -> int | None:
        """The position the chain gives this event's identity, if any."""
        self.cursor.execute(self.dialect.q(LINK_OF_EVENT), (self.dialect.param(event.originator_id), event.version))
        rows = self.cursor.fetchall()
        return int(rows[0][0]) if rows else None

    def marks_missing_before(self, position: int | None) -> Finding | None:
        """A checkpoint mark at a position before `position` (or anywhere, at the end) names a removed event."""
        marks = self.index.marks
        if self.mark < len(marks) and (position is None or marks[self.mark].position < position):
            mark = marks[self.mark]
            return Finding("removed", mark.position, mark.aggregate_id, mark.version, "listed by a signed checkpoint")
        return None

    def marks_at(self, position: int) -> Iterator[Mark]:
        """The checkpoints' marks at a position, consumed."""
        marks = self.index.marks
        while self.mark < len(marks) and marks[self.mark].position == position:
            self.mark += 1
            yield marks[self.mark - 1]

    def covered(self, position: int) -> bool:
        """Whether a checkpoint lists every event stored at positions around this one."""
        ranges = self.index.ranges
        while self.range < len(ranges) and ranges[self.range][1] < position:
            self.range += 1
        return self.range < len(ranges) and ranges[self.range][0] < position <= ranges[self.range][1]
