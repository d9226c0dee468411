"""The base of every event: who did it and when it happened in the world."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from eventsourcing.domain import Aggregate


class MentoratEvent(Aggregate.Event):
    """An event with its actor and `occurred_at`; `timestamp` is when it was recorded."""

    actor_id: UUID | None
    actor_role: str
    occurred_at: datetime


class MentoratCreated(MentoratEvent, Aggregate.Created):
    """The first event of an aggregate."""


class MentoratAggregate(Aggregate):
    """An aggregate whose events all carry actor, occurred_at and the injected clock's time."""

    def _happen(
        self,
        event_class: type[MentoratEvent],
        actor_id: UUID | None,
        actor_role: str,
        now: datetime,
        occurred_at: datetime | None = None,
        **fields: object,
    ) -> None:
        """Trigger an event; call it last, once every check has passed."""
        self.trigger_event(
            event_class,
            actor_id=actor_id,
            actor_role=actor_role,
            occurred_at=occurred_at or now,
            timestamp=now,
            **fields,
        )
