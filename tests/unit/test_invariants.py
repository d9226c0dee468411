"""Section 2 invariants not tied to one rule: events' actor and times, limits, participants and credentials."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from uuid import uuid4

import pytest

from domain import errors
from domain.credential import INVITATION, TOKEN, Credential
from domain.errors import InvalidValue
from domain.mentorship import Mentorship
from domain.participant import Participant
from domain.programme import DEFAULT_THRESHOLDS, Programme
from domain.values import Actor
from tests.support import T0
from tests.unit.builders import (
    COORDINATOR,
    MENTEE,
    MENTEE_ID,
    MENTOR,
    MENTOR_ID,
    PROGRAMME_ID,
    START,
    TZ,
    assert_refused,
    at,
    names,
    new_events,
    on_local_date,
    raise_dispute,
    schedule,
    signed,
)


def mentee() -> Participant:
    """Given a registered mentee (events collected)."""
    person = Participant.register(
        MENTEE_ID, PROGRAMME_ID, "mentee", "Mentee", "mentee@example.org", "en", COORDINATOR, T0
    )
    person.collect_events()
    return person


def test_invariant_every_event_carries_its_actor_and_aware_times() -> None:
    # Given a whole life of a mentorship, recorded a day after each fact
    mentorship = Mentorship.draft(uuid4(), PROGRAMME_ID, MENTOR_ID, MENTEE_ID, START, 10, TZ, COORDINATOR, T0)
    mentorship.add_objective(uuid4(), "Goal", MENTEE, T0)
    mentorship.sign(MENTOR, T0)
    mentorship.sign(MENTEE, T0)
    meeting_id = uuid4()
    mentorship.schedule_meeting(meeting_id, at(days=-1), MENTOR, T0)
    mentorship.hold_meeting(meeting_id, None, 60, None, (uuid4(), at(days=20)), MENTOR, T0)
    mentorship.consult_coordinator("early_end", None, "ending_agreed", None, COORDINATOR, T0)
    mentorship.end("no_longer_needed", None, MENTEE, at(days=1))
    events = new_events(mentorship)
    # Then every event names its actor and role, and carries both when it happened and when it was recorded
    assert len(events) == 10
    for event in events:
        assert event.actor_role in ("mentor", "mentee", "coordinator")
        assert event.actor_id in (MENTOR_ID, MENTEE_ID, COORDINATOR.id)
        assert event.occurred_at.utcoffset() is not None
        assert event.timestamp.utcoffset() is not None
    held = next(e for e in events if type(e).__name__ == "MeetingHeld")
    assert (held.occurred_at, held.timestamp) == (at(days=-1), T0)


def test_invariant_operator_actions_carry_the_operator_role() -> None:
    launched = Programme.launch(uuid4(), "Programme", Actor.operator(), T0)
    [event] = new_events(launched)
    assert (event.actor_id, event.actor_role, event.occurred_at) == (None, "operator", T0)


CONTENT_AT_LIMIT: list[tuple[str, Callable[[Mentorship, str], None]]] = [
    ("text", lambda m, t: m.add_objective(uuid4(), t, MENTOR, T0)),
    ("agenda", lambda m, t: m.submit_agenda(next(iter(m.meetings)), t, MENTEE, T0)),
    ("notes", lambda m, t: m.hold_meeting(next(iter(m.meetings)), None, 60, t, None, MENTOR, at(days=8))),
    ("note", lambda m, t: m.cancel_meeting(next(iter(m.meetings)), True, t, MENTEE, T0)),
    ("comment", lambda m, t: m.report_satisfaction(4, t, MENTEE, T0)),
    ("summary", lambda m, t: m.raise_dispute(uuid4(), t, MENTEE, T0)),
    ("note", lambda m, t: m.consult_coordinator("early_end", None, "reconciled", t, COORDINATOR, T0)),
    ("note", lambda m, t: m.end("completed", t, MENTOR, on_local_date(START + timedelta(days=400)))),
]


@pytest.mark.parametrize(
    ("field", "command"), CONTENT_AT_LIMIT, ids=[f"{i}-{f}" for i, (f, _) in enumerate(CONTENT_AT_LIMIT)]
)
def test_invariant_texts_are_at_most_ten_thousand_characters(
    field: str, command: Callable[[Mentorship, str], None]
) -> None:
    # Given a convention in effect with a meeting next week
    mentorship, _ = signed()
    schedule(mentorship, at(days=7))
    # When a text of 10,001 characters is sent, Then it is refused naming its field
    error = assert_refused(mentorship, InvalidValue, lambda: command(mentorship, "y" * 10_001))
    assert isinstance(error, InvalidValue)
    assert error.fields == (field,)
    # And one of exactly 10,000 characters is accepted
    command(mentorship, "y" * 10_000)
    assert len(new_events(mentorship)) == 1


@pytest.mark.parametrize(
    ("role", "name", "email", "language", "field"),
    [
        ("manager", "Ann", None, "fr", "role"),
        ("mentor", "Ann", None, "de", "language"),
        ("mentor", " ", None, "fr", "name"),
        ("mentor", "A" * 201, None, "fr", "name"),
        ("mentor", "Ann", "not-an-address", "en", "email"),
    ],
    ids=["role", "language", "blank-name", "long-name", "email"],
)
def test_invariant_participants_have_a_known_role_and_valid_personal_data(
    role: str, name: str, email: str | None, language: str, field: str
) -> None:
    with pytest.raises(InvalidValue) as raised:
        Participant.register(uuid4(), PROGRAMME_ID, role, name, email, language, COORDINATOR, T0)
    assert raised.value.fields == (field,)


def test_invariant_a_mentee_takes_at_most_one_convention() -> None:
    # Given a mentee with a drafted convention
    person = mentee()
    person.assign_convention(uuid4(), COORDINATOR, T0)
    assert names(new_events(person)) == ["ConventionAssigned"]
    # When a second convention is assigned, Then it is refused
    assert_refused(person, errors.MenteeHasConvention, lambda: person.assign_convention(uuid4(), COORDINATOR, T0))


def test_invariant_a_released_mentee_can_take_a_new_convention() -> None:
    # Given a mentee whose convention was released
    person = mentee()
    first = uuid4()
    person.assign_convention(first, COORDINATOR, T0)
    person.release_convention(first, COORDINATOR, T0)
    assert names(new_events(person)) == ["ConventionAssigned", "ConventionReleased"]
    # When a new convention is assigned, Then it is accepted
    person.assign_convention(uuid4(), COORDINATOR, T0)
    assert names(new_events(person)) == ["ConventionAssigned"]


def test_invariant_releasing_another_convention_keeps_the_current_one() -> None:
    person = mentee()
    current = uuid4()
    person.assign_convention(current, COORDINATOR, T0)
    new_events(person)
    person.release_convention(uuid4(), COORDINATOR, T0)
    assert new_events(person) == []
    assert person.convention_id == current


def test_invariant_an_inactive_participant_takes_no_convention() -> None:
    person = mentee()
    person.deactivate(COORDINATOR, T0)
    new_events(person)
    assert_refused(person, errors.ParticipantInactive, lambda: person.assign_convention(uuid4(), COORDINATOR, T0))
    assert_refused(
        person, errors.ParticipantInactive, lambda: person.issue_invitation(uuid4(), at(days=7), COORDINATOR, T0)
    )
    assert_refused(person, errors.ParticipantInactive, lambda: person.deactivate(COORDINATOR, T0))


def test_invariant_an_erased_participant_forgets_personal_data_and_is_inactive() -> None:
    person = mentee()
    person.erase(Actor.operator(), T0)
    assert names(new_events(person)) == ["ParticipantErased"]
    assert (person.name, person.email, person.active) == ("[erased]", None, False)
    assert_refused(person, errors.ParticipantInactive, lambda: person.erase(Actor.operator(), T0))


def test_invariant_programme_defaults() -> None:
    launched = Programme.launch(uuid4(), "Programme", Actor.operator(), T0)
    assert (launched.time_zone, launched.default_months) == ("America/Toronto", 10)
    assert (launched.meeting_minutes_min, launched.meeting_minutes_max) == (60, 90)
    assert launched.thresholds == DEFAULT_THRESHOLDS


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"time_zone": "Mars/Olympus"}, "time_zone"),
        ({"default_months": 0}, "default_months"),
        ({"thresholds": {"unknown": 3}}, "thresholds.unknown"),  # named as the API's body names it
        ({"thresholds": {"no_meeting_days": -1}}, "thresholds.no_meeting_days"),
    ],
    ids=["zone", "months", "unknown-threshold", "negative-threshold"],
)
def test_invariant_programme_settings_are_checked(kwargs: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidValue) as raised:
        Programme.launch(uuid4(), "Programme", Actor.operator(), T0, **kwargs)
    assert raised.value.fields == (field,)


def test_invariant_an_invitation_is_one_time_and_expires() -> None:
    # Given an invitation valid seven days
    expires = at(days=7)
    invitation_id = uuid4()
    invitation = Credential.issue(invitation_id, "binding", uuid4(), INVITATION, expires, COORDINATOR, T0)
    assert (invitation.id, invitation.binding) == (invitation_id, "binding")
    # Then it is valid until (not at) its expiry, and only as an invitation
    assert invitation.is_valid(INVITATION, expires - timedelta(seconds=1))
    assert not invitation.is_valid(INVITATION, expires)
    assert not invitation.is_valid(TOKEN, T0)
    # When it is used, Then it is no longer valid
    invitation.use(Actor(uuid4(), "mentee"), T0)
    assert not invitation.is_valid(INVITATION, T0)


def test_invariant_a_token_is_reusable_until_it_expires() -> None:
    expires: datetime = at(days=30)
    token = Credential.issue(uuid4(), "binding", uuid4(), TOKEN, expires, MENTEE, T0)
    assert token.is_valid(TOKEN, T0)
    assert token.is_valid(TOKEN, at(days=29))
    assert not token.is_valid(TOKEN, expires)


def test_invariant_a_revoked_token_is_no_longer_valid_and_revoking_again_records_nothing() -> None:
    token = Credential.issue(uuid4(), "binding", uuid4(), TOKEN, at(days=30), MENTEE, T0)
    token.collect_events()
    token.revoke(MENTEE, T0)
    assert not token.is_valid(TOKEN, T0)
    token.revoke(MENTEE, T0)
    assert [type(event).__name__ for event in token.collect_events()] == ["CredentialRevoked"]


def test_invariant_new_meetings_objectives_and_disputes_never_reuse_an_id() -> None:
    # Given an active mentorship with a held meeting, an objective and a settled dispute
    mentorship, objective_id = signed()
    meeting_id = schedule(mentorship, at(days=-1))
    mentorship.hold_meeting(meeting_id, None, 60, None, None, MENTOR, T0)
    dispute_id = raise_dispute(mentorship)
    mentorship.settle_dispute(dispute_id, MENTOR, T0)
    mentorship.collect_events()
    # When a command brings one of those ids back, then it is refused (it would reopen what is closed)
    assert_refused(mentorship, InvalidValue, lambda: mentorship.schedule_meeting(meeting_id, at(days=3), MENTOR, T0))
    assert_refused(mentorship, InvalidValue, lambda: mentorship.add_objective(objective_id, "again", MENTEE, T0))
    assert_refused(mentorship, InvalidValue, lambda: mentorship.raise_dispute(dispute_id, "again", MENTEE, T0))
    # ...including the next meeting scheduled with a held one
    open_id = schedule(mentorship, at(days=-1))
    mentorship.collect_events()
    assert_refused(
        mentorship,
        InvalidValue,
        lambda: mentorship.hold_meeting(open_id, None, 60, None, (meeting_id, at(days=20)), MENTOR, T0),
    )
    assert mentorship.meetings[meeting_id].status == "held"


def test_invariant_the_event_catalogue_lists_exactly_the_section_2_events_each_carrying_actor_and_time() -> None:
    from dataclasses import fields as dataclass_fields

    from domain.catalogue import EVENT_NAMES, SECTION_2_EVENTS
    from tests.spec import SECTION_2_EVENTS as SPECIFIED

    # The catalogue the demo and the read side use is the specification's list, without repeats
    assert set(EVENT_NAMES) == SPECIFIED and len(EVENT_NAMES) == len(SPECIFIED)
    for cls in SECTION_2_EVENTS:
        assert {"actor_id", "actor_role", "occurred_at"} <= {f.name for f in dataclass_fields(cls)}, cls.__name__
