"""R10: nothing rates a person. No event field or aggregate state scores or ranks a participant."""

from __future__ import annotations

import copy
import re
from dataclasses import fields
from uuid import uuid4

from domain import credential, mentorship, participant, programme
from domain.events import MentoratEvent
from domain.participant import Participant
from domain.programme import Programme
from domain.values import Actor
from tests.spec import SECTION_2_EVENTS
from tests.support import T0
from tests.unit.builders import (
    COORDINATOR,
    MENTEE,
    MENTEE_ID,
    MENTOR,
    PLANNED_END,
    PROGRAMME_ID,
    at,
    new_events,
    on_local_date,
    raise_dispute,
    schedule,
    signed,
)

RATING_WORDS = re.compile(
    r"(^|_)(scores?|rat(e|es|ed|ing|ings)|ranks?|ranking|grades?|perf\w*|evaluat\w*|merit|stars?|points)(_|$)"
)
# The one score of the domain: a party's satisfaction with this relationship (R6), kept in the mentorship's stream.
ALLOWED = {("SatisfactionReported", "score")}

PARTICIPANT_STATE = {"programme_id", "role", "name", "email", "language", "active", "erased", "convention_id"}
PARTICIPANT_STATE |= {"sign_in_codes"}  # when the latest sign-in codes were issued: the hourly limit, no score
MENTORSHIP_STATE = {
    "programme_id",
    "mentor_id",
    "mentee_id",
    "starts_on",
    "months",
    "planned_end_on",
    "time_zone",
    "status",
    "signed_roles",
    "objectives",
    "meetings",
    "disputes",
    "early_end_consulted",
    "ended_on",
}
PROGRAMME_STATE = {
    "name",
    "time_zone",
    "default_months",
    "meeting_minutes_min",
    "meeting_minutes_max",
    "thresholds",
}


def public_state(aggregate: object) -> set[str]:
    """The aggregate's own attributes (the library's start with an underscore)."""
    return {name for name in vars(aggregate) if not name.startswith("_")}


def domain_event_classes() -> list[type[MentoratEvent]]:
    """Every event class declared by the domain's aggregates."""
    found: list[type[MentoratEvent]] = []
    for module in (programme, participant, mentorship, credential):
        for aggregate in vars(module).values():
            if isinstance(aggregate, type) and aggregate.__module__ == module.__name__:
                found.extend(
                    e for e in vars(aggregate).values() if isinstance(e, type) and issubclass(e, MentoratEvent)
                )
    return found


def test_r10_no_event_field_scores_or_ranks_a_person() -> None:
    # Given every event class of the domain
    classes = domain_event_classes()
    assert {cls.__name__ for cls in classes} >= SECTION_2_EVENTS
    # Then no field but the satisfaction score is named like a rating, rank, grade or evaluation
    rating_fields = {
        (cls.__name__, f.name) for cls in classes for f in fields(cls) if RATING_WORDS.search(f.name.lower())
    }
    assert rating_fields == ALLOWED


def test_r10_the_rating_vocabulary_check_would_catch_a_rating_field() -> None:
    # The check above is only honest if it recognises the words it looks for
    for name in ("rating", "mentor_score", "rank", "performance_level", "evaluation", "stars"):
        assert RATING_WORDS.search(name), name
    for name in ("duration_minutes", "starts_on", "reason", "status", "programme_id"):
        assert not RATING_WORDS.search(name), name


def test_r10_participant_state_holds_no_rating() -> None:
    # Given a mentee through a whole life: registered, invited, redeemed, assigned, released, deactivated
    person = Participant.register(uuid4(), PROGRAMME_ID, "mentee", "Mentee", "m@example.org", "fr", COORDINATOR, T0)
    mentorship_id = uuid4()
    person.issue_invitation(uuid4(), at(days=7), COORDINATOR, T0)
    person.redeem_invitation(uuid4(), uuid4(), at(days=30), Actor(person.id, "mentee"), T0)
    person.assign_convention(mentorship_id, COORDINATOR, T0)
    person.release_convention(mentorship_id, COORDINATOR, T0)
    person.deactivate(COORDINATOR, T0)
    assert len(new_events(person)) == 6
    # Then the person's state is exactly what access and the one-convention rule need: no score of any kind
    assert public_state(person) == PARTICIPANT_STATE


def test_r10_mentorship_state_keeps_no_score_of_either_party() -> None:
    # Given a relationship with meetings, cancellations, a dispute and satisfaction reports from both parties
    mentorship, objective_id = signed()
    meeting_id = schedule(mentorship, at(days=-1))
    mentorship.hold_meeting(meeting_id, None, 45, None, None, MENTOR, T0)
    mentorship.cancel_meeting(schedule(mentorship, at(days=5)), False, None, MENTEE, T0)
    raise_dispute(mentorship)
    mentorship.assess_objective(objective_id, "abandoned", MENTOR, T0)
    before = copy.deepcopy({k: v for k, v in vars(mentorship).items() if not k.startswith("_")})
    # When both parties report satisfaction, one very low and one very high
    mentorship.report_satisfaction(1, None, MENTOR, T0)
    mentorship.report_satisfaction(5, None, MENTEE, T0)
    # Then the state is unchanged: no score of either party is kept
    assert {k: v for k, v in vars(mentorship).items() if not k.startswith("_")} == before
    # And after the end, the state still describes the relationship's process only
    mentorship.end("completed", None, MENTEE, on_local_date(PLANNED_END))
    assert public_state(mentorship) == MENTORSHIP_STATE


def test_r10_satisfaction_belongs_to_the_relationship_and_the_party_role() -> None:
    # Given a convention in effect
    mentorship, _ = signed()
    # When the mentee reports satisfaction
    mentorship.report_satisfaction(2, None, MENTEE, T0)
    # Then the event carries the score and the reporting party, and nothing that names or rates anyone else
    [event] = new_events(mentorship)
    own = {f.name for f in fields(event)} - {f.name for f in fields(MentoratEvent)}
    assert own == {"score", "comment"}
    assert (event.actor_id, event.actor_role) == (MENTEE_ID, "mentee")


def test_r10_programme_state_holds_no_ranking() -> None:
    launched = Programme.launch(uuid4(), "Programme", Actor.operator(), T0)
    assert public_state(launched) == PROGRAMME_STATE
    assert not any(RATING_WORDS.search(key) for key in launched.thresholds)
