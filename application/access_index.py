"""What a request must know at once, kept beside the events in their own transaction: credentials, people, scopes.

Authentication is one indexed lookup of the token's credential and one of its holder, never a replay of their
aggregates. The rows are derived from the aggregates a save stores (their state after the command), handed to
the recorder with the events (`save(index=...)`), and upserted by version, so the row is always the latest
committed state: a deactivation or an erasure stops a token in the same transaction that records it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, runtime_checkable
from uuid import UUID

from application.address_keys import AddressKeys
from domain.credential import Credential
from domain.mentorship import Mentorship
from domain.participant import Participant
from domain.values import Role


@dataclass(frozen=True)
class CredentialRow:
    """A code or a token as authentication needs it (never the secret: its keyed hash names the row)."""

    credential_id: UUID
    version: int
    participant_id: UUID
    kind: str
    expires_at: datetime
    used: bool
    binding: str


@dataclass(frozen=True)
class PersonRow:
    """A participant as authentication and scope need them: no name, no e-mail (those stay sealed in the events)."""

    participant_id: UUID
    version: int
    programme_id: UUID
    role: str
    active: bool


@dataclass(frozen=True)
class ScopeRow:
    """A mentorship as scope checks need it: its programme and parties, never its content."""

    id: UUID
    version: int
    programme_id: UUID
    mentor_id: UUID
    mentee_id: UUID
    status: str

    def role_of(self, participant_id: UUID | None) -> str | None:
        """The participant's role in this mentorship, if a party (as `Mentorship.role_of`)."""
        if participant_id == self.mentor_id:
            return Role.MENTOR.value
        if participant_id == self.mentee_id:
            return Role.MENTEE.value
        return None


@dataclass(frozen=True)
class AddressRow:
    """A participant's entry in the blind index of addresses: the keyed hash of their address, never the address.

    `address_key` is None once the person is erased (or has no address): the row then finds nobody, and its
    version keeps an older upsert (a rebuild racing the erasure) from bringing the key back.
    """

    participant_id: UUID
    version: int
    address_key: str | None


@dataclass(frozen=True)
class NameRow:
    """A participant's name as pages read it: sealed under their own data key, never in clear.

    `sealed_name` is None once the person is erased: the row then names nobody, and its version keeps an older
    upsert (a rebuild racing the erasure) from bringing the name back. A row whose key is gone reads `[erased]`.
    """

    participant_id: UUID
    version: int
    programme_id: UUID
    role: str
    sealed_name: bytes | None


@dataclass(frozen=True)
class IndexRows:
    """The rows one save writes beside its events."""

    credentials: tuple[CredentialRow, ...] = ()
    people: tuple[PersonRow, ...] = ()
    scopes: tuple[ScopeRow, ...] = ()
    addresses: tuple[AddressRow, ...] = ()
    names: tuple[NameRow, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.credentials or self.people or self.scopes or self.addresses or self.names)


@runtime_checkable
class NameSeal(Protocol):
    """Sealing a name under its person's data key, and opening it (a store with keys)."""

    def seal(self, person: UUID, name: str) -> bytes:
        """The name sealed under the person's key."""

    def open(self, person: UUID, sealed: bytes) -> str | None:
        """The name, or None once the person's key is gone."""


@runtime_checkable
class AccessIndex(Protocol):
    """The store's index of credentials and people (its recorder)."""

    def credential_row(self, credential_id: UUID) -> CredentialRow | None:
        """The credential with this id, if any."""

    def person_row(self, participant_id: UUID) -> PersonRow | None:
        """The participant with this id, if any."""

    def holder(self, credential_id: UUID) -> tuple[CredentialRow, PersonRow] | None:
        """The credential with this id and the participant holding it, in one lookup."""

    def scope_row(self, mentorship_id: UUID) -> ScopeRow | None:
        """The mentorship with this id, if any."""

    def index_built(self) -> bool:
        """Whether the index holds every credential and participant of the store."""

    def write_index(self, rows: IndexRows) -> None:
        """Upsert rows in a transaction of their own (building the index)."""

    def mark_index_built(self, now: datetime) -> None:
        """Record that the index is built."""


@runtime_checkable
class AddressIndex(Protocol):
    """The store's blind index of addresses (its recorder)."""

    def holders_of(self, address_key: str) -> Sequence[UUID]:
        """The active participants whose address has this key."""

    def address_row(self, participant_id: UUID) -> AddressRow | None:
        """A participant's row, if any."""

    def address_index_built(self) -> bool:
        """Whether the index holds every participant of the store."""

    def write_index(self, rows: IndexRows) -> None:
        """Upsert rows in a transaction of their own (building the index)."""

    def mark_address_index_built(self, now: datetime) -> None:
        """Record that the index is built."""


def index_rows(
    aggregates: Iterable[object], address_keys: AddressKeys | None = None, name_seal: NameSeal | None = None
) -> IndexRows:
    """The index rows of the credentials and participants among the aggregates a save stores.

    Without `address_keys` (a store without keys), a participant's address row is written only once it finds
    nobody (erased, or no address): the store cannot read an address, nor key it. So for the names table
    without `name_seal`.
    """
    credentials, people, scopes, addresses, names = [], [], [], [], []
    for aggregate in aggregates:
        if isinstance(aggregate, Credential):
            credentials.append(credential_row(aggregate))
        elif isinstance(aggregate, Participant):
            people.append(person_row(aggregate))
            address = address_row(aggregate, address_keys)
            if address is not None:
                addresses.append(address)
            named = name_row(aggregate, name_seal)
            if named is not None:
                names.append(named)
        elif isinstance(aggregate, Mentorship):
            m = aggregate
            scopes.append(ScopeRow(m.id, m.version, m.programme_id, m.mentor_id, m.mentee_id, m.status))
    return IndexRows(tuple(credentials), tuple(people), tuple(scopes), tuple(addresses), tuple(names))


def name_row(participant: Participant, seal: NameSeal | None) -> NameRow | None:
    """A participant's name row: their name sealed; no name once erased; None if unreadable (a store without keys)."""
    p = participant
    if p.erased:
        return NameRow(p.id, p.version, p.programme_id, p.role, None)
    if seal is None or not isinstance(p.name, str):
        return None  # sealed (a store without keys, or a key gone before the erasure is read): leave the row
    return NameRow(p.id, p.version, p.programme_id, p.role, seal.seal(p.id, p.name))


@runtime_checkable
class NamesIndex(Protocol):
    """The store's table of sealed names (its recorder)."""

    def name_rows(self, programme_id: UUID, participant_ids: Sequence[UUID]) -> Sequence[NameRow]:
        """The rows of these participants of this programme, in one query."""

    def names_built(self) -> bool:
        """Whether the table holds every participant of the store."""

    def write_index(self, rows: IndexRows) -> None:
        """Upsert rows in a transaction of their own (building the table)."""

    def mark_names_built(self, now: datetime) -> None:
        """Record that the table is built."""


def address_row(participant: Participant, keys: AddressKeys | None) -> AddressRow | None:
    """A participant's address row: their address keyed; no key once erased or without one; None if unreadable."""
    p = participant
    if p.erased or p.email is None:
        return AddressRow(p.id, p.version, None)
    if keys is None or not isinstance(p.email, str):
        return None  # sealed (a store without keys): leave the row as it is
    return AddressRow(p.id, p.version, keys.key_of(p.email))


def credential_row(credential: Credential) -> CredentialRow:
    """A credential's row, from its state."""
    return CredentialRow(
        credential.id,
        credential.version,
        credential.participant_id,
        credential.kind,
        credential.expires_at,
        credential.used,
        credential.binding,
    )


def person_row(participant: Participant) -> PersonRow:
    """A participant's row, from their state."""
    p = participant
    return PersonRow(p.id, p.version, p.programme_id, p.role, p.active)
