"""What `/metrics` and `/readyz` read from the store: each read model's lag, the outbox's backlog, the last checkpoint.

All of it is read from the store itself, never from the memory of the process that answers, so every process of
a schema (each worker of `serve --workers N`, a `serve --no-projections` beside a `mentorat projector`) gives
the same answer. Counts and times only: no id, no content.

A read model's lag, in events: the store's head position minus the model's recorded position (PostgreSQL's
positions may skip numbers after a rolled-back insert, so this is an upper bound). In seconds: 0 when the model
is caught up, else how long the oldest event it has not folded yet has waited (now minus that event's time):
what a reader of the model misses, and for how long. An idle store with a caught-up model is at 0, whatever the
age of its newest event.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from eventsourcing.persistence import ApplicationRecorder

from bootstrap.mail import outbox_of
from bootstrap.read_side import NAMES, ReadSide
from infrastructure.audit.checkpoint_writer import last_checkpoint_at
from infrastructure.audit.store import audit_store
from infrastructure.times import from_micros

Clock = Callable[[], datetime]


@dataclass(frozen=True)
class Lag:
    """How far one read model is behind the store's head."""

    events: int
    seconds: float


@dataclass(frozen=True)
class Outbox:
    """The messages waiting to be sent: how many, and how long the oldest has waited (0 when none)."""

    waiting: int
    oldest_seconds: float


def head_position(recorder: ApplicationRecorder) -> int:
    """The store's head position, asked once.

    The library retries `max_notification_id` ten times on an `OperationalError` (a statement timeout is one): a
    probe would wait ten statement timeouts. Its retry decorator keeps the plain method as `__wrapped__`.
    """
    once: Any = getattr(type(recorder).max_notification_id, "__wrapped__", None)
    head = once(recorder) if once is not None else recorder.max_notification_id()
    return int(head or 0)


def utc_now() -> datetime:
    """The wall clock, in UTC."""
    return datetime.now(UTC)


class StoreObservation:
    """Reads the store's figures for the API process: lag per read model, outbox backlog, last checkpoint."""

    def __init__(self, read_side: ReadSide, clock: Clock = utc_now) -> None:
        self.read_side = read_side
        self.clock = clock

    def lags(self, names: Iterable[str] = NAMES) -> dict[str, Lag]:
        """Each read model's lag behind the store's head, read now."""
        head = head_position(self.read_side.store.recorder)
        positions = self.read_side.positions(names)
        now = self.clock()
        return {name: self.lag(name, position, head, now) for name, position in positions.items()}

    def lag(self, name: str, position: int, head: int, now: datetime) -> Lag:
        """One model's lag: events behind, and the age of the first event it has not folded (0 if none)."""
        if position >= head:
            return Lag(0, 0.0)
        waiting = self.read_side.followers[name].source.read(position, 1)  # decoded keyless: no content read
        if not waiting:
            return Lag(head - position, 0.0)
        age = (now - waiting[0][1].timestamp).total_seconds()
        return Lag(head - position, max(0.0, age))

    def outbox(self) -> Outbox:
        """The outbox's backlog."""
        backlog = outbox_of(self.read_side.store).backlog()
        if backlog.oldest is None:
            return Outbox(backlog.waiting, 0.0)
        age = (self.clock() - from_micros(backlog.oldest)).total_seconds()
        return Outbox(backlog.waiting, max(0.0, age))

    def last_checkpoint(self) -> datetime | None:
        """When the last checkpoint was written (the checkpoints table every writer records in), or None."""
        return last_checkpoint_at(audit_store(self.read_side.store.recorder))
