"""Reading checkpoint files with a public key given from outside: every block's signature, then its marks."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
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


def read_checkpoints(paths: Iterable[Path], public_key: Ed25519PublicKey) -> CheckpointIndex:
    """Verify and index checkpoint files; `BadCheckpoint` names the first file and block that fails."""
    index = CheckpointIndex(key=fingerprint(public_key))
    for path in paths:
        with path.open("rb") as lines:
            block: list[bytes] = []
            for line in lines:
                if line.startswith(b'{"signature"'):
                    _add_block(index, block, line, public_key, f"{path}, block {index.blocks + 1}")
                    block = []
                else:
                    block.append(line)
            if block:
                raise BadCheckpoint(f"{path}: a block has no signature")
    index.marks.sort(key=lambda mark: mark.position)
    index.ranges = _merged(index.ranges)
    return index


def _add_block(index: CheckpointIndex, block: list[bytes], signature: bytes, key: Ed25519PublicKey, where: str) -> None:
    try:
        sig = base64.b64decode(json.loads(signature)["signature"], validate=True)
        key.verify(sig, signed_message(hashlib.sha256(b"".join(block)).digest()))
    except (InvalidSignature, ValueError, KeyError, TypeError):
        raise BadCheckpoint(f"{where}: the signature does not verify with this public key") from None
    try:
        header, *entries, summary = (json.loads(line) for line in block)
        marks = [Mark(int(p), intern(str(a)), int(v), bytes.fromhex(h)) for p, a, v, h in entries]
        after, head, count = header["after"], summary["head"], int(summary["events"])
        ok = header["checkpoint"] == FORMAT and count == len(marks)
    except (ValueError, KeyError, TypeError) as error:
        raise BadCheckpoint(f"{where}: malformed ({type(error).__name__})") from None
    if not ok or any(a.position >= b.position for a, b in pairwise(marks)):
        raise BadCheckpoint(f"{where}: malformed (format, count or order)")
    if after is not None:
        index.marks.append(Mark(int(after["position"]), None, None, bytes.fromhex(after["hash"])))
    if head is not None:
        index.ranges.append((LOWEST if after is None else int(after["position"]), int(head["position"])))
    index.marks.extend(marks)
    index.blocks += 1


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
