"""The one event store of the system (one sequence of positions) and its error translation."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from functools import cached_property
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application, Repository
from eventsourcing.domain import Aggregate, DomainEventProtocol, MutableOrImmutableAggregate
from eventsourcing.persistence import IntegrityError, JSONTranscoder, Recording, Transcoding

from application.access_index import NameSeal, index_rows
from application.address_keys import ADDRESS_PURPOSE, AddressKeys
from application.errors import NotFound, PreconditionFailed, VersionConflict
from application.outbox import OutgoingMessage
from domain.mentorship import Mentorship
from domain.programme import Programme

A = TypeVar("A", bound=Aggregate)
MENTORSHIP_CACHE_SIZE = "MENTORSHIP_CACHE_SIZE"  # how many mentorships (and programmes) a process keeps
CACHED = (Mentorship, Programme)  # their state holds no content nor personal data: nothing an erasure must reach


class KeysUnavailable(RuntimeError):
    """This store was built without keys: erasure and mail need the store with keys (`bootstrap.service`)."""

    def __init__(self) -> None:
        super().__init__(self.__doc__)


class DateAsISO(Transcoding):
    """Dates as ISO 8601 text (the library has no built-in transcoding for `date`)."""

    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)


@dataclass(frozen=True)
class CommandResult:
    """What a command answers: the changed aggregate's version, the store position, and its own data."""

    aggregate_id: UUID
    version: int
    position: int
    data: dict[str, Any] = field(default_factory=dict)

    def body(self) -> dict[str, Any]:
        """The command's 2xx answer: its own data, the version and the position."""
        return {**self.data, "version": self.version, "position": self.position}


class Mentorat(Application[UUID]):
    """The event store holding every programme, participant, credential and mentorship."""

    name = "Mentorat"

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(DateAsISO())

    @cached_property
    def mentorships(self) -> Repository[UUID]:
        """Mentorships and programmes for commands: cached, each first fast-forwarded through the events stored since.

        A command then decodes only what was added since this process last loaded the mentorship, not its
        whole history (`make bench`, "load a mentorship"). Only these two: their state holds no content
        (dates, statuses, flags, a programme's settings), so a cached copy keeps nothing an erasure must reach;
        a participant's name would be kept in clear. `MENTORSHIP_CACHE_SIZE` of 0 turns it off.
        """
        size = int(self.env.get(MENTORSHIP_CACHE_SIZE) or 0)
        if not size:
            return self.repository
        return Repository(self.events, cache_maxsize=size, fastforward=True, deepcopy_from_cache=True)

    def load(self, cls: type[A], aggregate_id: UUID) -> A:
        """An aggregate of the given class, or `NotFound`."""
        repository = self.mentorships if cls in CACHED else self.repository
        try:
            aggregate: Aggregate = repository.get(aggregate_id)
        except AggregateNotFoundError:
            raise NotFound from None
        if not isinstance(aggregate, cls):
            raise NotFound
        return aggregate

    def save(
        self, *objects: MutableOrImmutableAggregate[UUID] | DomainEventProtocol[UUID] | None, **kwargs: Any
    ) -> list[Recording[UUID]]:
        """The library's save, with the access index's rows of the credentials and participants it stores."""
        rows = index_rows(objects, self.address_keys, self.name_seal)
        if rows:
            kwargs["index"] = rows
        return super().save(*objects, **kwargs)

    def commit(self, *aggregates: Aggregate, outbox: Sequence[OutgoingMessage] = (), **kwargs: Any) -> int:
        """Save the aggregates atomically, with the messages to send; answer the store's position after them."""
        if outbox:
            kwargs["outbox"] = self.sealed_messages(outbox)
        try:
            recordings = self.save(*aggregates, **kwargs)
        except IntegrityError:
            raise VersionConflict from None
        return max(r.notification.id for r in recordings)

    def execute(
        self,
        subject: Aggregate,
        *others: Aggregate,
        outbox: Sequence[OutgoingMessage] = (),
        replayable: bool = True,
        **data: Any,
    ) -> CommandResult:
        """Save a command's aggregates and answer its result (the subject's version, the position, `data`).

        The pending answer goes down to the recorder with the events (the library passes `save()`'s
        keyword arguments on), so a recorder can commit an idempotency record in the same transaction.
        """
        pending = CommandResult(subject.id, subject.version, 0, data)
        if not replayable:  # an answer holding a bearer secret never goes down to be kept for a replay
            return replace(pending, position=self.commit(subject, *others, outbox=outbox))
        position = self.commit(subject, *others, outbox=outbox, answer=pending)
        return replace(pending, position=position)

    def position(self) -> int:
        """The position of the latest stored event."""
        return self.recorder.max_notification_id() or 0

    @cached_property
    def address_keys(self) -> AddressKeys | None:
        """The keyed function of the addresses' blind index; None for a store without keys (it cannot read them)."""
        try:
            return AddressKeys(self.derived_secret(ADDRESS_PURPOSE))
        except KeysUnavailable:
            return None

    @property
    def name_seal(self) -> NameSeal | None:
        """How the names table's names are sealed and opened; None for a store without keys (it cannot)."""
        return None

    def derived_secret(self, purpose: str) -> bytes:
        """A secret of this deployment for one purpose: only a store built with keys has one; this one refuses."""
        raise KeysUnavailable

    def sealed_messages(self, messages: Sequence[OutgoingMessage]) -> list[Any]:
        """The messages as the recorder stores them, sealed: only a store built with keys can; this one refuses."""
        raise KeysUnavailable

    def forget(self, person_id: UUID) -> None:
        """Destroy the key that reads a person's sealed fields: only a store built with keys can; this one refuses."""
        raise KeysUnavailable


def check_version(current: int, expected: int | None) -> None:
    """Honour `If-Match`: a stale expected version changes nothing."""
    if expected is not None and expected != current:
        raise PreconditionFailed
