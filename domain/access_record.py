"""An access record: one aggregate per recorded read of a journal or of personal data, so reads never contend.

It holds who read what kind of thing about which subject, and when: ids, a role and an action, never what was read.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any
from uuid import UUID

from domain.errors import InvalidValue, Reason
from domain.events import MentoratAggregate, MentoratCreated
from domain.values import Actor


class AccessAction(StrEnum):
    """The kinds of access the programme's access log lists."""

    JOURNAL_READ = "journal_read"
    PERSONAL_DATA_READ = "personal_data_read"
    INVITATION_ISSUED = "invitation_issued"
    INVITATION_REDEEMED = "invitation_redeemed"
    PARTICIPANT_DEACTIVATED = "participant_deactivated"
    SIGN_IN_CODE_ISSUED = "sign_in_code_issued"
    SIGN_IN_CODE_REDEEMED = "sign_in_code_redeemed"


# The accesses recorded as an `AccessRecord`; the others are already events of the participant.
READS = frozenset({AccessAction.JOURNAL_READ.value, AccessAction.PERSONAL_DATA_READ.value})


class AccessRecord(MentoratAggregate):
    """The trace of one read: a journal (subject: the mentorship) or one person's data (subject: that participant)."""

    # Explicit topics: this module was `domain/access.py`, and every stored history names the classes so.
    TOPIC = "domain.access:AccessRecord"

    class Created(MentoratCreated):
        """The library's creation event, never stored for this aggregate (its own is `AccessRecorded`)."""

        TOPIC = "domain.access:AccessRecord.Created"

    class AccessRecorded(MentoratCreated):
        """Someone read a journal or a person's data (never what they read)."""

        TOPIC = "domain.access:AccessRecord.AccessRecorded"

        programme_id: UUID
        action: str
        subject_id: UUID

    def __init__(self, programme_id: UUID, action: str, subject_id: UUID, **_: Any) -> None:
        self.programme_id = programme_id
        self.action = action
        self.subject_id = subject_id

    @classmethod
    def record(
        cls, record_id: UUID, programme_id: UUID, action: str, subject_id: UUID, actor: Actor, now: datetime
    ) -> AccessRecord:
        """Record a read by this actor, now."""
        if action not in READS:
            raise InvalidValue("action", reason=Reason.NOT_AN_ENUM_VALUE)
        return cls._create(
            cls.AccessRecorded,
            id=record_id,
            programme_id=programme_id,
            action=action,
            subject_id=subject_id,
            actor_id=actor.id,
            actor_role=actor.role,
            occurred_at=now,
            timestamp=now,
        )
