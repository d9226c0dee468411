"""R9: confidential texts live in the events only; the aggregate's state and errors never hold them."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import fields
from typing import Any
from uuid import uuid4

import pytest

from domain import errors
from domain.errors import InvalidValue
from domain.mentorship import Mentorship
from domain.values import Actor
from tests.support import T0
from tests.unit.builders import (
    COORDINATOR,
    MENTEE,
    MENTEE_ID,
    MENTOR,
    MENTOR_ID,
    PLANNED_END,
    PROGRAMME_ID,
    START,
    TZ,
    assert_refused,
    at,
    draft,
    ended,
    holds_text,
    names,
    new_events,
    on_local_date,
    schedule,
    signed,
)

MARKER = "CONFIDENTIAL-MARKER-5e1f0c"
METADATA = {"originator_id", "originator_version", "timestamp", "actor_id", "actor_role", "occurred_at"}


def state(mentorship: Mentorship) -> dict[str, Any]:
    """The aggregate's state, without the library's list of events not yet saved."""
    return {k: v for k, v in vars(mentorship).items() if k != "_pending_events"}


def test_r9_the_state_never_holds_content_while_the_events_do() -> None:
    # Given a draft, and a marker put into every content field of every content-bearing command
    mentorship = draft()
    history: list[Any] = []
    objective_id, future_meeting, past_meeting, dispute_id = uuid4(), uuid4(), uuid4(), uuid4()

    def sign_both() -> None:
        mentorship.sign(MENTOR, T0)
        mentorship.sign(MENTEE, T0)

    steps: list[tuple[str, Callable[[], None]]] = [
        ("text", lambda: mentorship.add_objective(objective_id, MARKER, MENTEE, T0)),
        ("", sign_both),
        ("", lambda: mentorship.schedule_meeting(future_meeting, at(days=7), MENTOR, T0)),
        ("agenda", lambda: mentorship.submit_agenda(future_meeting, MARKER, MENTEE, T0)),
        ("", lambda: mentorship.schedule_meeting(past_meeting, at(days=-1), MENTOR, T0)),
        ("notes", lambda: mentorship.hold_meeting(past_meeting, None, 60, MARKER, (uuid4(), at(days=30)), MENTOR, T0)),
        ("note", lambda: mentorship.cancel_meeting(future_meeting, True, MARKER, MENTEE, T0)),
        ("comment", lambda: mentorship.report_satisfaction(2, MARKER, MENTEE, T0)),
        ("summary", lambda: mentorship.raise_dispute(dispute_id, MARKER, MENTOR, T0)),
        ("note", lambda: mentorship.consult_coordinator("dispute", dispute_id, "reconciled", MARKER, COORDINATOR, T0)),
        ("note", lambda: mentorship.consult_coordinator("early_end", None, "ending_agreed", MARKER, COORDINATOR, T0)),
        ("note", lambda: mentorship.end("relational_difficulties", MARKER, MENTEE, at(days=2))),
    ]
    for field, command in steps:
        # When the command is applied
        command()
        events = new_events(mentorship)
        history.extend(events)
        # Then its event carries the text in its content field...
        if field:
            assert any(getattr(event, field, None) == MARKER for event in events), field
        # ...and the aggregate's state holds no trace of it
        assert not holds_text(state(mentorship), MARKER), field
    assert names(history)[-1] == "RelationshipEnded"


def test_r9_a_state_rebuilt_from_the_events_holds_no_content() -> None:
    # Given a whole history, from the draft on, whose content fields hold the marker
    mentorship = Mentorship.draft(uuid4(), PROGRAMME_ID, MENTOR_ID, MENTEE_ID, START, 10, TZ, COORDINATOR, T0)
    mentorship.add_objective(uuid4(), MARKER, MENTOR, T0)
    mentorship.sign(MENTOR, T0)
    mentorship.sign(MENTEE, T0)
    meeting_id = uuid4()
    mentorship.schedule_meeting(meeting_id, at(days=-1), MENTEE, T0)
    mentorship.hold_meeting(meeting_id, None, 60, MARKER, None, MENTOR, T0)
    mentorship.raise_dispute(uuid4(), MARKER, MENTEE, T0)
    mentorship.report_satisfaction(5, MARKER, MENTOR, T0)
    events = new_events(mentorship)
    assert holds_text(events, MARKER)
    # When the aggregate is rebuilt from its events (as the repository, or a snapshot, would)
    rebuilt: Any = None
    for event in events:
        rebuilt = event.mutate(rebuilt)
    # Then it is the same aggregate, and its state holds none of the texts
    assert isinstance(rebuilt, Mentorship)
    assert state(rebuilt) == state(mentorship)
    assert rebuilt.meetings[meeting_id].status == "held"
    assert not holds_text(state(rebuilt), MARKER)


def test_r9_a_disclosure_records_the_fact_not_the_content() -> None:
    # Given a convention in effect
    mentorship, _ = signed()
    # When the mentor records a disclosure because of a danger, authorities informed
    mentorship.record_disclosure("danger_to_self_or_others", "youth_protection", MENTOR, T0)
    # Then DisclosureRecorded holds only its basis and the authority, and the command takes no text at all
    [event] = new_events(mentorship)
    assert names([event]) == ["DisclosureRecorded"]
    assert {f.name for f in fields(event)} - METADATA == {"basis", "authority"}
    assert (event.basis, event.authority) == ("danger_to_self_or_others", "youth_protection")
    assert list(inspect.signature(Mentorship.record_disclosure).parameters) == [
        "self",
        "basis",
        "authority",
        "actor",
        "now",
    ]


def test_r9_the_danger_exception_is_the_mentor_s_only() -> None:
    mentorship, _ = signed()
    # When the mentee invokes the danger exception, Then it is forbidden
    assert_refused(
        mentorship,
        errors.Forbidden,
        lambda: mentorship.record_disclosure("danger_to_self_or_others", "police", MENTEE, T0),
    )


@pytest.mark.parametrize("actor", [MENTOR, MENTEE], ids=["mentor", "mentee"])
@pytest.mark.parametrize("basis", ["required_by_law", "made_public_by_other_party"])
def test_r9_either_party_records_the_other_exceptions(actor: Actor, basis: str) -> None:
    mentorship, _ = signed()
    mentorship.record_disclosure(basis, None, actor, T0)
    [event] = new_events(mentorship)
    assert (event.basis, event.authority, event.actor_role) == (basis, None, actor.role)


@pytest.mark.parametrize(("basis", "authority"), [("gossip", None), ("required_by_law", "newspaper")])
def test_r9_disclosure_values_are_checked(basis: str, authority: str | None) -> None:
    mentorship, _ = signed()
    assert_refused(mentorship, InvalidValue, lambda: mentorship.record_disclosure(basis, authority, MENTOR, T0))


def test_r9_the_coordinator_records_no_disclosure() -> None:
    mentorship, _ = signed()
    assert_refused(
        mentorship, errors.Forbidden, lambda: mentorship.record_disclosure("required_by_law", None, COORDINATOR, T0)
    )


def test_r9_confidentiality_outlives_the_relationship() -> None:
    # Given an ended relationship
    mentorship, _ = ended()
    # When a party records a satisfaction comment afterwards, Then the state still holds no content
    mentorship.report_satisfaction(3, MARKER, MENTEE, on_local_date(PLANNED_END))
    assert holds_text(new_events(mentorship), MARKER)
    assert not holds_text(state(mentorship), MARKER)


TOO_LONG = MARKER * (10_001 // len(MARKER) + 1)
OVERSIZED_CONTENT: list[tuple[str, Callable[[Mentorship], None]]] = [
    ("text", lambda m: m.add_objective(uuid4(), TOO_LONG, MENTOR, T0)),
    ("agenda", lambda m: m.submit_agenda(next(iter(m.meetings)), TOO_LONG, MENTEE, T0)),
    ("notes", lambda m: m.hold_meeting(next(iter(m.meetings)), None, 60, TOO_LONG, None, MENTOR, at(days=8))),
    ("note", lambda m: m.cancel_meeting(next(iter(m.meetings)), False, TOO_LONG, MENTOR, T0)),
    ("comment", lambda m: m.report_satisfaction(3, TOO_LONG, MENTOR, T0)),
    ("summary", lambda m: m.raise_dispute(uuid4(), TOO_LONG, MENTOR, T0)),
    ("note", lambda m: m.consult_coordinator("early_end", None, "reconciled", TOO_LONG, COORDINATOR, T0)),
    ("note", lambda m: m.end("completed", TOO_LONG, MENTOR, on_local_date(PLANNED_END))),
]


@pytest.mark.parametrize(
    ("field", "command"), OVERSIZED_CONTENT, ids=[f"{i}-{f}" for i, (f, _) in enumerate(OVERSIZED_CONTENT)]
)
def test_r9_a_refusal_never_echoes_the_content(field: str, command: Callable[[Mentorship], None]) -> None:
    # Given a convention in effect with a meeting next week
    mentorship, _ = signed()
    schedule(mentorship, at(days=7))
    # When a content field is over 10,000 characters, Then it is refused naming the field, never echoing the text
    error = assert_refused(mentorship, InvalidValue, lambda: command(mentorship))
    assert isinstance(error, InvalidValue)
    assert error.fields == (field,)
    assert MARKER not in str(error)
    assert not holds_text(error.args, MARKER)
