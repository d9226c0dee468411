"""R8: either party may end the relationship, early only after consulting the coordinator."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from uuid import UUID, uuid4

import pytest

from domain import errors
from domain.errors import InvalidValue
from domain.mentorship import ENDED, Mentorship
from domain.values import Actor, local_date
from tests.support import T0
from tests.unit.builders import (
    COORDINATOR,
    MENTEE,
    MENTOR,
    OUTSIDER_MENTOR,
    PLANNED_END,
    TZ,
    assert_refused,
    at,
    ended,
    names,
    new_events,
    on_local_date,
    raise_dispute,
    schedule,
    signed,
    with_objective,
)


def test_r8_early_end_refused_without_consultation() -> None:
    # Given a convention in effect, months before its planned end
    mentorship, _ = signed()
    # When the mentee ends it without having consulted the coordinator
    # Then it is refused and nothing is recorded
    assert_refused(
        mentorship,
        errors.CoordinatorConsultationRequired,
        lambda: mentorship.end("no_longer_needed", None, MENTEE, at(days=30)),
    )
    assert mentorship.status == "active"


@pytest.mark.parametrize("outcome", ["reconciled", "not_reconciled", "ending_agreed"])
def test_r8_early_end_accepted_after_an_early_end_consultation_of_any_outcome(outcome: str) -> None:
    # Given a convention in effect, and a consultation about ending with the coordinator
    mentorship, _ = signed()
    mentorship.consult_coordinator("early_end", None, outcome, None, COORDINATOR, at(days=20))
    new_events(mentorship)
    # When the mentee ends it early
    mentorship.end("relational_difficulties", None, MENTEE, at(days=30))
    # Then RelationshipEnded records who ended it, the reason, the date, and that it was early
    [event] = new_events(mentorship)
    assert names([event]) == ["RelationshipEnded"]
    assert (event.actor_role, event.reason, event.early) == ("mentee", "relational_difficulties", True)
    assert event.ended_on == at(days=30).date()
    assert mentorship.status == ENDED


def test_r8_a_dispute_consultation_does_not_allow_an_early_end() -> None:
    # Given a consultation about a dispute (not about ending)
    mentorship, _ = signed()
    dispute_id = raise_dispute(mentorship)
    mentorship.consult_coordinator("dispute", dispute_id, "not_reconciled", None, COORDINATOR, T0)
    new_events(mentorship)
    # When the mentor ends early, Then a consultation about ending is still required
    assert_refused(
        mentorship, errors.CoordinatorConsultationRequired, lambda: mentorship.end("other", None, MENTOR, at(days=5))
    )


def test_r8_an_early_end_consultation_counts_only_after_the_signature() -> None:
    # Given a draft awaiting signatures
    draft_only, _ = with_objective()
    # When the coordinator records a consultation about ending, Then it is refused: it cannot pre-authorise an end
    assert_refused(
        draft_only,
        errors.ConventionNotSigned,
        lambda: draft_only.consult_coordinator("early_end", None, "ending_agreed", None, COORDINATOR, T0),
    )


def test_r8_ending_on_the_planned_end_date_is_the_normal_completion() -> None:
    # Given a convention in effect, never taken to the coordinator
    mentorship, _ = signed()
    # When the mentor ends it on its planned end date (programme time zone)
    mentorship.end("completed", "Thanks", MENTOR, on_local_date(PLANNED_END))
    # Then it ends normally, not early
    [event] = new_events(mentorship)
    assert (event.early, event.ended_on) == (False, PLANNED_END)


def test_r8_ending_after_the_planned_end_date_is_not_early() -> None:
    mentorship, _ = signed()
    mentorship.end("completed", None, MENTEE, on_local_date(PLANNED_END + timedelta(days=40)))
    [event] = new_events(mentorship)
    assert event.early is False


def test_r8_the_planned_end_date_is_read_in_the_programme_time_zone() -> None:
    # Given a convention planned to end on 2026-11-01 in America/Toronto
    mentorship, _ = signed()
    # When it is ended at 03:00 UTC on 2026-11-01, which is still 2026-10-31 in Toronto
    still_october = datetime(2026, 11, 1, 3, 0, tzinfo=UTC)
    assert local_date(still_october, TZ) == date(2026, 10, 31)
    # Then it is early, and refused without a consultation
    assert_refused(
        mentorship,
        errors.CoordinatorConsultationRequired,
        lambda: mentorship.end("completed", None, MENTOR, still_october),
    )


def test_r8_the_coordinator_may_end_the_relationship() -> None:
    mentorship, _ = signed()
    mentorship.end("other", None, COORDINATOR, on_local_date(PLANNED_END))
    [event] = new_events(mentorship)
    assert (event.actor_id, event.actor_role) == (COORDINATOR.id, "coordinator")


def test_r8_someone_outside_the_mentorship_cannot_end_it() -> None:
    mentorship, _ = signed()
    assert_refused(
        mentorship,
        errors.Forbidden,
        lambda: mentorship.end("completed", None, OUTSIDER_MENTOR, on_local_date(PLANNED_END)),
    )


def test_r8_the_reason_is_a_known_category() -> None:
    mentorship, _ = signed()
    assert_refused(mentorship, InvalidValue, lambda: mentorship.end("bored", None, MENTOR, on_local_date(PLANNED_END)))


def test_r8_a_relationship_ends_only_once() -> None:
    mentorship, _ = ended()
    assert_refused(
        mentorship, errors.RelationshipEnded, lambda: mentorship.end("completed", None, MENTEE, at(days=400))
    )


REFUSED_AFTER_END: list[tuple[str, Callable[[Mentorship, UUID, UUID], None]]] = [
    ("objective", lambda m, o, mid: m.add_objective(uuid4(), "New", MENTOR, at(days=400))),
    ("sign", lambda m, o, mid: m.sign(MENTOR, at(days=400))),
    ("withdraw", lambda m, o, mid: m.withdraw(COORDINATOR, at(days=400))),
    ("schedule", lambda m, o, mid: m.schedule_meeting(uuid4(), at(days=410), MENTOR, at(days=400))),
    ("reschedule", lambda m, o, mid: m.reschedule_meeting(mid, at(days=410), MENTOR, at(days=400))),
    ("agenda", lambda m, o, mid: m.submit_agenda(mid, "Agenda", MENTEE, at(days=299))),
    ("hold", lambda m, o, mid: m.hold_meeting(mid, None, 60, None, None, MENTOR, at(days=400))),
    ("cancel", lambda m, o, mid: m.cancel_meeting(mid, True, None, MENTEE, at(days=400))),
    ("dispute", lambda m, o, mid: m.raise_dispute(uuid4(), "Late dispute", MENTEE, at(days=400))),
    (
        "consultation",
        lambda m, o, mid: m.consult_coordinator("early_end", None, "ending_agreed", None, COORDINATOR, at(days=400)),
    ),
]


@pytest.mark.parametrize("command", [c for _, c in REFUSED_AFTER_END], ids=[n for n, _ in REFUSED_AFTER_END])
def test_r8_after_the_end_only_satisfaction_assessments_and_disclosures(
    command: Callable[[Mentorship, UUID, UUID], None],
) -> None:
    # Given a relationship that ended, with a meeting still scheduled after the end
    mentorship, objective_id = signed()
    meeting_id = schedule(mentorship, at(days=300))
    mentorship.end("completed", None, MENTOR, on_local_date(PLANNED_END))
    new_events(mentorship)
    # When anything else is sent, Then it is refused as ended
    assert_refused(mentorship, errors.RelationshipEnded, lambda: command(mentorship, objective_id, meeting_id))


@pytest.mark.parametrize("actor", [MENTOR, MENTEE], ids=["mentor", "mentee"])
def test_r8_after_the_end_disclosures_are_still_accepted(actor: Actor) -> None:
    mentorship, _ = ended()
    mentorship.record_disclosure("required_by_law", "court", actor, at(days=400))
    assert names(new_events(mentorship)) == ["DisclosureRecorded"]
