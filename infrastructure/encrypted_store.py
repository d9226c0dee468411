"""The event store with keys: its mapper seals fields under the key ring, and erasure destroys a key."""

from __future__ import annotations

from uuid import UUID

from eventsourcing.persistence import Mapper
from eventsourcing.utils import EnvType

from application.mentorat import Mentorat
from infrastructure.data_keys import KeyRing
from infrastructure.field_mapper import FieldMapper


class EncryptedMentorat(Mentorat):
    """The event store whose mapper seals fields under the key ring, and whose erasure destroys a person's key."""

    name = Mentorat.name

    def __init__(self, env: EnvType | None, keys: KeyRing) -> None:
        self.keys = keys
        super().__init__(env=env)

    def construct_mapper(self) -> Mapper[UUID]:
        mapper = super().construct_mapper()
        if not isinstance(mapper, FieldMapper):
            raise TypeError("MAPPER_TOPIC must name infrastructure.field_mapper:FieldMapper")
        mapper.keys = self.keys  # a fresh mapper of this store's own: no copy needed
        return mapper

    def forget(self, person_id: UUID) -> None:
        self.keys.destroy(person_id)

    def close(self) -> None:
        super().close()
        self.keys.close()
