"""A dispute's lifecycle (R7, R8), once: the aggregate, the journal and the summary all fold disputes here."""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any
from uuid import UUID

from domain.values import ConsultationTopic, Outcome

# open -> settled (one party's word), reconciled (a dispute consultation whose outcome is Outcome.RECONCILED)
#      or closed_by_end (the relationship ended while it was open); a closed dispute never changes again
OPEN, SETTLED, RECONCILED, CLOSED_BY_END = "open", "settled", "reconciled", "closed_by_end"
# Event class names, so this module needs no import of the aggregate (which imports it)
RAISED, SETTLED_EVENT, CONSULTED, ENDED = "DisputeRaised", "DisputeSettled", "CoordinatorConsulted", "RelationshipEnded"


def next_status(status: str | None, event: Any) -> str | None:
    """A dispute's status after an event that concerns it (see `concerned`), given its status before (None: none)."""
    kind = type(event).__name__
    if kind == RAISED:
        return OPEN
    if status != OPEN:
        return status
    if kind == SETTLED_EVENT:
        return SETTLED
    if kind == CONSULTED and event.topic == ConsultationTopic.DISPUTE and event.outcome == Outcome.RECONCILED:
        return RECONCILED
    if kind == ENDED:
        return CLOSED_BY_END
    return status


def concerned(event: Any) -> list[UUID] | None:
    """The disputes an event speaks of by id (None: every dispute of the mentorship, as an end does)."""
    kind = type(event).__name__
    if kind in (RAISED, SETTLED_EVENT) or (kind == CONSULTED and event.dispute_id is not None):
        return [event.dispute_id]
    if kind == ENDED:
        return None
    return []


def fold(statuses: MutableMapping[Any, str], event: Any, key: Any = lambda dispute_id: dispute_id) -> None:
    """Apply one event to a mentorship's disputes (keyed by `key(dispute_id)`), in place."""
    ids = concerned(event)
    keys = list(statuses) if ids is None else [key(dispute_id) for dispute_id in ids]
    for dispute in keys:
        status = next_status(statuses.get(dispute), event)
        if status is not None:
            statuses[dispute] = status
