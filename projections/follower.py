"""Keeping a read model up to date: read the event store's notifications after its position, in batches.

The library's `ProjectionRunner` handles one event per transaction and does not run on SQLite; this loop
reads a batch of notifications, decodes them once and hands the view the whole batch, which it writes in
one transaction with its position. A `Follower` is also each model's handle for the shared pass
(`projections/shared_pass.py`, what the read side runs): its `progressed` condition and listeners wake readers.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from eventsourcing.persistence import ApplicationRecorder, Mapper

from projections.read_model import ProjectionError
from projections.views import ReadView


class NotificationSource(Protocol):
    """Decoded events after a position, oldest first."""

    def read(self, after: int, limit: int) -> Sequence[tuple[int, Any]]:
        """Up to `limit` (position, event) pairs with a position above `after`."""


class RecorderSource:
    """The event store's notification log, read straight from its recorder and decoded by its mapper.

    The library's `NotificationLog.select` caps a read at its section size (10); the recorder does not.
    """

    def __init__(self, recorder: ApplicationRecorder, mapper: Mapper[Any], model: str = "source") -> None:
        self.recorder = recorder
        self.mapper = mapper
        self.model = model

    def read(self, after: int, limit: int) -> Sequence[tuple[int, Any]]:
        """Decode the notifications after `after`; one that cannot be decoded stops the read, named by position."""
        decoded = []
        for notification in self.recorder.select_notifications(after, limit, inclusive_of_start=False):
            try:
                decoded.append((notification.id, self.mapper.to_domain_event(notification)))
            except Exception as error:
                raise ProjectionError(self.model, notification.id, error, before=decoded) from error
        return decoded


class Follower:
    """One read model kept up to date from a notification source."""

    def __init__(self, view: ReadView, source: NotificationSource, batch_size: int = 1000) -> None:
        self.view = view
        self.source = source
        self.batch_size = batch_size
        self.progressed = threading.Condition()
        self.listeners: list[Callable[[], None]] = []  # called from the follower's thread after each batch
        self._reached: int | None = None  # where this follower last left the read model

    @property
    def name(self) -> str:
        """The read model's name."""
        return self.view.model.name

    def step(self) -> bool:
        """Project one batch after the recorded position; answer whether there was one."""
        after = self.view.position()
        return self._advance(after)[0] != after

    def _advance(self, after: int) -> tuple[int, bool]:
        """Project one batch after `after`: the recorded position now, and whether more may follow."""
        try:
            batch = self.source.read(after, self.batch_size)
        except ProjectionError as error:  # one could not be decoded: project those before it, then stop there
            self._project_before(error, error.before, after)
            raise
        if not batch:
            return after, False
        try:
            reached = self.view.project(batch, through=batch[-1][0], after=after)
        except ProjectionError as error:  # one could not be applied: the same
            self._project_before(error, batch, after)
            raise
        self.advanced()
        # A short batch was the end of the log; a moved position (another projector, a rebuild) reads again.
        return reached, len(batch) == self.batch_size or reached != batch[-1][0]

    def advanced(self) -> None:
        """Tell whoever waits on this read model that it moved (readers of `progressed`, then the listeners)."""
        with self.progressed:
            self.progressed.notify_all()
        for listener in tuple(self.listeners):
            listener()

    def reached(self, position: int) -> None:
        """Note where another driver (the shared pass) left the read model."""
        self._reached = position

    def _project_before(self, error: ProjectionError, batch: Sequence[tuple[int, Any]], after: int) -> None:
        """Keep the events of a batch that precede the one a read model cannot process."""
        good = [(position, event) for position, event in batch if position < error.position]
        if good:
            self.view.project(good, through=good[-1][0], after=after)

    def catch_up(self) -> int:
        """Project every batch there is; answer the position reached."""
        # Start where this follower left off (a stale guess is harmless: `project` compares it under lock).
        guess = self._reached
        position, more = self._advance(self.view.position() if guess is None else guess)
        if guess is not None and position == guess and not more:  # nothing new: was the model reset meanwhile?
            position = self.view.position()
            more = position != guess
        while more:
            position, more = self._advance(position)
        self._reached = position
        return position

    def rebuild(self) -> int:
        """Drop the read model and replay the whole history into it."""
        self._reached = None
        self.view.drop()
        self.view.create()
        return self.catch_up()
