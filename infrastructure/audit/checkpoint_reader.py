"""Reading checkpoint files with a public key given from outside: every block's signature, then its marks.

`read_checkpoints` verifies files an auditor gives (any bad block fails them all); `newest_signed` finds the
block a new checkpoint continues from: the newest one in a directory whose signature verifies (a file or block
that does not verify is skipped, never trusted).
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from itertools import pairwise
from pathlib import Path
from sys import intern
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from infrastructure.audit.chain_sql import LOWEST
from infrastructure.audit.checkpoint_format import FORMAT, BadCheckpoint, Mark, signed_message
from infrastructure.audit.signing_key import fingerprint


@dataclass
class CheckpointIndex:
    """What the checkpoints say, by position: their marks, and the ranges of positions they cover in full."""

    marks: list[Mark] = field(default_factory=list)
    ranges: list[tuple[int, int]] = field(default_factory=list)  # (after, head]: every stored event listed
    blocks: int = 0
    key: str = ""


@dataclass(frozen=True)
class Block:
    """One signed block of a checkpoint file, its signature verified."""

    created_at: datetime
    after: Mark | None  # the previous checkpoint's head it continues from (an anchor: no identity)
    head: Mark | None
    marks: list[Mark]
    source: Path

    def index(self) -> CheckpointIndex:
        """This block alone as an index, without its anchor (a pass started after the anchor checks the rest)."""
        low = LOWEST if self.after is None else self.after.position
        ranges = [] if self.head is None else [(low, self.head.position)]
        return CheckpointIndex(marks=list(self.marks), ranges=ranges, blocks=1)


def blocks(path: Path, public_key: Ed25519PublicKey) -> Iterator[Block]:
    """The blocks of one file, each verified; `BadCheckpoint` names the first that fails."""
    with path.open("rb") as lines:
        block: list[bytes] = []
        count = 0
        for line in lines:
            if line.startswith(b'{"signature"'):
                count += 1
                yield _block(block, line, public_key, path, f"{path}, block {count}")
                block = []
            else:
                block.append(line)
        if block:
            raise BadCheckpoint(f"{path}: a block has no signature")


def read_checkpoints(paths: Iterable[Path], public_key: Ed25519PublicKey) -> CheckpointIndex:
    """Verify and index checkpoint files; `BadCheckpoint` names the first file and block that fails."""
    index = CheckpointIndex(key=fingerprint(public_key))
    for path in paths:
        for block in blocks(path, public_key):
            if block.after is not None:
                index.marks.append(block.after)
            if block.head is not None:
                low = LOWEST if block.after is None else block.after.position
                index.ranges.append((low, block.head.position))
            index.marks.extend(block.marks)
            index.blocks += 1
    index.marks.sort(key=lambda mark: mark.position)
    index.ranges = _merged(index.ranges)
    return index


def newest_signed(directories: Iterable[Path], public_key: Ed25519PublicKey) -> Block | None:
    """The newest block (by its signed time, then head) in these directories' `*.jsonl` files that verifies.

    A file that cannot be read, or a block whose signature does not verify (forged, unsigned, another key's),
    is skipped: only what the key signed is continued from.
    """
    newest: Block | None = None
    seen: set[Path] = set()
    for directory in directories:
        for path in sorted(directory.glob("*.jsonl")) if directory.is_dir() else []:
            if path.resolve() in seen:
                continue
            seen.add(path.resolve())
            with contextlib.suppress(BadCheckpoint, OSError):
                for block in blocks(path, public_key):
                    if newest is None or _order(block) > _order(newest):
                        newest = block
    return newest


def _order(block: Block) -> tuple[datetime, int]:
    return block.created_at, LOWEST if block.head is None else block.head.position


def _block(block: list[bytes], signature: bytes, key: Ed25519PublicKey, path: Path, where: str) -> Block:
    try:
        sig = base64.b64decode(json.loads(signature)["signature"], validate=True)
        key.verify(sig, signed_message(hashlib.sha256(b"".join(block)).digest()))
    except (InvalidSignature, ValueError, KeyError, TypeError):
        raise BadCheckpoint(f"{where}: the signature does not verify with this public key") from None
    try:
        header, *entries, summary = (json.loads(line) for line in block)
        marks = [Mark(int(p), intern(str(a)), int(v), bytes.fromhex(h)) for p, a, v, h in entries]
        after, head, count = header["after"], summary["head"], int(summary["events"])
        created_at = datetime.fromisoformat(header["created_at"])
        ok = header["checkpoint"] == FORMAT and count == len(marks) and created_at.tzinfo is not None
        anchor = None if after is None else Mark(int(after["position"]), None, None, bytes.fromhex(after["hash"]))
        top = None if head is None else Mark(int(head["position"]), None, None, bytes.fromhex(head["hash"]))
    except (ValueError, KeyError, TypeError) as error:
        raise BadCheckpoint(f"{where}: malformed ({type(error).__name__})") from None
    if not ok or any(a.position >= b.position for a, b in pairwise(marks)):
        raise BadCheckpoint(f"{where}: malformed (format, count or order)")
    return Block(created_at, anchor, top, marks, path)


def _merged(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for low, high in sorted(ranges):
        if merged and low <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], high))
        else:
            merged.append((low, high))
    return merged


def describe(index: CheckpointIndex) -> dict[str, Any]:
    """The checkpoints' part of a verification report."""
    return {"blocks": index.blocks, "entries": sum(m.aggregate_id is not None for m in index.marks), "key": index.key}
