"""Field-level encryption: content under its author's key, personal data under its subject's, bound to its place.

`FieldMapper` is the library's mapper (its optional whole-event cipher and compressor still apply) that seals the
confidential fields of MISSION section 3 with AES-256-GCM before the event is transcoded, with the aggregate id,
the version and the field's name as associated data: a ciphertext moved to another event or field does not open.
Built from `MAPPER_TOPIC` alone it holds no keys: it decodes each sealed field as a `Sealed` value (the marked
value the read side sees) and refuses to store a confidential text in clear. A sealed field's name is part of its
place: an upcaster must not rename one.
"""

from __future__ import annotations

import base64
import logging
import secrets
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from cryptography.exceptions import InvalidTag
from eventsourcing.domain import CanSnapshotAggregate, DomainEventProtocol
from eventsourcing.persistence import Cipher, Compressor, JSONTranscoder, Mapper, StoredEvent, Transcoder, Transcoding
from eventsourcing.utils import resolve_topic

from domain.mentorship import Mentorship as M
from domain.participant import Participant as P
from domain.programme import Programme
from infrastructure.data_keys import NONCE_BYTES, KeyRing

log = logging.getLogger("mentorat.encryption")
AUTHOR, SUBJECT = "actor_id", "originator_id"  # whose key seals a field: the event's actor, or the aggregate itself
SEALED_FIELDS: dict[type[Any], dict[str, str]] = {
    M.ObjectiveAdded: {"text": AUTHOR},
    M.AgendaSubmitted: {"agenda": AUTHOR},
    M.MeetingHeld: {"notes": AUTHOR},
    M.MeetingCancelled: {"note": AUTHOR},
    M.SatisfactionReported: {"comment": AUTHOR},
    M.DisputeRaised: {"summary": AUTHOR},
    M.CoordinatorConsulted: {"note": AUTHOR},
    M.RelationshipEnded: {"note": AUTHOR},
    P.ParticipantRegistered: {"name": SUBJECT, "email": SUBJECT},
}
CONFIDENTIAL = frozenset({"notes", "agenda", "text", "summary", "note", "comment", "name", "email"})
# A programme's name is no one's personal data.
IN_CLEAR: frozenset[tuple[type[Any], str]] = frozenset({(Programme.ProgrammeLaunched, "name"), (Programme, "name")})


class UnsealedField(TypeError):
    """A confidential field would be stored in clear: refused."""


@dataclass(frozen=True)
class Sealed:
    """A field as stored: AES-GCM ciphertext under one person's key. Unopened, it is the marked value readers get."""

    person: UUID
    blob: bytes = field(repr=False)


class SealedAsText(Transcoding):
    """A sealed field as `<person hex>:<base64 of nonce and ciphertext>`."""

    type = Sealed
    name = "sealed"

    def encode(self, obj: Sealed) -> str:
        return f"{obj.person.hex}:{base64.b64encode(obj.blob).decode()}"

    def decode(self, data: str) -> Sealed:
        person, _, blob = data.partition(":")
        return Sealed(UUID(hex=person), base64.b64decode(blob))


def place(aggregate_id: UUID, version: int, name: str) -> bytes:
    """The associated data binding a ciphertext to its aggregate, version and field."""
    return f"mentorat/field/v1/{aggregate_id}/{version}/{name}".encode()


class FieldMapper(Mapper[UUID]):
    """Seals content and personal fields on the way to the store and opens them, key permitting, on the way back."""

    def __init__(
        self,
        transcoder: Transcoder,
        compressor: Compressor | None = None,
        cipher: Cipher | None = None,
        keys: KeyRing | None = None,
    ) -> None:
        super().__init__(transcoder, compressor, cipher)
        if not isinstance(transcoder, JSONTranscoder):
            raise TypeError("FieldMapper needs the JSON transcoder")
        transcoder.register(SealedAsText())
        self.keys = keys

    def with_keys(self, keys: KeyRing | None) -> FieldMapper:
        """The same mapper over a key ring (None: keyless)."""
        return FieldMapper(self.transcoder, self.compressor, self.cipher, keys)

    def to_stored_event(self, domain_event: DomainEventProtocol[UUID]) -> StoredEvent:
        state = vars(domain_event)
        sealed = {name: self._seal(domain_event, name, owner) for name, owner in self._owners(domain_event).items()}
        if sealed:
            copy = object.__new__(type(domain_event))
            object.__setattr__(copy, "__dict__", {**state, **sealed})
            domain_event = copy
        return super().to_stored_event(domain_event)

    def to_domain_event(self, stored_event: StoredEvent) -> DomainEventProtocol[UUID]:
        event = super().to_domain_event(stored_event)
        if self.keys is not None:
            state = vars(event)
            for name, value in state.items():
                if isinstance(value, Sealed):
                    state[name] = self._open(value, place(event.originator_id, event.originator_version, name))
        return event

    def _owners(self, event: DomainEventProtocol[UUID]) -> dict[str, UUID]:
        """The confidential fields to seal, with whose key; any other confidential text is refused."""
        cls, state = type(event), vars(event)
        if isinstance(event, CanSnapshotAggregate):
            check_snapshot(event)
        rules = SEALED_FIELDS.get(cls, {})
        for name in CONFIDENTIAL & state.keys() - rules.keys():
            if state[name] is not None and (cls, name) not in IN_CLEAR:
                raise UnsealedField(f"{cls.__qualname__}.{name} has no sealing rule")
        owners = {}
        for name, owner in rules.items():
            if isinstance(state.get(name), str):
                person = state[owner]
                if not isinstance(person, UUID):
                    raise UnsealedField(f"{cls.__qualname__}.{name} has no person to seal it for")
                owners[name] = person
            elif state.get(name) is not None and not isinstance(state.get(name), Sealed):
                raise UnsealedField(f"{cls.__qualname__}.{name} is neither text nor sealed")
        return owners

    def _seal(self, event: DomainEventProtocol[UUID], name: str, person: UUID) -> Sealed:
        if self.keys is None:
            raise UnsealedField(f"{type(event).__qualname__}.{name}: a mapper without keys cannot store it")
        text: str = vars(event)[name]
        ad = place(event.originator_id, event.originator_version, name)
        return Sealed(person, seal_text(self.keys, person, text, ad))

    def _open(self, sealed: Sealed, ad: bytes) -> str | Sealed:
        assert self.keys is not None
        opened = open_text(self.keys, sealed.person, sealed.blob, ad)
        return sealed if opened is None else opened  # None: erased (the key is gone), or not at its place


def seal_text(keys: KeyRing, person: UUID, text: str, ad: bytes) -> bytes:
    """A text sealed under the person's data key at its place (`ad`): the nonce, then AES-256-GCM's ciphertext."""
    nonce = secrets.token_bytes(NONCE_BYTES)
    return nonce + keys.sealer(person).encrypt(nonce, text.encode(), ad)


def open_text(keys: KeyRing, person: UUID, blob: bytes, ad: bytes) -> str | None:
    """A text `seal_text` sealed, or None: the person's key is gone (erased), or the blob is not at its place."""
    aead = keys.opener(person)
    if aead is None:
        return None
    try:
        return aead.decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], ad).decode()
    except InvalidTag:
        log.warning("a sealed field does not open at its place (%s): left sealed", ad.decode())
        return None


def check_snapshot(snapshot: CanSnapshotAggregate[UUID]) -> None:
    """A snapshot holding a confidential text would store it in clear: refused (Mentorat takes none today)."""
    state: dict[str, Any] = snapshot.state
    aggregate = resolve_topic(snapshot.topic)
    for name in CONFIDENTIAL & state.keys():
        if isinstance(state[name], str) and (aggregate, name) not in IN_CLEAR:
            raise UnsealedField(f"a snapshot of {snapshot.topic} would hold {name} in clear")


def keyless(mapper: Mapper[UUID]) -> Mapper[UUID]:
    """The mapper the read side decodes with: every sealed field stays a `Sealed` value, no key is asked for."""
    return mapper.with_keys(None) if isinstance(mapper, FieldMapper) else mapper
