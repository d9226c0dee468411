"""Recording reads of journals and of personal data, as events: a read that cannot be recorded is not served.

Routes call these after they have read and before they answer; a record that cannot be saved raises (the store's
own error, an unexpected one: a 500), so no answer leaves unrecorded. Nothing is recorded for an empty read.
"""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from application.authorization import Caller, mentorship_actor, programme_actor
from application.mentorat import Mentorat
from application.ports import Ports
from domain.access_record import AccessAction, AccessRecord
from domain.mentorship import Mentorship
from domain.permissions import Action
from domain.values import Actor


class AccessLog:
    """Records who read a journal or a person's data, and when."""

    def __init__(self, store: Mentorat, ports: Ports) -> None:
        self.store = store
        self.ports = ports

    def journal_read(self, caller: Caller, mentorship: Mentorship) -> None:
        """A party read this mentorship's journal (the subject is the mentorship)."""
        actor = mentorship_actor(caller, mentorship, Action.READ_JOURNAL)
        self._record(mentorship.programme_id, AccessAction.JOURNAL_READ, [mentorship.id], actor)

    def personal_data_read(self, caller: Caller, programme_id: UUID, participant_ids: Sequence[UUID]) -> None:
        """A coordinator read these participants' names and e-mails (one record per participant)."""
        actor = programme_actor(caller, programme_id, Action.LIST_PARTICIPANTS)
        self._record(programme_id, AccessAction.PERSONAL_DATA_READ, participant_ids, actor)

    def _record(self, programme_id: UUID, action: str, subject_ids: Sequence[UUID], actor: Actor) -> None:
        """Save one record per subject, atomically; a new random id never conflicts, so any failure is the store's."""
        if not subject_ids:
            return
        now = self.ports.clock()
        records = [
            AccessRecord.record(self.ports.new_id(), programme_id, action, subject_id, actor, now)
            for subject_id in subject_ids
        ]
        self.store.save(*records)
