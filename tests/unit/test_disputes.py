"""R7: disputes are settled amicably or taken to the coordinator; the end closes those still open."""

from __future__ import annotations

from uuid import uuid4

import pytest

from domain import errors
from domain.errors import InvalidValue
from domain.mentorship import CLOSED_BY_END, OPEN, RECONCILED, SETTLED
from tests.support import T0
from tests.unit.builders import (
    COORDINATOR,
    MENTEE,
    MENTOR,
    PLANNED_END,
    assert_refused,
    names,
    new_events,
    on_local_date,
    raise_dispute,
    signed,
)


def test_r7_a_party_raises_a_dispute_which_is_open() -> None:
    # Given a convention in effect
    mentorship, _ = signed()
    dispute_id = uuid4()
    # When the mentee raises a dispute
    mentorship.raise_dispute(dispute_id, "We disagree about the schedule", MENTEE, T0)
    # Then DisputeRaised is recorded and the dispute is open
    [event] = new_events(mentorship)
    assert names([event]) == ["DisputeRaised"]
    assert event.dispute_id == dispute_id
    assert mentorship.disputes == {dispute_id: OPEN}


def test_r7_a_dispute_summary_is_required() -> None:
    mentorship, _ = signed()
    assert_refused(mentorship, InvalidValue, lambda: mentorship.raise_dispute(uuid4(), "", MENTEE, T0))


def test_r7_the_parties_settle_a_dispute_amicably() -> None:
    # Given an open dispute raised by the mentee
    mentorship, _ = signed()
    dispute_id = raise_dispute(mentorship)
    # When the mentor's word settles it
    mentorship.settle_dispute(dispute_id, MENTOR, T0)
    # Then DisputeSettled is recorded and the dispute is closed as settled
    assert names(new_events(mentorship)) == ["DisputeSettled"]
    assert mentorship.disputes[dispute_id] == SETTLED


def test_r7_a_settled_dispute_cannot_be_settled_again() -> None:
    mentorship, _ = signed()
    dispute_id = raise_dispute(mentorship)
    mentorship.settle_dispute(dispute_id, MENTOR, T0)
    new_events(mentorship)
    assert_refused(mentorship, errors.DisputeNotOpen, lambda: mentorship.settle_dispute(dispute_id, MENTEE, T0))


def test_r7_settling_an_unknown_dispute_is_not_found() -> None:
    mentorship, _ = signed()
    assert_refused(mentorship, errors.NotFound, lambda: mentorship.settle_dispute(uuid4(), MENTEE, T0))


def test_r7_the_coordinator_cannot_settle_on_behalf_of_the_parties() -> None:
    mentorship, _ = signed()
    dispute_id = raise_dispute(mentorship)
    assert_refused(mentorship, errors.Forbidden, lambda: mentorship.settle_dispute(dispute_id, COORDINATOR, T0))


def test_r7_a_consultation_ending_reconciled_closes_the_dispute() -> None:
    # Given an open dispute
    mentorship, _ = signed()
    dispute_id = raise_dispute(mentorship)
    # When the coordinator records a consultation about it that ended reconciled
    mentorship.consult_coordinator("dispute", dispute_id, "reconciled", "Met both", COORDINATOR, T0)
    # Then CoordinatorConsulted is recorded and the dispute is closed as reconciled
    [event] = new_events(mentorship)
    assert names([event]) == ["CoordinatorConsulted"]
    assert (event.topic, event.dispute_id, event.outcome) == ("dispute", dispute_id, "reconciled")
    assert mentorship.disputes[dispute_id] == RECONCILED


def test_r7_a_consultation_not_reconciled_leaves_the_dispute_open() -> None:
    # Given an open dispute taken to the coordinator without reconciliation
    mentorship, _ = signed()
    dispute_id = raise_dispute(mentorship)
    mentorship.consult_coordinator("dispute", dispute_id, "not_reconciled", None, COORDINATOR, T0)
    new_events(mentorship)
    # Then it is still open: it can still be settled
    assert mentorship.disputes[dispute_id] == OPEN
    mentorship.settle_dispute(dispute_id, MENTEE, T0)
    assert names(new_events(mentorship)) == ["DisputeSettled"]


@pytest.mark.parametrize("close", ["settle", "reconcile"])
def test_r7_a_consultation_only_about_an_open_dispute(close: str) -> None:
    # Given a dispute already closed
    mentorship, _ = signed()
    dispute_id = raise_dispute(mentorship)
    if close == "settle":
        mentorship.settle_dispute(dispute_id, MENTOR, T0)
    else:
        mentorship.consult_coordinator("dispute", dispute_id, "reconciled", None, COORDINATOR, T0)
    new_events(mentorship)
    # When the coordinator records another consultation about it, Then it is refused as not open
    assert_refused(
        mentorship,
        errors.DisputeNotOpen,
        lambda: mentorship.consult_coordinator("dispute", dispute_id, "not_reconciled", None, COORDINATOR, T0),
    )


@pytest.mark.parametrize(
    ("topic", "with_dispute", "outcome", "field"),
    [
        ("dispute", False, "reconciled", "dispute_id"),
        ("dispute", True, "ending_agreed", "outcome"),
        ("early_end", True, "ending_agreed", "dispute_id"),
        ("early_end", False, "maybe", "outcome"),
        ("weather", False, "reconciled", "topic"),
    ],
    ids=["dispute-without-id", "dispute-ending-agreed", "early-end-with-id", "bad-outcome", "bad-topic"],
)
def test_r7_consultation_values_are_checked(topic: str, with_dispute: bool, outcome: str, field: str) -> None:
    mentorship, _ = signed()
    dispute_id = raise_dispute(mentorship) if with_dispute else None
    error = assert_refused(
        mentorship,
        InvalidValue,
        lambda: mentorship.consult_coordinator(topic, dispute_id, outcome, None, COORDINATOR, T0),
    )
    assert isinstance(error, InvalidValue)
    assert error.fields == (field,)


def test_r7_a_consultation_about_an_unknown_dispute_is_refused() -> None:
    mentorship, _ = signed()
    assert_refused(
        mentorship,
        InvalidValue,
        lambda: mentorship.consult_coordinator("dispute", uuid4(), "reconciled", None, COORDINATOR, T0),
    )


def test_r7_only_the_coordinator_records_a_consultation() -> None:
    mentorship, _ = signed()
    dispute_id = raise_dispute(mentorship)
    assert_refused(
        mentorship,
        errors.Forbidden,
        lambda: mentorship.consult_coordinator("dispute", dispute_id, "reconciled", None, MENTOR, T0),
    )


def test_r7_ending_the_relationship_closes_open_disputes_by_the_end_not_as_settled() -> None:
    # Given one dispute settled and one still open
    mentorship, _ = signed()
    settled, still_open = raise_dispute(mentorship), raise_dispute(mentorship, MENTOR)
    mentorship.settle_dispute(settled, MENTEE, T0)
    new_events(mentorship)
    # When the relationship ends on its planned end date
    mentorship.end("completed", None, MENTEE, on_local_date(PLANNED_END))
    # Then the open one is closed by the end, and the settled one stays settled
    assert names(new_events(mentorship)) == ["RelationshipEnded"]
    assert mentorship.disputes == {settled: SETTLED, still_open: CLOSED_BY_END}
