"""An access record: one event saying who read a journal or a person's data, and when; never what."""

from __future__ import annotations

from dataclasses import fields
from uuid import uuid4

import pytest

from domain.access_record import AccessAction, AccessRecord
from domain.errors import InvalidValue
from tests.support import T0
from tests.unit.builders import COORDINATOR, MENTOR, PROGRAMME_ID, new_events


def test_a_journal_read_is_one_event_with_actor_subject_and_time() -> None:
    # When the mentor's read of a journal is recorded
    record_id, mentorship_id = uuid4(), uuid4()
    record = AccessRecord.record(record_id, PROGRAMME_ID, AccessAction.JOURNAL_READ, mentorship_id, MENTOR, T0)
    # Then one event holds the action, who, the subject and when
    (event,) = new_events(record)
    assert isinstance(event, AccessRecord.AccessRecorded)
    assert (event.originator_id, event.programme_id, event.action, event.subject_id) == (
        record_id, PROGRAMME_ID, "journal_read", mentorship_id,
    )  # fmt: skip
    assert (event.actor_id, event.actor_role, event.occurred_at, event.timestamp) == (MENTOR.id, "mentor", T0, T0)


def test_an_access_record_has_no_field_for_what_was_read() -> None:
    library = {"originator_id", "originator_version", "originator_topic", "timestamp"}
    own = {f.name for f in fields(AccessRecord.AccessRecorded)} - library
    assert own == {"programme_id", "action", "subject_id", "actor_id", "actor_role", "occurred_at"}


@pytest.mark.parametrize("action", ["invitation_issued", "participant_deactivated", "anything"])
def test_only_reads_are_access_records(action: str) -> None:
    # Invitations, redemptions and deactivations are the participant's own events, not access records
    with pytest.raises(InvalidValue):
        AccessRecord.record(uuid4(), PROGRAMME_ID, action, uuid4(), COORDINATOR, T0)
