"""Signed checkpoints: the chain's entries since the previous checkpoint, and its head, signed with Ed25519.

A checkpoint is a block of JSON Lines, meant to be copied to storage the application cannot rewrite:
a header (format, time, key fingerprint, the previous checkpoint's head it continues from), one line
`[position, aggregate id, version, hash]` per chained event it covers, a line naming its head and count,
then the signature of the SHA-256 of those lines' exact bytes. A file may hold several blocks.

Nothing is signed on the chain table's word: the links a checkpoint lists are recomputed from the stored
events by verification's own pass, after the last checkpoint's head (or from the start with `full`). When
the chain no longer holds that head's hash (the chain was rewritten or truncated since it was signed), or a
recomputed link differs from the chain, the checkpoint is refused; only an operator's explicit `full`
signs a chain that no longer continues the last checkpoint.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from infrastructure.audit.chain import Link, display_id
from infrastructure.audit.chain_sql import LAST_CHECKPOINT, LINK_AT, RECORD_CHECKPOINT, Cursor, link
from infrastructure.audit.checkpoint_format import FORMAT, CheckpointRefused, Written, signed_message
from infrastructure.audit.signing_key import fingerprint
from infrastructure.audit.store import AuditStore
from infrastructure.private_files import OWNER_ONLY_DIRECTORY, OWNER_ONLY_FILE
from infrastructure.times import micros

PAGE = 50_000


def continued_from(cursor: Cursor, store: AuditStore) -> Link | None:
    """The chain entry at the last recorded checkpoint's head (None: no checkpoint yet).

    `CheckpointRefused` when the chain no longer holds the hash that checkpoint signed there.
    """
    cursor.execute(store.dialect.q(LAST_CHECKPOINT), ())
    rows = cursor.fetchall()
    if not rows:
        return None
    position, digest = int(rows[0][0]), bytes(rows[0][1])
    cursor.execute(store.dialect.q(LINK_AT), (position,))
    held = cursor.fetchall()
    if not held or link(held[0]).hash != digest:
        reason = (
            "the chain's hash differs from the signed head" if held else "the chain no longer holds the signed head"
        )
        raise CheckpointRefused(position, reason, rewritten=True)
    return link(held[0])


def last_checkpoint_at(store: AuditStore) -> datetime | None:
    """When the last checkpoint was recorded."""
    with store.reading() as cursor:
        cursor.execute(store.dialect.q(LAST_CHECKPOINT), ())
        rows = cursor.fetchall()
    return datetime.fromtimestamp(int(rows[0][2]) / 1e6, UTC) if rows else None


def write_checkpoint(
    store: AuditStore, key: Ed25519PrivateKey, path: Path, now: datetime, *, full: bool = False
) -> Written:
    """Write a checkpoint of what was chained since the last one (or since the start) to a new file.

    The links are recomputed from the stored events (verification's pass); `CheckpointRefused` if the chain
    does not continue the last checkpoint (unless `full`) or does not verify, and then no file is left.
    """
    from infrastructure.audit.verify import Verification  # not at the top: verify's findings import this module

    digest, count, head = hashlib.sha256(), 0, None
    path.parent.mkdir(mode=OWNER_ONLY_DIRECTORY, parents=True, exist_ok=True)
    with store.reading() as cursor:
        after = None if full else continued_from(cursor, store)
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
                walk = Verification(cursor, store.dialect, None, now, PAGE, start=after)
                for entry in walk.verified():
                    emit([entry.position, display_id(entry.originator_id), entry.version, entry.hash.hex()])
                    count, head = count + 1, entry
                failure = walk.report.failure
                if failure is not None:
                    raise CheckpointRefused(failure.position, f"the chain does not verify ({failure.kind})")
                top = head or after
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
