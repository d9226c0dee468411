"""The signed checkpoint's format: its marks, what is signed, its errors and file names."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import NamedTuple

FORMAT = "mentorat-checkpoint/1"


class BadCheckpoint(ValueError):
    """A checkpoint file that is malformed or whose signature does not verify."""


class CheckpointRefused(RuntimeError):
    """The chain does not match the newest signed checkpoint, or does not verify: nothing is signed.

    Its message names the first event that differs by aggregate id, version and position (never its content).
    """

    def __init__(
        self,
        position: int,
        reason: str,
        *,
        aggregate_id: str | None = None,
        version: int | None = None,
        rewritten: bool = False,
    ) -> None:
        hint = " (only an explicit --full starts again from the first event)" if rewritten else ""
        who = f"aggregate {aggregate_id or '(unknown)'} version {'(unknown)' if version is None else version} "
        super().__init__(f"checkpoint refused: {reason}: {who}at position {position}{hint}")
        self.position, self.reason = position, reason
        self.aggregate_id, self.version = aggregate_id, version


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


def checkpoint_file(directory: Path, now: datetime) -> Path:
    """A new checkpoint's file name in a directory: its UTC time, sortable."""
    return directory / f"checkpoint-{now.astimezone(UTC):%Y%m%dT%H%M%S%fZ}.jsonl"
