"""The operator's sealing of stored events that have no chain link (a store written before the chain existed).

One aggregate per act: who sealed which range of positions, and how many events it held. The event is chained
like every other, so the sealing itself stays in the verifiable history.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from domain.errors import InvalidValue, Reason
from domain.events import MentoratAggregate, MentoratCreated
from domain.values import Actor


class StoreSealing(MentoratAggregate):
    """One operator's sealing of the events stored without a chain link, from `first_position` to `last_position`."""

    TOPIC = "domain.store_sealing:StoreSealing"  # explicit: stored histories name the classes so

    class Created(MentoratCreated):
        """The library's creation event, never stored for this aggregate (its own is `HistorySealed`)."""

        TOPIC = "domain.store_sealing:StoreSealing.Created"

    class HistorySealed(MentoratCreated):
        """The operator chained `count` events found without a link, at positions first to last (inclusive)."""

        TOPIC = "domain.store_sealing:StoreSealing.HistorySealed"

        first_position: int
        last_position: int
        count: int

    def __init__(self, first_position: int, last_position: int, count: int, **_: Any) -> None:
        self.first_position = first_position
        self.last_position = last_position
        self.count = count

    @classmethod
    def seal(
        cls, sealing_id: UUID, first_position: int, last_position: int, count: int, actor: Actor, now: datetime
    ) -> StoreSealing:
        """Record the sealing of `count` unchained events between two positions, by this actor, now."""
        if not 1 <= count <= last_position - first_position + 1:
            raise InvalidValue("count", reason=Reason.OUT_OF_RANGE)
        return cls._create(
            cls.HistorySealed,
            id=sealing_id,
            first_position=first_position,
            last_position=last_position,
            count=count,
            actor_id=actor.id,
            actor_role=actor.role,
            occurred_at=now,
            timestamp=now,
        )
