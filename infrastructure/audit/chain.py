"""The hash chain: each stored event's SHA-256 over its stored bytes and its two predecessors.

A link covers the event's position, the position of the previous stored event, its originator id
(as stored: the UUID's 32 hex digits), version, topic and state (the mapper's bytes, ciphertext
included), the hash of the previous stored event along the global position and the hash of the
previous event of the same aggregate. Positions need not be contiguous (PostgreSQL burns ids on a
rollback): "previous" always means the previous event that is stored.
"""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass, field
from typing import NamedTuple
from uuid import UUID

DOMAIN = b"mentorat-chain/1"
NONE = b"\x00" * 32
NUMBERS = struct.Struct(">?qqqIII")


def canonical_id(originator_id: UUID | str) -> str:
    """An originator id as the chain hashes it: a UUID's 32 lowercase hex digits, any other id as is."""
    return originator_id.hex if isinstance(originator_id, UUID) else originator_id


def display_id(originator_id: str) -> str:
    """An originator id as the API shows it (a UUID with its dashes)."""
    try:
        return str(UUID(hex=originator_id)) if len(originator_id) == 32 else originator_id
    except ValueError:
        return originator_id


class Stored(NamedTuple):
    """An event as the store holds it, with its position."""

    position: int
    originator_id: str
    version: int
    topic: str
    state: bytes


class Link(NamedTuple):
    """An event's chain entry: its identity, hash and the position of the stored event before it."""

    position: int
    originator_id: str
    version: int
    hash: bytes
    previous_position: int | None


def link_hash(event: Stored, previous: Link | None, aggregate_previous: bytes | None) -> bytes:
    """The SHA-256 of one event, chained to the previous stored event and to its aggregate's previous event."""
    oid, topic = event.originator_id.encode(), event.topic.encode()
    numbers = NUMBERS.pack(
        previous is not None,
        event.position,
        previous.position if previous is not None else 0,
        event.version,
        len(oid),
        len(topic),
        len(event.state),
    )
    digest = hashlib.sha256(DOMAIN)
    digest.update(previous.hash if previous is not None else NONE)
    digest.update(aggregate_previous or NONE)
    digest.update(numbers)
    digest.update(oid)
    digest.update(topic)
    digest.update(event.state)
    return digest.digest()


@dataclass
class Linker:
    """Links events in position order from a head, remembering each aggregate's last hash."""

    head: Link | None
    last: dict[str, bytes] = field(default_factory=dict)

    def link(self, event: Stored) -> Link:
        """The event's link; it becomes the head."""
        previous = self.head
        digest = link_hash(event, previous, self.last.get(event.originator_id))
        self.head = Link(
            event.position,
            event.originator_id,
            event.version,
            digest,
            previous.position if previous is not None else None,
        )
        self.last[event.originator_id] = digest
        return self.head
