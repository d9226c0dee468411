"""The event store with keys: its mapper seals fields under the key ring, and erasure destroys a key."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import Mapper
from eventsourcing.utils import EnvType

from application.access_index import NameSeal
from application.mentorat import Mentorat
from application.outbox import OutgoingMessage
from infrastructure.data_keys import KeyRing
from infrastructure.field_mapper import FieldMapper
from infrastructure.names_table import KeyRingNames
from infrastructure.outbox_table import seal_message
from infrastructure.times import now_utc


class EncryptedMentorat(Mentorat):
    """The event store whose mapper seals fields under the key ring, and whose erasure destroys a person's key."""

    name = Mentorat.name

    def __init__(self, env: EnvType | None, keys: KeyRing) -> None:
        self.keys = keys
        self._names = KeyRingNames(keys)
        self.outbox_written = threading.Event()  # wakes this process's delivery worker after a commit
        super().__init__(env=env)

    def construct_mapper(self) -> Mapper[UUID]:
        mapper = super().construct_mapper()
        if not isinstance(mapper, FieldMapper):
            raise TypeError("MAPPER_TOPIC must name infrastructure.field_mapper:FieldMapper")
        mapper.keys = self.keys  # a fresh mapper of this store's own: no copy needed
        return mapper

    @property
    def name_seal(self) -> NameSeal:
        return self._names

    def derived_secret(self, purpose: str) -> bytes:
        return self.keys.derived_secret(purpose)

    def sealed_messages(self, messages: Sequence[OutgoingMessage]) -> list[Any]:
        return [seal_message(self.keys, message, now_utc()) for message in messages]

    def commit(self, *aggregates: Any, outbox: Sequence[OutgoingMessage] = (), **kwargs: Any) -> int:
        position = super().commit(*aggregates, outbox=outbox, **kwargs)
        if outbox:
            self.outbox_written.set()
        return position

    def forget(self, person_id: UUID) -> None:
        self.keys.destroy(person_id)

    def close(self) -> None:
        super().close()
        self.keys.close()
