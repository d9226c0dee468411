"""R6: both parties assess the objectives and report their satisfaction."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

import pytest

from domain import errors
from domain.errors import InvalidValue
from domain.values import Actor
from tests.support import T0
from tests.unit.builders import COORDINATOR, MENTEE, MENTOR, assert_refused, at, ended, names, new_events, signed


@pytest.mark.parametrize("status", ["not_started", "in_progress", "attained", "abandoned"])
def test_r6_a_party_assesses_an_objective(status: str) -> None:
    # Given a convention in effect with one objective
    mentorship, objective_id = signed()
    # When the mentor assesses it
    mentorship.assess_objective(objective_id, status, MENTOR, T0)
    # Then ObjectiveAssessed is recorded and the status is the assessed one
    [event] = new_events(mentorship)
    assert names([event]) == ["ObjectiveAssessed"]
    assert (event.objective_id, event.status) == (objective_id, status)
    assert mentorship.objectives[objective_id] == status


def test_r6_the_latest_assessment_from_either_party_is_the_status() -> None:
    # Given an objective the mentor found attained
    mentorship, objective_id = signed()
    mentorship.assess_objective(objective_id, "attained", MENTOR, T0)
    # When the mentee later says it is still in progress
    mentorship.assess_objective(objective_id, "in_progress", MENTEE, at(days=1))
    # Then the objective's status is the mentee's, the latest
    assert [e.actor_role for e in new_events(mentorship)] == ["mentor", "mentee"]
    assert mentorship.objectives[objective_id] == "in_progress"


def test_r6_an_unknown_status_is_refused() -> None:
    mentorship, objective_id = signed()
    assert_refused(mentorship, InvalidValue, lambda: mentorship.assess_objective(objective_id, "failed", MENTOR, T0))
    assert mentorship.objectives[objective_id] == "not_started"


def test_r6_an_unknown_objective_is_not_found() -> None:
    mentorship, _ = signed()
    assert_refused(mentorship, errors.NotFound, lambda: mentorship.assess_objective(uuid4(), "attained", MENTOR, T0))


def test_r6_the_coordinator_does_not_assess_objectives() -> None:
    mentorship, objective_id = signed()
    assert_refused(
        mentorship, errors.Forbidden, lambda: mentorship.assess_objective(objective_id, "attained", COORDINATOR, T0)
    )


@pytest.mark.parametrize(("actor", "score"), [(MENTOR, 1), (MENTEE, 5), (MENTOR, 3)])
def test_r6_each_party_reports_satisfaction_from_1_to_5(actor: Actor, score: int) -> None:
    # Given a convention in effect
    mentorship, _ = signed()
    # When a party reports its satisfaction with a comment
    mentorship.report_satisfaction(score, "Going well", actor, T0)
    # Then SatisfactionReported records the party's role and the score
    [event] = new_events(mentorship)
    assert names([event]) == ["SatisfactionReported"]
    assert (event.actor_role, event.score) == (actor.role, score)


@pytest.mark.parametrize("score", [0, 6, -1, True], ids=["zero", "six", "negative", "bool"])
def test_r6_a_satisfaction_score_outside_1_to_5_is_refused(score: Any) -> None:
    mentorship, _ = signed()
    error = assert_refused(mentorship, InvalidValue, lambda: mentorship.report_satisfaction(score, None, MENTEE, T0))
    assert isinstance(error, InvalidValue)
    assert error.fields == ("score",)


def test_r6_the_coordinator_does_not_report_satisfaction() -> None:
    mentorship, _ = signed()
    assert_refused(mentorship, errors.Forbidden, lambda: mentorship.report_satisfaction(4, None, COORDINATOR, T0))


def test_r6_assessments_and_satisfaction_are_accepted_after_the_end() -> None:
    # Given a relationship that has ended
    mentorship, objective_id = ended()
    # When the parties assess an objective and report satisfaction afterwards
    mentorship.assess_objective(objective_id, "attained", MENTEE, at(days=320))
    mentorship.report_satisfaction(4, None, MENTOR, at(days=320))
    # Then both are recorded (R8 keeps them open after the end)
    assert names(new_events(mentorship)) == ["ObjectiveAssessed", "SatisfactionReported"]
