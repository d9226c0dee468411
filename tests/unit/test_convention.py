"""R1: a convention is drafted, given objectives, and takes effect only when both parties have signed."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from uuid import uuid4

import pytest

from domain import errors
from domain.errors import InvalidValue
from domain.mentorship import ACTIVE, AWAITING, WITHDRAWN, Mentorship
from domain.values import MAX_OBJECTIVES, Actor
from tests.support import T0
from tests.unit.builders import (
    COORDINATOR,
    IMPOSTOR,
    MENTEE,
    MENTEE_ID,
    MENTOR,
    MENTOR_ID,
    OUTSIDER_MENTOR,
    PROGRAMME_ID,
    TZ,
    assert_refused,
    at,
    draft,
    names,
    new_events,
    signed,
    with_objective,
)


def test_r1_coordinator_drafts_a_convention_for_a_pair() -> None:
    # When the coordinator drafts a ten-month convention starting on 2026-01-01
    mentorship = Mentorship.draft(
        uuid4(), PROGRAMME_ID, MENTOR_ID, MENTEE_ID, date(2026, 1, 1), 10, TZ, COORDINATOR, T0
    )
    # Then one ConventionDrafted records the pair, the dates and the drafting coordinator
    [event] = new_events(mentorship)
    assert names([event]) == ["ConventionDrafted"]
    assert (event.mentor_id, event.mentee_id, event.months) == (MENTOR_ID, MENTEE_ID, 10)
    assert event.planned_end_on == date(2026, 11, 1)
    assert (event.actor_id, event.actor_role) == (COORDINATOR.id, "coordinator")
    assert mentorship.status == AWAITING


def test_r1_planned_end_is_clipped_to_the_last_day_of_the_month() -> None:
    # Given a convention starting on January 31st for one month
    mentorship = draft(starts_on=date(2026, 1, 31), months=1)
    # Then it is planned to end on the last day of February
    assert mentorship.planned_end_on == date(2026, 2, 28)


def test_r1_only_a_coordinator_drafts() -> None:
    # When a mentor tries to draft a convention, Then it is forbidden
    with pytest.raises(errors.Forbidden):
        Mentorship.draft(uuid4(), PROGRAMME_ID, MENTOR_ID, MENTEE_ID, date(2026, 1, 1), 10, TZ, MENTOR, T0)


def test_r1_mentor_and_mentee_are_distinct() -> None:
    # When the coordinator names the same person as mentor and mentee, Then the value is refused
    with pytest.raises(InvalidValue) as raised:
        Mentorship.draft(uuid4(), PROGRAMME_ID, MENTOR_ID, MENTOR_ID, date(2026, 1, 1), 10, TZ, COORDINATOR, T0)
    assert type(raised.value) is InvalidValue


@pytest.mark.parametrize("months", [0, 37, -1])
def test_r1_duration_in_months_is_bounded(months: int) -> None:
    # When the coordinator drafts a convention of an impossible length, Then the value is refused
    with pytest.raises(InvalidValue) as raised:
        Mentorship.draft(uuid4(), PROGRAMME_ID, MENTOR_ID, MENTEE_ID, date(2026, 1, 1), months, TZ, COORDINATOR, T0)
    assert raised.value.fields == ("months",)


def test_r1_parties_add_objectives_to_a_draft() -> None:
    # Given a draft
    mentorship = draft()
    objective_id = uuid4()
    # When the mentor adds an objective
    mentorship.add_objective(objective_id, "Learn to negotiate", MENTOR, T0)
    # Then ObjectiveAdded is recorded and the objective starts as not started
    assert names(new_events(mentorship)) == ["ObjectiveAdded"]
    assert mentorship.objectives == {objective_id: "not_started"}


def test_r1_signing_needs_at_least_one_objective() -> None:
    # Given a draft without objectives
    mentorship = draft()
    # When the mentor signs, Then it is refused and nothing is recorded
    assert_refused(mentorship, errors.ObjectivesRequired, lambda: mentorship.sign(MENTOR, T0))


def test_r1_one_signature_does_not_make_the_convention_take_effect() -> None:
    # Given a draft with an objective
    mentorship, _ = with_objective()
    # When only the mentor signs
    mentorship.sign(MENTOR, T0)
    # Then the signature is recorded but the convention still awaits the mentee
    assert names(new_events(mentorship)) == ["PartySigned"]
    assert mentorship.status == AWAITING


def test_r1_convention_takes_effect_when_both_parties_have_signed() -> None:
    # Given a draft with an objective, signed by the mentee
    mentorship, _ = with_objective()
    mentorship.sign(MENTEE, T0)
    new_events(mentorship)
    # When the mentor signs too
    mentorship.sign(MENTOR, at(hours=1))
    # Then the second signature and ConventionSigned are recorded together, and it is active
    events = new_events(mentorship)
    assert names(events) == ["PartySigned", "ConventionSigned"]
    assert [e.actor_role for e in events] == ["mentor", "mentor"]
    assert mentorship.status == ACTIVE


def test_r1_a_party_signs_only_once() -> None:
    # Given a draft the mentor has signed
    mentorship, _ = with_objective()
    mentorship.sign(MENTOR, T0)
    new_events(mentorship)
    # When the mentor signs again, Then it is refused as already signed
    assert_refused(mentorship, errors.AlreadySigned, lambda: mentorship.sign(MENTOR, T0))


def test_r1_signing_an_active_convention_again_is_refused() -> None:
    # Given a convention in effect
    mentorship, _ = signed()
    # When the mentee signs again, Then it is refused as already signed
    assert_refused(mentorship, errors.AlreadySigned, lambda: mentorship.sign(MENTEE, T0))


@pytest.mark.parametrize("actor", [COORDINATOR, OUTSIDER_MENTOR, IMPOSTOR], ids=["coordinator", "outsider", "impostor"])
def test_r1_only_the_two_parties_sign(actor: Actor) -> None:
    # Given a draft with an objective
    mentorship, _ = with_objective()
    # When someone other than the pair (or a party claiming the other's role) signs, Then it is forbidden
    assert_refused(mentorship, errors.Forbidden, lambda: mentorship.sign(actor, T0))


def test_r1_coordinator_withdraws_a_draft() -> None:
    # Given a draft signed by one party only
    mentorship, _ = with_objective()
    mentorship.sign(MENTOR, T0)
    new_events(mentorship)
    # When the coordinator withdraws it
    mentorship.withdraw(COORDINATOR, T0)
    # Then ConventionWithdrawn is recorded
    assert names(new_events(mentorship)) == ["ConventionWithdrawn"]
    assert mentorship.status == WITHDRAWN


def test_r1_a_party_cannot_withdraw_a_draft() -> None:
    mentorship = draft()
    # When the mentee tries to withdraw, Then it is forbidden
    assert_refused(mentorship, errors.Forbidden, lambda: mentorship.withdraw(MENTEE, T0))


def test_r1_a_convention_in_effect_cannot_be_withdrawn() -> None:
    # Given a signed convention
    mentorship, _ = signed()
    # When the coordinator tries to withdraw it, Then it is refused as active
    assert_refused(mentorship, errors.ConventionActive, lambda: mentorship.withdraw(COORDINATOR, T0))


@pytest.mark.parametrize(
    "command",
    [
        lambda m: m.add_objective(uuid4(), "Another", MENTOR, T0),
        lambda m: m.sign(MENTOR, T0),
        lambda m: m.withdraw(COORDINATOR, T0),
        lambda m: m.report_satisfaction(4, None, MENTOR, T0),
        lambda m: m.schedule_meeting(uuid4(), at(days=3), MENTOR, T0),
    ],
    ids=["objective", "sign", "withdraw", "satisfaction", "meeting"],
)
def test_r1_a_withdrawn_convention_accepts_nothing(command: Callable[[Mentorship], None]) -> None:
    # Given a withdrawn draft with an objective
    mentorship, _ = with_objective()
    mentorship.withdraw(COORDINATOR, T0)
    new_events(mentorship)
    # When any command is sent, Then it is refused as withdrawn
    assert_refused(mentorship, errors.ConventionWithdrawn, lambda: command(mentorship))


def test_r1_at_most_twenty_objectives() -> None:
    # Given a draft with twenty objectives
    mentorship = draft()
    for n in range(MAX_OBJECTIVES):
        mentorship.add_objective(uuid4(), f"Objective {n}", MENTEE, T0)
    new_events(mentorship)
    # When a twenty-first is added, Then the value is refused
    error = assert_refused(mentorship, InvalidValue, lambda: mentorship.add_objective(uuid4(), "One more", MENTEE, T0))
    assert isinstance(error, InvalidValue)
    assert error.fields == ("text",)


@pytest.mark.parametrize("text", ["", "   ", "x" * 10_001], ids=["empty", "blank", "too-long"])
def test_r1_objective_text_is_required_and_bounded(text: str) -> None:
    mentorship = draft()
    # When an objective's text is blank or over 10,000 characters, Then the value is refused
    assert_refused(mentorship, InvalidValue, lambda: mentorship.add_objective(uuid4(), text, MENTEE, T0))


def test_r1_objective_text_of_exactly_ten_thousand_characters_is_accepted() -> None:
    mentorship = draft()
    mentorship.add_objective(uuid4(), "x" * 10_000, MENTEE, T0)
    assert names(new_events(mentorship)) == ["ObjectiveAdded"]


def test_r1_only_a_party_adds_objectives() -> None:
    mentorship = draft()
    # When the coordinator adds an objective, Then it is forbidden (the pair set the objectives)
    assert_refused(mentorship, errors.Forbidden, lambda: mentorship.add_objective(uuid4(), "Goal", COORDINATOR, T0))


@pytest.mark.parametrize(
    ("command", "error"),
    [
        (lambda m, o: m.schedule_meeting(uuid4(), at(days=3), MENTOR, T0), errors.ConventionNotSigned),
        (lambda m, o: m.assess_objective(o, "in_progress", MENTOR, T0), errors.ConventionNotSigned),
        (lambda m, o: m.report_satisfaction(5, None, MENTEE, T0), errors.ConventionNotSigned),
        (lambda m, o: m.raise_dispute(uuid4(), "Disagreement", MENTEE, T0), errors.ConventionNotSigned),
        (
            lambda m, o: m.consult_coordinator("early_end", None, "reconciled", None, COORDINATOR, T0),
            errors.ConventionNotSigned,
        ),
        (lambda m, o: m.end("other", None, MENTOR, T0), errors.ConventionNotSigned),
        (lambda m, o: m.record_disclosure("required_by_law", "court", MENTOR, T0), errors.ConventionNotSigned),
    ],
    ids=["schedule", "assess", "satisfaction", "dispute", "consultation", "end", "disclosure"],
)
def test_invariant_before_signature_only_objectives_signatures_and_withdrawal(
    command: Callable[[Mentorship, object], None], error: type[errors.DomainError]
) -> None:
    # Given a draft with an objective, signed by one party only
    mentorship, objective_id = with_objective()
    mentorship.sign(MENTOR, T0)
    new_events(mentorship)
    # When any other command is sent, Then it is refused as not signed, and nothing is recorded
    assert_refused(mentorship, error, lambda: command(mentorship, objective_id))
