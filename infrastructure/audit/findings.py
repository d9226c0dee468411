"""What a verification reports: the first event it names, and the ranges the operator sealed."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from infrastructure.audit.chain import Link, display_id
from infrastructure.audit.checkpoint_format import Mark
from infrastructure.audit.checkpoint_reader import CheckpointIndex, describe


@dataclass(frozen=True)
class Finding:
    """One event the verification names, and why."""

    kind: str  # altered, removed, reordered, inserted, unchained
    position: int
    aggregate_id: str | None
    version: int | None
    detail: str

    def as_dict(self) -> dict[str, Any]:
        """As printed by `mentorat audit verify --json`."""
        return {
            "kind": self.kind,
            "aggregate_id": None if self.aggregate_id is None else display_id(self.aggregate_id),
            "version": self.version,
            "position": self.position,
            "detail": self.detail,
        }


@dataclass
class Report:
    """What a verification found."""

    events: int = 0
    head: Link | None = None
    sealed_ranges: list[dict[str, Any]] = field(default_factory=list)  # the operator's `HistorySealed` events
    unchained: list[Finding] = field(default_factory=list)  # only when asked to go past them (before sealing)
    failure: Finding | None = None
    checkpoints: CheckpointIndex | None = None

    @property
    def intact(self) -> bool:
        """Whether the stored history verified."""
        return self.failure is None

    def as_dict(self) -> dict[str, Any]:
        """The report as one JSON object."""
        return {
            "intact": self.intact,
            "events": self.events,
            "head": None if self.head is None else {"position": self.head.position, "hash": self.head.hash.hex()},
            "sealed_ranges": self.sealed_ranges,
            "first_bad": None if self.failure is None else self.failure.as_dict(),
            "checkpoints": None if self.checkpoints is None else describe(self.checkpoints),
        }


def named(mark: Mark, aggregate_id: str, version: int, detail: str) -> Finding:
    """An altered event, named as the checkpoint signed it (an anchor mark names no identity: the store's)."""
    if mark.aggregate_id is None:
        return Finding("altered", mark.position, aggregate_id, version, detail)
    return Finding("altered", mark.position, mark.aggregate_id, mark.version, detail)
