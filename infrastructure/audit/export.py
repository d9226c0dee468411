"""A mentorship's history without content, as JSON Lines with the chain hashes.

Each line holds what the audit timeline holds (type, times, actor, version, position: process facts,
never a field of the event's own) plus the event's chain hash and the position of the stored event
before it, so each line can be matched against a signed checkpoint.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from uuid import UUID

from eventsourcing.persistence import Mapper, StoredEvent

from infrastructure.audit.chain import canonical_id
from infrastructure.audit.chain_sql import EVENTS_OF_AGGREGATE, LINKS_OF_AGGREGATE, link, stored
from infrastructure.audit.store import AuditStore
from projections.tables import Rows
from projections.timeline import TimelineModel


def history_lines(store: AuditStore, mapper: Mapper[UUID], aggregate_id: UUID) -> Iterator[dict[str, Any]]:
    """One process-facts-only line per stored event of the aggregate, in version order."""
    oid = store.dialect.param(canonical_id(aggregate_id))
    with store.reading() as cursor:
        cursor.execute(store.dialect.q(EVENTS_OF_AGGREGATE), (oid,))
        events = [stored(row) for row in cursor.fetchall()]
        cursor.execute(store.dialect.q(LINKS_OF_AGGREGATE), (oid,))
        links = {entry.position: entry for entry in (link(row) for row in cursor.fetchall())}
    timeline = TimelineModel()
    for event in events:
        domain_event = mapper.to_domain_event(StoredEvent(aggregate_id, event.version, event.topic, event.state))
        rows = Rows(lambda table, key: None)
        timeline.apply(domain_event, event.position, rows)
        facts = [row for _, upserts, _ in rows.changes() for row in upserts]
        line = facts[0] if facts else {"type": type(domain_event).__name__}
        entry = links.get(event.position)
        yield {
            **line,
            "aggregate_id": str(aggregate_id),
            "version": event.version,
            "position": event.position,
            "hash": None if entry is None else entry.hash.hex(),
            "previous_position": None if entry is None else entry.previous_position,
        }
