"""The state of the history, as an auditor reads it: the last verification and the last checkpoint, and their results.

`mentorat audit verify` records each run's outcome (when, intact or not, how many events it checked, the head it
reached, and the first event it named: its kind, position, aggregate id and version, never its content);
`mentorat audit checkpoint` and the periodic duty record each checkpoint they write (when, its head, how many
events it signed). Both are kept beside the chain in the store; a store's recorder that keeps neither (one of
the library's own) reads as never verified and never checkpointed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, runtime_checkable

from application.authorization import Caller, programme_actor
from domain.permissions import Action


@dataclass(frozen=True)
class Verification:
    """One run of `mentorat audit verify`: its outcome, never the content of an event."""

    at: datetime
    intact: bool
    events: int  # the events it verified (before the first bad one, when not intact)
    head_position: int | None  # the last event it verified
    against_checkpoints: bool  # whether signed checkpoints were given too
    first_bad_kind: str | None = None  # altered, removed, reordered, inserted, unchained
    first_bad_position: int | None = None
    first_bad_aggregate_id: str | None = None
    first_bad_version: int | None = None


@dataclass(frozen=True)
class Checkpoint:
    """One signed checkpoint written: when, up to which position, how many events it signed."""

    at: datetime
    head_position: int
    events: int


@dataclass(frozen=True)
class HistoryState:
    """The last verification and the last checkpoint (None: never)."""

    verification: Verification | None
    checkpoint: Checkpoint | None


@runtime_checkable
class HistoryRecords(Protocol):
    """Where the outcomes are kept (the store's recorder, beside the chain)."""

    def last_verification(self) -> Verification | None:
        """The last recorded verification."""

    def last_checkpoint(self) -> Checkpoint | None:
        """The last recorded checkpoint."""


class NoHistoryRecords:
    """A recorder that keeps no outcomes: never verified, never checkpointed."""

    def last_verification(self) -> Verification | None:
        """Never verified."""
        return None

    def last_checkpoint(self) -> Checkpoint | None:
        """Never checkpointed."""
        return None


class HistoryStates:
    """Read the state of the history: the auditor of the programme only (the permission table)."""

    def __init__(self, recorder: object) -> None:
        self.records: HistoryRecords = recorder if isinstance(recorder, HistoryRecords) else NoHistoryRecords()

    def state(self, caller: Caller) -> HistoryState:
        """The last verification and checkpoint of the store (Forbidden for a role the table leaves out)."""
        programme_actor(caller, caller.programme_id, Action.READ_HISTORY_STATE)
        return HistoryState(self.records.last_verification(), self.records.last_checkpoint())
