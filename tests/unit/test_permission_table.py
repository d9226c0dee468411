"""The one role table (`domain/permissions.py`): the domain's commands refuse exactly the roles it leaves out."""

from __future__ import annotations

from collections.abc import Callable
from uuid import uuid4

import pytest

from domain import errors
from domain.mentorship import Mentorship
from domain.permissions import ALLOWED, EVERYONE, Action
from domain.values import Actor
from tests.support import T0
from tests.unit.builders import AUDITOR, COORDINATOR, MENTEE, MENTOR, PROGRAMME_ID, START, at, schedule, signed

A = Action
Command = Callable[[Mentorship, Actor], object]
# Each mentorship command of the domain, given valid values, so that only the actor's role can refuse it
COMMANDS: dict[Action, Command] = {
    A.WITHDRAW_CONVENTION: lambda m, a: m.withdraw(a, T0),
    A.ADD_OBJECTIVE: lambda m, a: m.add_objective(uuid4(), "Speak at a meetup", a, T0),
    A.SIGN_CONVENTION: lambda m, a: m.sign(a, T0),
    A.ASSESS_OBJECTIVE: lambda m, a: m.assess_objective(next(iter(m.objectives)), "in_progress", a, T0),
    A.SCHEDULE_MEETING: lambda m, a: m.schedule_meeting(uuid4(), at(days=3), a, T0),
    A.RESCHEDULE_MEETING: lambda m, a: m.reschedule_meeting(next(iter(m.meetings)), at(days=4), a, T0),
    A.SUBMIT_AGENDA: lambda m, a: m.submit_agenda(next(iter(m.meetings)), "Goals", a, T0),
    A.RECORD_MEETING_HELD: lambda m, a: m.hold_meeting(next(iter(m.meetings)), T0, 60, None, None, a, at(days=3)),
    A.CANCEL_MEETING: lambda m, a: m.cancel_meeting(next(iter(m.meetings)), True, None, a, T0),
    A.REPORT_SATISFACTION: lambda m, a: m.report_satisfaction(4, None, a, T0),
    A.RAISE_DISPUTE: lambda m, a: m.raise_dispute(uuid4(), "A late start", a, T0),
    A.SETTLE_DISPUTE: lambda m, a: m.settle_dispute(next(iter(m.disputes)), a, T0),
    A.CONSULT_COORDINATOR: lambda m, a: m.consult_coordinator("early_end", None, "ending_agreed", None, a, T0),
    A.END_RELATIONSHIP: lambda m, a: m.end("completed", None, a, at(days=400)),
    A.RECORD_DISCLOSURE: lambda m, a: m.record_disclosure("required_by_law", None, a, T0),
}
ACTORS = {actor.role: actor for actor in (MENTOR, MENTEE, COORDINATOR, AUDITOR)}


def subject(action: Action) -> Mentorship:
    """A mentorship in which the command is valid: drafted for withdrawal or signing, else active with one of each."""
    if action in (A.WITHDRAW_CONVENTION, A.SIGN_CONVENTION, A.ADD_OBJECTIVE):
        mentorship = Mentorship.draft(uuid4(), PROGRAMME_ID, MENTOR.id, MENTEE.id, START, 10, "UTC", COORDINATOR, T0)  # type: ignore[arg-type]
        mentorship.add_objective(uuid4(), "Build a network", MENTOR, T0)
        return mentorship
    mentorship, _ = signed()
    schedule(mentorship, at(days=2))
    mentorship.raise_dispute(uuid4(), "A missed meeting", MENTEE, T0)
    return mentorship


@pytest.mark.parametrize("action", sorted(COMMANDS))
@pytest.mark.parametrize("role", sorted(EVERYONE))
def test_a_domain_command_refuses_exactly_the_roles_the_table_leaves_out(action: Action, role: str) -> None:
    mentorship = subject(action)
    if role in ALLOWED[action]:
        COMMANDS[action](mentorship, ACTORS[role])  # allowed: it decides on the rules, and here they accept
    else:
        with pytest.raises(errors.Forbidden):
            COMMANDS[action](mentorship, ACTORS[role])


def test_drafting_follows_the_table_too() -> None:
    for role, actor in ACTORS.items():
        if role in ALLOWED[A.DRAFT_CONVENTION]:
            Mentorship.draft(uuid4(), PROGRAMME_ID, MENTOR.id, MENTEE.id, START, 10, "UTC", actor, T0)  # type: ignore[arg-type]
        else:
            with pytest.raises(errors.Forbidden):
                Mentorship.draft(uuid4(), PROGRAMME_ID, MENTOR.id, MENTEE.id, START, 10, "UTC", actor, T0)  # type: ignore[arg-type]


def test_every_action_has_exactly_one_rule() -> None:
    assert set(ALLOWED) == set(Action)
