"""Signed checkpoints: the chain's entries since the previous checkpoint, and its head, signed with Ed25519.

A checkpoint is a block of JSON Lines, meant to be copied to storage the application cannot rewrite:
a header (format, time, key fingerprint, the previous checkpoint's head it continues from), one line
`[position, aggregate id, version, hash]` per chained event it covers, a line naming its head and count,
then the signature of the SHA-256 of those lines' exact bytes. A file may hold several blocks.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from api.audit.chain import Link, display_id
from api.audit.keys import fingerprint
from api.audit.store import AuditStore
from api.audit.tables import LAST_CHECKPOINT, LINKS_AFTER, RECORD_CHECKPOINT, Cursor, link

FORMAT = "mentorat-checkpoint/1"
PAGE = 50_000


class BadCheckpoint(ValueError):
    """A checkpoint file that is malformed or whose signature does not verify."""


class Mark(NamedTuple):
    """What a checkpoint says of one position (an anchor carries no identity)."""

    position: int
    aggregate_id: str | None
    version: int | None
    hash: bytes


@dataclass(frozen=True)
class Written:
    """A checkpoint just written."""

    path: Path
    after: int | None
    head: int | None
    events: int


def signed_message(digest: bytes) -> bytes:
    """What the key signs: the format and the digest of the block's lines."""
    return FORMAT.encode() + b"\n" + digest


def links_after(cursor: Cursor, store: AuditStore, after: int | None) -> Iterator[Link]:
    """Chain entries after a position, in position order, a page at a time."""
    position = -(2**63) if after is None else after
    while True:
        cursor.execute(store.dialect.q(LINKS_AFTER), (position, PAGE))
        page = [link(row) for row in cursor.fetchall()]
        yield from page
        if len(page) < PAGE:
            return
        position = page[-1].position


def continued_from(cursor: Cursor, store: AuditStore) -> tuple[int, bytes] | None:
    """The last recorded checkpoint's head, while the chain still holds it (else start over from the start)."""
    cursor.execute(store.dialect.q(LAST_CHECKPOINT), ())
    rows = cursor.fetchall()
    if not rows:
        return None
    position, digest = int(rows[0][0]), bytes(rows[0][1])
    cursor.execute(store.dialect.q("SELECT hash FROM {chain} WHERE position = ?"), (position,))
    held = cursor.fetchall()
    return (position, digest) if held and bytes(held[0][0]) == digest else None


def last_checkpoint_at(store: AuditStore) -> datetime | None:
    """When the last checkpoint was recorded."""
    with store.reading() as cursor:
        cursor.execute(store.dialect.q(LAST_CHECKPOINT), ())
        rows = cursor.fetchall()
    return datetime.fromtimestamp(int(rows[0][2]) / 1e6, UTC) if rows else None


def write_checkpoint(
    store: AuditStore, key: Ed25519PrivateKey, path: Path, now: datetime, *, full: bool = False
) -> Written:
    """Write a checkpoint of what was chained since the last one (or since the start) to a new file."""
    digest, count, head = hashlib.sha256(), 0, None
    path.parent.mkdir(parents=True, exist_ok=True)
    with store.reading() as cursor, path.open("xb") as out:

        def emit(value: Any) -> None:
            line = (json.dumps(value, separators=(",", ":")) + "\n").encode()
            digest.update(line)
            out.write(line)

        after = None if full else continued_from(cursor, store)
        emit(
            {
                "checkpoint": FORMAT,
                "created_at": now.astimezone(UTC).isoformat(),
                "key": fingerprint(key.public_key()),
                "after": None if after is None else {"position": after[0], "hash": after[1].hex()},
            }
        )
        for entry in links_after(cursor, store, None if after is None else after[0]):
            emit([entry.position, display_id(entry.originator_id), entry.version, entry.hash.hex()])
            count, head = count + 1, entry
        top = head or (None if after is None else Link(after[0], "", 0, after[1], None))
        emit({"head": None if top is None else {"position": top.position, "hash": top.hash.hex()}, "events": count})
        signature = key.sign(signed_message(digest.digest()))
        out.write((json.dumps({"signature": base64.b64encode(signature).decode()}) + "\n").encode())
    if top is not None:
        with store.writing() as cursor:
            cursor.execute(store.dialect.q(RECORD_CHECKPOINT), (_micros(now), top.position, top.hash, count))
    return Written(path, None if after is None else after[0], None if top is None else top.position, count)


def checkpoint_file(directory: Path, now: datetime) -> Path:
    """A new checkpoint's file name in a directory: its UTC time, sortable."""
    return directory / f"checkpoint-{now.astimezone(UTC):%Y%m%dT%H%M%S%fZ}.jsonl"


def _micros(moment: datetime) -> int:
    return round(moment.timestamp() * 1_000_000)
