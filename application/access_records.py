"""Recording reads of journals and of personal data, as events: a read that cannot be recorded is not served.

Routes call these after they have read and before they answer; a record that cannot be saved raises (the store's
own error, an unexpected one: a 500), so no answer leaves unrecorded. Nothing is recorded for an empty read, nor
for a read of the same subject by the same actor within 10 minutes of their last recorded read of it (so reads
do not flood the history): the store keeps when each was last recorded, written with the records.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol, runtime_checkable
from uuid import UUID

from application.access_index import ScopeRow
from application.authorization import Caller, mentorship_actor, programme_actor
from application.mentorat import Mentorat
from application.ports import Ports
from domain.access_record import AccessAction, AccessRecord
from domain.mentorship import Mentorship
from domain.permissions import Action
from domain.values import Actor

RECORD_AGAIN_AFTER = timedelta(minutes=10)


@dataclass(frozen=True)
class RecordedReads:
    """What a save of access records tells the store: these reads were recorded at this time."""

    keys: tuple[str, ...]
    at: datetime
    forget_before: datetime  # older rows can go: they no longer hold back a record


@runtime_checkable
class RecentReads(Protocol):
    """The store's memory of when reads were last recorded (its recorder)."""

    def last_recorded(self, keys: Sequence[str]) -> dict[str, int]:
        """When each of these reads was last recorded, in microseconds since the epoch."""


def reader_key(actor: Actor, action: str, subject_id: UUID) -> str:
    """Who read what kind of thing about which subject."""
    return f"{actor.id}:{actor.role}:{action}:{subject_id}"


class AccessLog:
    """Records who read a journal or a person's data, and when."""

    def __init__(self, store: Mentorat, ports: Ports) -> None:
        self.store = store
        self.ports = ports

    def journal_read(self, caller: Caller, mentorship: Mentorship | ScopeRow) -> None:
        """A party read this mentorship's journal (the subject is the mentorship)."""
        actor = mentorship_actor(caller, mentorship, Action.READ_JOURNAL)
        self._record(mentorship.programme_id, AccessAction.JOURNAL_READ, [mentorship.id], actor)

    def personal_data_read(self, caller: Caller, programme_id: UUID, participant_ids: Sequence[UUID]) -> None:
        """A coordinator read these participants' names and e-mails (one record per participant)."""
        actor = programme_actor(caller, programme_id, Action.LIST_PARTICIPANTS)
        self._record(programme_id, AccessAction.PERSONAL_DATA_READ, participant_ids, actor)

    def _record(self, programme_id: UUID, action: str, subject_ids: Sequence[UUID], actor: Actor) -> None:
        """Save one record per subject, atomically; a new random id never conflicts, so any failure is the store's."""
        now = self.ports.clock()
        keys = {subject_id: reader_key(actor, action, subject_id) for subject_id in subject_ids}
        recent = self.store.recorder
        if isinstance(recent, RecentReads) and keys:
            last = recent.last_recorded(list(keys.values()))
            since, until = (int(t.timestamp() * 1_000_000) for t in (now - RECORD_AGAIN_AFTER, now))
            # recorded in the last ten minutes holds a record back; a time in the future (a planted row) does not
            keys = {subject: key for subject, key in keys.items() if not since < last.get(key, since) <= until}
        if not keys:
            return
        records = [
            AccessRecord.record(self.ports.new_id(), programme_id, action, subject, actor, now) for subject in keys
        ]
        self.store.save(*records, recent_reads=RecordedReads(tuple(keys.values()), now, now - RECORD_AGAIN_AFTER))
