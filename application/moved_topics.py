"""Old topics of moved classes: a stored event names its class by `module:QualName`, so a move registers the old one."""

from __future__ import annotations

from eventsourcing.domain import Aggregate
from eventsourcing.utils import register_topic

from domain.access_record import AccessRecord

# Old topic (as stored by earlier releases) -> the class it names now; nested event classes follow their aggregate.
MOVED: dict[str, type[Aggregate]] = {
    "domain.access:AccessRecord": AccessRecord,  # domain/access.py became domain/access_record.py
}


def register_moved_topics() -> None:
    """Make every old topic resolve to its class (idempotent)."""
    for topic, cls in MOVED.items():
        register_topic(topic, cls)
