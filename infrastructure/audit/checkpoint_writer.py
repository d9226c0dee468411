"""Signed checkpoints: the chain's entries since the previous checkpoint, and its head, signed with Ed25519.

A checkpoint is a block of JSON Lines, meant to be copied to storage the application cannot rewrite:
a header (format, time, key fingerprint, the previous checkpoint's head it continues from), one line
`[position, aggregate id, version, hash]` per chained event it covers, a line naming its head and count,
then the signature of the SHA-256 of those lines' exact bytes. A file may hold several blocks.

A checkpoint continues from the newest signed block found in the checkpoint directories whose signature
verifies with the signing key's public half, never from a database table (the `mentorat_checkpoints` rows
only time the periodic writer). Nothing is signed on the chain table's word either: verification's own pass
recomputes the links from the stored events, from that block's anchor on, checks each against what the block
signed, then lists the events after its head. If the stored chain no longer matches the signed block (a hash
differs at a position it lists, an event it covers is gone, an event it does not list appeared in its range)
or a recomputed link differs from the chain, the checkpoint is refused, naming the first event that differs;
only an operator's explicit `full` starts again from the first event.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from infrastructure.audit.chain import Link, display_id
from infrastructure.audit.chain_sql import LAST_CHECKPOINT, LINK_AT, RECORD_CHECKPOINT, Cursor, link
from infrastructure.audit.checkpoint_format import FORMAT, CheckpointRefused, Mark, Written, signed_message
from infrastructure.audit.checkpoint_reader import Block, newest_signed
from infrastructure.audit.findings import Finding
from infrastructure.audit.signing_key import fingerprint
from infrastructure.audit.store import AuditStore
from infrastructure.audit.verify import Progress, Verification
from infrastructure.private_files import OWNER_ONLY_DIRECTORY, OWNER_ONLY_FILE
from infrastructure.times import micros

PAGE = 50_000


def anchored(cursor: Cursor, store: AuditStore, block: Block) -> Link | None:
    """Where the pass over a signed block starts: after its anchor, once the chain still holds the anchor's hash.

    `CheckpointRefused` naming the anchor's position when the chain lost it or holds another hash there.
    """
    if block.after is None:
        return None
    position = block.after.position
    cursor.execute(store.dialect.q(LINK_AT), (position,))
    held = cursor.fetchall()
    if not held:
        raise CheckpointRefused(position, f"the chain no longer holds what {block.source.name} signed", rewritten=True)
    entry = link(held[0])
    if entry.hash != block.after.hash:
        reason = f"the chain's hash differs from what {block.source.name} signed"
        raise CheckpointRefused(
            position, reason, aggregate_id=display_id(entry.originator_id), version=entry.version, rewritten=True
        )
    return entry


def last_checkpoint_at(store: AuditStore) -> datetime | None:
    """When the last checkpoint was recorded."""
    with store.reading() as cursor:
        cursor.execute(store.dialect.q(LAST_CHECKPOINT), ())
        rows = cursor.fetchall()
    return datetime.fromtimestamp(int(rows[0][2]) / 1e6, UTC) if rows else None


def write_checkpoint(
    store: AuditStore,
    key: Ed25519PrivateKey,
    path: Path,
    now: datetime,
    *,
    full: bool = False,
    directories: Iterable[Path] = (),
    progress: Progress | None = None,
) -> Written:
    """Write a checkpoint of what was chained since the newest signed one (or since the start) to a new file.

    The newest signed block is looked for in `directories` and the new file's own directory (none found, or
    `full`: from the first event). The links are recomputed from the stored events (verification's pass);
    `CheckpointRefused` if the chain no longer matches that block or does not verify, and then no file is left.
    `progress` hears the positions the pass reaches.
    """
    digest, count, head = hashlib.sha256(), 0, None
    path.parent.mkdir(mode=OWNER_ONLY_DIRECTORY, parents=True, exist_ok=True)
    block = None if full else newest_signed([*directories, path.parent], key.public_key())
    with store.reading() as cursor:
        start = None if block is None else anchored(cursor, store, block)
        after = None if block is None else block.head
        out = os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, OWNER_ONLY_FILE), "wb")
        try:
            with out:

                def emit(value: Any) -> None:
                    line = (json.dumps(value, separators=(",", ":")) + "\n").encode()
                    digest.update(line)
                    out.write(line)

                emit(
                    {
                        "checkpoint": FORMAT,
                        "created_at": now.astimezone(UTC).isoformat(),
                        "key": fingerprint(key.public_key()),
                        "after": None if after is None else {"position": after.position, "hash": after.hash.hex()},
                    }
                )
                index = None if block is None else block.index()
                walk = Verification(cursor, store.dialect, index, now, PAGE, start=start, progress=progress)
                signed = None if after is None else after.position
                for entry in walk.verified():
                    if signed is not None and entry.position <= signed:
                        continue  # checked against the signed block, not signed again
                    emit([entry.position, display_id(entry.originator_id), entry.version, entry.hash.hex()])
                    count, head = count + 1, entry
                refuse(walk.report.failure, block)
                top: Link | Mark | None = head or after
                summary = None if top is None else {"position": top.position, "hash": top.hash.hex()}
                emit({"head": summary, "events": count})
                signature = key.sign(signed_message(digest.digest()))
                out.write((json.dumps({"signature": base64.b64encode(signature).decode()}) + "\n").encode())
        except BaseException:
            path.unlink(missing_ok=True)
            raise
    if top is not None:
        with store.writing() as cursor:
            cursor.execute(store.dialect.q(RECORD_CHECKPOINT), (micros(now), top.position, top.hash, count))
    return Written(path, None if after is None else after.position, None if top is None else top.position, count)


def refuse(failure: Finding | None, block: Block | None) -> None:
    """`CheckpointRefused` naming the first event that differs from the signed block, or that does not verify."""
    if failure is None:
        return
    inside = block is not None and (block.head is None or failure.position <= block.head.position)
    if inside and block is not None:
        reason = f"the stored chain differs from what {block.source.name} signed ({failure.kind})"
    else:
        reason = f"the chain does not verify ({failure.kind})"
    named = failure.as_dict()
    raise CheckpointRefused(
        failure.position, reason, aggregate_id=named["aggregate_id"], version=failure.version, rewritten=inside
    )
