"""One read of the log for several read models: each batch is read and decoded once and handed to every model behind.

The batch starts at the lowest position among the models; each model gets the events after its own position
that it folds (`ReadModel.folds`), and records the batch's last position. A notification is decoded only
when a model behind it folds its class: the stored topic is resolved first (a moved class keeps its stored
topic, which the library's registry resolves), and a topic that does not resolve is everyone's, so it stops
every model. A model that meets an event it cannot process keeps the events before it, records the position
just before it and drops out of the pass with a `ProjectionError`; the other models go on as far as they can.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from eventsourcing.persistence import ApplicationRecorder, Mapper, Notification
from eventsourcing.utils import resolve_topic

from projections.follower import Follower
from projections.read_model import ProjectionError

UNRESOLVED = object()  # a topic that names no class: every model needs it (decoding it fails for all)


class TopicFilter:
    """Which stored topics name a class a given set of models folds (resolved once per topic)."""

    def __init__(self) -> None:
        self._classes: dict[str, Any] = {}

    def kind(self, topic: str) -> Any:
        """The class a stored topic names, or `UNRESOLVED`."""
        try:
            return self._classes[topic]
        except KeyError:
            try:
                found: Any = resolve_topic(topic)
            except Exception:  # the decode below raises it again, for each model, at its position
                found = UNRESOLVED
            self._classes[topic] = found
            return found


@dataclass
class Outcome:
    """Where one shared catch-up left each model, and the models that stopped on an event."""

    positions: dict[str, int] = field(default_factory=dict)
    failures: list[ProjectionError] = field(default_factory=list)

    def raise_first(self) -> dict[str, int]:
        """The positions, or the first failure raised once the other models went as far as they could."""
        if self.failures:
            raise self.failures[0]
        return self.positions


@dataclass
class _Batch:
    """One read of the log, decoded for the models behind it."""

    last: int
    events: list[tuple[int, Any, Any]]  # (position, class, event) of the notifications some model needed
    broken: dict[int, Exception]  # position -> why it could not be decoded


class SharedPass:
    """Brings several followers' read models up to date from one reader of the store."""

    def __init__(
        self,
        followers: Iterable[Follower],
        recorder: ApplicationRecorder,
        mapper: Mapper[Any],
        batch_size: int,
        writers: int = 1,
    ) -> None:
        self.followers = {follower.name: follower for follower in followers}
        self.writers = writers  # models written at once (PostgreSQL: each on a connection of its own)
        self.recorder = recorder
        self.mapper = mapper  # keyless: sealed fields stay sealed
        self.batch_size = batch_size
        self.topics = TopicFilter()
        self._folds = {name: frozenset(f.view.model.folds()) for name, f in self.followers.items()}

    def catch_up(
        self,
        names: Iterable[str],
        held: Callable[[], Collection[str]] | None = None,
        progress: Callable[[int, int], None] | None = None,
    ) -> Outcome:
        """Project every batch there is into the named models; a failing model stops, the others go on.

        With `held`, the models are asked again before each batch: one this process came to hold joins the
        pass (the next batch starts at its position), one it no longer holds leaves it. `progress` hears
        (position reached, last position stored when the pass began) after each batch: counts, never content.
        """
        outcome = Outcome()
        at = {name: self.followers[name].view.position() for name in dict.fromkeys(names)}
        last = 0 if progress is None else self.recorder.max_notification_id() or 0
        while at or held is not None:
            if held is not None:
                self._rejoin(at, outcome, held())
            if not at:
                break
            start = min(at.values())
            notifications = self.recorder.select_notifications(start, self.batch_size, inclusive_of_start=False)
            if not notifications:
                break
            batch = self._decode(notifications, at)
            behind = [name for name, position in at.items() if position < batch.last]
            for name, reached in zip(behind, self._each(behind, at, batch), strict=True):
                if isinstance(reached, ProjectionError):
                    outcome.failures.append(reached)
                    outcome.positions[name] = self.followers[name].view.position()
                    del at[name]
                else:
                    at[name] = reached
            if progress is not None:
                progress(min(batch.last, last), last)
        outcome.positions.update(at)
        for name, position in outcome.positions.items():
            self.followers[name].reached(position)
        return outcome

    def _rejoin(self, at: dict[str, int], outcome: Outcome, held: Collection[str]) -> None:
        """Let the models now held join the pass and those no longer held leave it (failed ones stay out)."""
        stopped = {error.model for error in outcome.failures}
        for name in [name for name in at if name not in held]:
            outcome.positions[name] = at.pop(name)
        for name in held:
            if name not in at and name not in stopped:
                outcome.positions.pop(name, None)
                at[name] = self.followers[name].view.position()

    def _each(self, names: list[str], at: dict[str, int], batch: _Batch) -> list[int | ProjectionError]:
        """Project the batch into each model (several at once when allowed): its position, or where it stopped."""

        def one(name: str) -> int | ProjectionError:
            try:
                return self._project(name, at[name], batch)
            except ProjectionError as error:
                return error

        if self.writers <= 1 or len(names) <= 1:
            return [one(name) for name in names]
        # While one model's statements run in the database, the next model's batch is folded here.
        with ThreadPoolExecutor(min(self.writers, len(names)), thread_name_prefix="projector-write") as pool:
            return list(pool.map(one, names))

    def _lowest(self, kind: Any, at: dict[str, int]) -> int | None:
        """The lowest position among the models that fold `kind` (an unresolved topic: every model); None: none does."""
        positions = [p for n, p in at.items() if kind is UNRESOLVED or kind in self._folds[n]]
        return min(positions) if positions else None

    def _decode(self, notifications: Sequence[Notification], at: dict[str, int]) -> _Batch:
        batch = _Batch(notifications[-1].id, [], {})
        lowest: dict[Any, int | None] = {}  # per class: a notification after this position is needed
        for notification in notifications:
            kind = self.topics.kind(notification.topic)
            if kind not in lowest:
                lowest[kind] = self._lowest(kind, at)
            needed_after = lowest[kind]
            if needed_after is None or notification.id <= needed_after:
                continue
            try:
                event = self.mapper.to_domain_event(notification)
            except Exception as error:
                batch.broken[notification.id] = error
                continue
            batch.events.append((notification.id, type(event), event))
        if batch.broken:  # an event that cannot be decoded concerns the models that fold its topic
            for position in batch.broken:
                kind = self.topics.kind(next(n.topic for n in notifications if n.id == position))
                batch.events.append((position, kind, None))
            batch.events.sort(key=lambda item: item[0])
        return batch

    def _project(self, name: str, after: int, batch: _Batch) -> int:
        """Hand one model its events of the batch; answer its position (raise where it stopped)."""
        follower, folds = self.followers[name], self._folds[name]
        mine: list[tuple[int, Any]] = []
        for position, kind, event in batch.events:
            if position <= after or (kind is not UNRESOLVED and kind not in folds):
                continue
            if position in batch.broken:
                self._keep_before(follower, mine, position, after)
                raise ProjectionError(name, position, batch.broken[position])
            mine.append((position, event))
        try:
            reached = follower.view.project(mine, through=batch.last, after=after)
        except ProjectionError as error:
            self._keep_before(follower, [e for e in mine if e[0] < error.position], error.position, after)
            raise
        follower.advanced()
        return reached

    @staticmethod
    def _keep_before(follower: Follower, events: Collection[tuple[int, Any]], position: int, after: int) -> None:
        """Record the events before the one a model cannot process, through the position just before it."""
        if position - 1 > after:
            follower.view.project(list(events), through=position - 1, after=after)
            follower.advanced()
