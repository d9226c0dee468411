"""Rules that span aggregates or the store, through the application on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

import pytest

from application.authorization import Caller
from application.errors import NotFound, PreconditionFailed, Unauthenticated, VersionConflict
from application.mentorat import CommandResult
from application.service import MentoratService
from domain import errors
from domain.errors import DomainError, InvalidValue
from domain.mentorship import ACTIVE, AWAITING, Mentorship
from domain.participant import Participant
from domain.values import Actor
from tests.support import T0, FakeClock, invited

START = date(2026, 1, 1)
PLANNED_END_NOON = datetime(2026, 11, 1, 12, 0, tzinfo=ZoneInfo("America/Toronto"))
MARKER = "CONFIDENTIAL-MARKER-93ab7d"


@dataclass
class World:
    """A programme with its coordinator, a mentor and a mentee, each holding a redeemed token."""

    service: MentoratService
    clock: FakeClock
    coordinator: Caller
    mentor: Caller
    mentee: Caller

    @property
    def programme_id(self) -> UUID:
        return self.coordinator.programme_id

    def join(self, role: str, name: str, coordinator: Caller | None = None) -> Caller:
        """Register, invite, redeem and authenticate a participant (an auditor: by the operator)."""
        coordinator = coordinator or self.coordinator
        email, people = f"{uuid4().hex}@example.org", self.service.participants
        if role == "auditor":
            registered = people.register_as_operator(coordinator.programme_id, role, name, email, "fr")
            code = people.invite_as_operator(registered.aggregate_id).data["code"]
        else:
            registered = people.register(coordinator, coordinator.programme_id, role, name, email, "fr")
            code = invited(self.service, coordinator, registered.aggregate_id)
        token = self.service.participants.redeem(code).data["token"]
        return self.service.participants.authenticate(token)

    def draft(self, mentor: Caller | None = None, mentee: Caller | None = None) -> UUID:
        """The coordinator drafts a convention (the programme's default length)."""
        mentor, mentee = mentor or self.mentor, mentee or self.mentee
        result = self.service.mentorships.draft(self.coordinator, self.programme_id, mentor.id, mentee.id, START, None)
        return result.aggregate_id

    def signed(self) -> UUID:
        """A convention in effect: drafted, one objective, both signatures."""
        mentorship_id = self.draft()
        self.service.mentorships.add_objective(self.mentee, mentorship_id, "Build a network")
        self.service.mentorships.sign(self.mentor, mentorship_id)
        self.service.mentorships.sign(self.mentee, mentorship_id)
        return mentorship_id

    def mentorship(self, mentorship_id: UUID) -> Mentorship:
        return self.service.store.load(Mentorship, mentorship_id)

    def participant(self, participant_id: UUID) -> Participant:
        return self.service.store.load(Participant, participant_id)

    def event_names(self, aggregate_id: UUID) -> list[str]:
        return [type(e).__name__ for e in self.service.store.repository.event_store.get(aggregate_id)]

    def snapshot(self, *aggregate_ids: UUID) -> tuple[int, ...]:
        """The store's position and the versions of the given aggregates."""
        versions: list[int] = [self.service.store.repository.get(a).version for a in aggregate_ids]
        return (self.service.store.position(), *versions)


@pytest.fixture
def world(service: MentoratService, clock: FakeClock) -> World:
    created = service.participants.create_programme("Programme", "Coordinator", "coordinator@example.org")
    coordinator = service.participants.authenticate(created["coordinator_token"])
    w = World(service, clock, coordinator, coordinator, coordinator)
    w.mentor = w.join("mentor", "Mentor")
    w.mentee = w.join("mentee", "Mentee")
    return w


def assert_nothing_stored(w: World, error: type[DomainError], command: Callable[[], object], *ids: UUID) -> None:
    """Then the command raises exactly `error`, and neither the store nor the aggregates moved."""
    before = w.snapshot(*ids)
    with pytest.raises(error) as raised:
        command()
    assert type(raised.value) is error
    assert w.snapshot(*ids) == before


# R1 and the one-convention rule ---------------------------------------------------------------


def test_r1_the_draft_and_the_mentee_assignment_are_saved_together(world: World) -> None:
    # When the coordinator drafts a convention
    before = world.service.store.position()
    result = world.service.mentorships.draft(
        world.coordinator, world.programme_id, world.mentor.id, world.mentee.id, START, None
    )
    # Then the mentorship is drafted with the programme's default length, awaiting signatures
    assert (result.version, result.data["status"]) == (1, AWAITING)
    assert world.mentorship(result.aggregate_id).months == 10
    # And the mentee's ConventionAssigned was stored in the same save: two events, one position
    assert world.event_names(world.mentee.id)[-1] == "ConventionAssigned"
    assert world.participant(world.mentee.id).convention_id == result.aggregate_id
    stored = world.service.store.recorder.select_notifications(before, 10, inclusive_of_start=False)
    assert {n.originator_id for n in stored} == {result.aggregate_id, world.mentee.id}
    assert result.position == world.service.store.position() == stored[-1].id


def test_r1_signing_through_the_service_reports_the_status(world: World) -> None:
    # Given a draft with an objective
    mentorship_id = world.draft()
    world.service.mentorships.add_objective(world.mentor, mentorship_id, "Learn")
    # When the mentee, then the mentor, sign
    first = world.service.mentorships.sign(world.mentee, mentorship_id)
    second = world.service.mentorships.sign(world.mentor, mentorship_id)
    # Then the convention takes effect with the second signature only
    assert (first.data["status"], second.data["status"]) == (AWAITING, ACTIVE)
    assert world.event_names(mentorship_id)[-2:] == ["PartySigned", "ConventionSigned"]


def test_invariant_a_mentee_has_at_most_one_drafted_convention(world: World) -> None:
    # Given a drafted convention for the mentee
    world.draft()
    other_mentor = world.join("mentor", "Other mentor")
    # When another convention is drafted for the same mentee, Then it is refused and nothing is stored
    assert_nothing_stored(
        world, errors.MenteeHasConvention, lambda: world.draft(mentor=other_mentor), world.mentee.id, other_mentor.id
    )


def test_invariant_a_mentee_has_at_most_one_active_convention(world: World) -> None:
    world.signed()
    assert_nothing_stored(world, errors.MenteeHasConvention, world.draft, world.mentee.id)


def test_invariant_two_racing_drafts_for_one_mentee_conflict_at_the_store(world: World) -> None:
    # Given two commands that each loaded the mentee before either saved
    store = world.service.store
    first_copy, second_copy = store.load(Participant, world.mentee.id), store.load(Participant, world.mentee.id)
    actor = Actor(world.coordinator.id, "coordinator")
    drafts = [
        Mentorship.draft(
            uuid4(), world.programme_id, world.mentor.id, world.mentee.id, START, 10, "America/Toronto", actor, T0
        )
        for _ in range(2)
    ]
    first_copy.assign_convention(drafts[0].id, actor, T0)
    second_copy.assign_convention(drafts[1].id, actor, T0)
    # When both save, the first wins
    store.commit(drafts[0], first_copy)
    position = store.position()
    # Then the second is refused as a version conflict and its mentorship was not stored either
    with pytest.raises(VersionConflict):
        store.commit(drafts[1], second_copy)
    assert store.position() == position
    with pytest.raises(NotFound):
        store.load(Mentorship, drafts[1].id)
    assert store.load(Participant, world.mentee.id).convention_id == drafts[0].id


def test_r1_withdrawal_releases_the_mentee(world: World) -> None:
    # Given a draft
    mentorship_id = world.draft()
    # When the coordinator withdraws it
    result = world.service.mentorships.withdraw(world.coordinator, mentorship_id)
    # Then the mentorship is withdrawn and the mentee released in the same save
    assert world.event_names(mentorship_id)[-1] == "ConventionWithdrawn"
    assert world.event_names(world.mentee.id)[-1] == "ConventionReleased"
    assert result.position == world.service.store.position()
    # And a new convention can be drafted for the mentee
    assert world.draft() != mentorship_id


def test_r1_a_signed_convention_cannot_be_withdrawn(world: World) -> None:
    mentorship_id = world.signed()
    assert_nothing_stored(
        world,
        errors.ConventionActive,
        lambda: world.service.mentorships.withdraw(world.coordinator, mentorship_id),
        mentorship_id,
        world.mentee.id,
    )


def test_r8_the_end_releases_the_mentee(world: World) -> None:
    # Given a convention in effect, on its planned end date
    mentorship_id = world.signed()
    world.clock.now = PLANNED_END_NOON
    # When the mentor ends it
    result = world.service.mentorships.end(world.mentor, mentorship_id, "completed", None)
    # Then the end and the mentee's release are stored together, and the mentee can be drafted again
    assert world.event_names(mentorship_id)[-1] == "RelationshipEnded"
    assert world.event_names(world.mentee.id)[-1] == "ConventionReleased"
    assert result.position == world.service.store.position()
    world.draft()
    assert world.participant(world.mentee.id).convention_id not in (None, mentorship_id)


def test_r8_early_end_refused_without_consultation_then_accepted_after_it(world: World) -> None:
    # Given a convention in effect, a month after its start
    mentorship_id = world.signed()
    world.clock.advance(days=30)
    ending = world.service.mentorships
    # When the mentee ends it early without consulting, Then it is refused and nothing is stored
    assert_nothing_stored(
        world,
        errors.CoordinatorConsultationRequired,
        lambda: ending.end(world.mentee, mentorship_id, "no_longer_needed", None),
        mentorship_id,
        world.mentee.id,
    )
    # When the coordinator records a consultation about ending, and the coordinator ends it
    ending.consult_coordinator(world.coordinator, mentorship_id, "early_end", None, "ending_agreed", None)
    ending.end(world.coordinator, mentorship_id, "no_longer_needed", None)
    # Then it ended early and the mentee is free
    assert world.mentorship(mentorship_id).status == "ended"
    assert world.participant(world.mentee.id).convention_id is None


# Draft validation --------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["mentor", "mentee"])
def test_invariant_a_draft_needs_active_participants(world: World, who: str) -> None:
    # Given a deactivated mentor (or mentee)
    target = world.mentor if who == "mentor" else world.mentee
    world.service.participants.deactivate(world.coordinator, target.id)
    # When a convention is drafted for them, Then it is refused and nothing is stored
    assert_nothing_stored(world, errors.ParticipantInactive, world.draft, world.mentor.id, world.mentee.id)


@pytest.mark.parametrize(
    "case",
    [
        "same-person-one-role",
        "mentor-is-a-mentee",
        "mentee-is-a-mentor",
        "coordinator-as-mentee",
        "unknown",
        "other-programme",
    ],
)
def test_invariant_a_draft_needs_a_mentor_and_a_mentee_of_the_programme(world: World, case: str) -> None:
    # Given participants of the wrong role, unknown, or from another programme
    mentor_id, mentee_id = world.mentor.id, world.mentee.id
    if case == "same-person-one-role":
        mentor_id = mentee_id
    elif case == "mentor-is-a-mentee":
        mentor_id = world.join("mentee", "Second mentee").id
    elif case == "mentee-is-a-mentor":
        mentee_id = world.join("mentor", "Second mentor").id
    elif case == "coordinator-as-mentee":
        mentee_id = world.coordinator.id
    elif case == "unknown":
        mentee_id = uuid4()
    else:
        created = world.service.participants.create_programme("Other", "Other coordinator", None)
        elsewhere = world.service.participants.authenticate(created["coordinator_token"])
        mentee_id = world.join("mentee", "Foreign mentee", coordinator=elsewhere).id
    # When the coordinator drafts, Then the value is refused and nothing is stored
    drafting = world.service.mentorships
    assert_nothing_stored(
        world,
        InvalidValue,
        lambda: drafting.draft(world.coordinator, world.programme_id, mentor_id, mentee_id, START, None),
        world.mentee.id,
    )


@pytest.mark.parametrize("months", [0, 37])
def test_r1_a_draft_length_out_of_range_is_refused(world: World, months: int) -> None:
    drafting = world.service.mentorships
    assert_nothing_stored(
        world,
        InvalidValue,
        lambda: drafting.draft(world.coordinator, world.programme_id, world.mentor.id, world.mentee.id, START, months),
        world.mentee.id,
    )


def test_r1_only_a_coordinator_of_the_programme_drafts(world: World) -> None:
    drafting = world.service.mentorships
    # When a mentor drafts, Then it is forbidden
    assert_nothing_stored(
        world,
        errors.Forbidden,
        lambda: drafting.draft(world.mentor, world.programme_id, world.mentor.id, world.mentee.id, START, None),
    )
    # When the coordinator of another programme drafts here, Then the programme is not found
    created = world.service.participants.create_programme("Other", "Other coordinator", None)
    elsewhere = world.service.participants.authenticate(created["coordinator_token"])
    assert_nothing_stored(
        world,
        NotFound,
        lambda: drafting.draft(elsewhere, world.programme_id, world.mentor.id, world.mentee.id, START, None),
    )


# Invitations, tokens and deactivation --------------------------------------------------------------


def test_invariant_an_invitation_is_redeemed_only_once(world: World) -> None:
    # Given an invitation that was redeemed
    code = invited(world.service, world.coordinator, world.mentor.id)
    world.service.participants.redeem(code)
    assert world.event_names(world.mentor.id)[-2:] == ["InvitationIssued", "InvitationRedeemed"]
    # When the same code is redeemed again, Then it is not found and nothing is stored
    assert_nothing_stored(world, NotFound, lambda: world.service.participants.redeem(code), world.mentor.id)


def test_invariant_an_invitation_expires_after_seven_days(world: World) -> None:
    # Given two invitations issued now
    participants = world.service.participants
    early = invited(world.service, world.coordinator, world.mentee.id)
    late = invited(world.service, world.coordinator, world.mentee.id)
    # When one is redeemed just before seven days, Then it works
    world.clock.advance(days=7, seconds=-1)
    assert participants.redeem(early).data["participant_id"] == str(world.mentee.id)
    # When the other is redeemed at seven days, Then it is not found
    world.clock.advance(seconds=1)
    assert_nothing_stored(world, NotFound, lambda: participants.redeem(late), world.mentee.id)


def test_invariant_a_token_expires_after_thirty_days(world: World) -> None:
    participants = world.service.participants
    code = invited(world.service, world.coordinator, world.mentee.id)
    token = participants.redeem(code).data["token"]
    world.clock.advance(days=29)
    assert participants.authenticate(token).id == world.mentee.id
    world.clock.advance(days=1)
    with pytest.raises(Unauthenticated):
        participants.authenticate(token)


def test_invariant_deactivation_stops_every_token_and_invitation(world: World) -> None:
    # Given a mentor holding a token and an unredeemed invitation
    participants = world.service.participants
    token = participants.redeem(invited(world.service, world.coordinator, world.mentor.id)).data["token"]
    pending_code = invited(world.service, world.coordinator, world.mentor.id)
    assert participants.authenticate(token).id == world.mentor.id
    # When the coordinator deactivates the mentor
    participants.deactivate(world.coordinator, world.mentor.id)
    assert world.event_names(world.mentor.id)[-1] == "ParticipantDeactivated"
    # Then the token no longer authenticates, the invitation no longer redeems, and no new one is issued
    with pytest.raises(Unauthenticated):
        participants.authenticate(token)
    assert_nothing_stored(world, NotFound, lambda: participants.redeem(pending_code), world.mentor.id)
    assert_nothing_stored(
        world,
        errors.ParticipantInactive,
        lambda: participants.invite(world.coordinator, world.mentor.id),
        world.mentor.id,
    )


def test_invariant_only_a_coordinator_deactivates(world: World) -> None:
    assert_nothing_stored(
        world,
        errors.Forbidden,
        lambda: world.service.participants.deactivate(world.mentor, world.mentee.id),
        world.mentee.id,
    )


# If-Match and refusals that store nothing ------------------------------------------------------------


def test_invariant_a_stale_expected_version_changes_nothing(world: World) -> None:
    # Given a draft at version 1
    mentorship_id = world.draft()
    commands = world.service.mentorships
    # When a party adds an objective expecting version 2, Then the precondition fails and nothing is stored
    assert_nothing_stored(
        world,
        PreconditionFailed,
        lambda: commands.add_objective(world.mentor, mentorship_id, "Goal", expected_version=2),
        mentorship_id,
    )
    # When it expects the current version, Then it is accepted
    result = commands.add_objective(world.mentor, mentorship_id, "Goal", expected_version=1)
    assert result.version == 2


def test_invariant_if_match_is_checked_before_the_rules(world: World) -> None:
    # Given a draft without objectives
    mentorship_id = world.draft()
    commands = world.service.mentorships
    # When a party signs with a stale version, Then the precondition fails first (412 before 409)
    assert_nothing_stored(
        world, PreconditionFailed, lambda: commands.sign(world.mentor, mentorship_id, expected_version=7), mentorship_id
    )
    # And with the current version the rule answers
    assert_nothing_stored(
        world,
        errors.ObjectivesRequired,
        lambda: commands.sign(world.mentor, mentorship_id, expected_version=1),
        mentorship_id,
    )


def test_invariant_invalid_values_are_refused_before_if_match(world: World) -> None:
    mentorship_id = world.signed()
    commands = world.service.mentorships
    assert_nothing_stored(
        world,
        InvalidValue,
        lambda: commands.report_satisfaction(world.mentee, mentorship_id, 9, None, expected_version=1),
        mentorship_id,
    )


def test_invariant_deactivation_honours_if_match(world: World) -> None:
    version = world.participant(world.mentee.id).version
    assert_nothing_stored(
        world,
        PreconditionFailed,
        lambda: world.service.participants.deactivate(world.coordinator, world.mentee.id, expected_version=version + 1),
        world.mentee.id,
    )
    result = world.service.participants.deactivate(world.coordinator, world.mentee.id, expected_version=version)
    assert result.version == version + 1


Refusal = Callable[[World, UUID, UUID], CommandResult]
REFUSALS: list[tuple[str, type[DomainError], Refusal]] = [
    ("sign-twice", errors.AlreadySigned, lambda w, m, mid: w.service.mentorships.sign(w.mentor, m)),
    (
        "early-end",
        errors.CoordinatorConsultationRequired,
        lambda w, m, mid: w.service.mentorships.end(w.mentor, m, "other", None),
    ),
    (
        "agenda-by-mentor",
        errors.Forbidden,
        lambda w, m, mid: w.service.mentorships.submit_agenda(w.mentor, m, mid, "Agenda"),
    ),
    (
        "held-in-future",
        InvalidValue,
        lambda w, m, mid: w.service.mentorships.hold_meeting(w.mentor, m, mid, None, 60, None, None),
    ),
    (
        "settle-unknown",
        errors.NotFound,
        lambda w, m, mid: w.service.mentorships.settle_dispute(w.mentee, m, uuid4()),
    ),
    (
        "danger-by-mentee",
        errors.Forbidden,
        lambda w, m, mid: w.service.mentorships.record_disclosure(w.mentee, m, "danger_to_self_or_others", "police"),
    ),
    (
        "consult-by-mentor",
        errors.Forbidden,
        lambda w, m, mid: w.service.mentorships.consult_coordinator(w.mentor, m, "early_end", None, "reconciled", None),
    ),
    (
        "withdraw-active",
        errors.ConventionActive,
        lambda w, m, mid: w.service.mentorships.withdraw(w.coordinator, m),
    ),
]


@pytest.mark.parametrize(("error", "command"), [(e, c) for _, e, c in REFUSALS], ids=[n for n, _, _ in REFUSALS])
def test_invariant_a_refused_command_stores_nothing(world: World, error: type[DomainError], command: Refusal) -> None:
    # Given a convention in effect with a meeting next week
    mentorship_id = world.signed()
    scheduled = world.service.mentorships.schedule_meeting(world.mentor, mentorship_id, T0 + timedelta(days=7))
    meeting_id = UUID(scheduled.data["meeting_id"])
    # When a command the rules refuse is sent, Then it raises its error; the store and the versions are unchanged
    assert_nothing_stored(
        world, error, lambda: command(world, mentorship_id, meeting_id), mentorship_id, world.mentee.id
    )


def test_invariant_outsiders_do_not_see_a_mentorship(world: World) -> None:
    # Given a convention, and a mentor of another pair, and an auditor
    mentorship_id = world.signed()
    stranger = world.join("mentor", "Stranger")
    auditor = world.join("auditor", "Auditor")
    commands = world.service.mentorships
    # Then the stranger does not find it, and the auditor may see it but not act in it
    assert_nothing_stored(world, NotFound, lambda: commands.report_satisfaction(stranger, mentorship_id, 5, None))
    assert_nothing_stored(
        world, errors.Forbidden, lambda: commands.report_satisfaction(auditor, mentorship_id, 5, None)
    )


# Meetings through the service ------------------------------------------------------------------------


def test_r3_holding_a_meeting_schedules_the_next_in_one_save(world: World) -> None:
    # Given a meeting yesterday
    mentorship_id = world.signed()
    commands = world.service.mentorships
    scheduled = commands.schedule_meeting(world.mentor, mentorship_id, T0 - timedelta(days=1))
    meeting_id = UUID(scheduled.data["meeting_id"])
    # When it is recorded held with the next meeting's time
    result = commands.hold_meeting(world.mentee, mentorship_id, meeting_id, None, 70, None, T0 + timedelta(days=30))
    # Then both events are stored in one command and the next meeting is open
    next_id = UUID(result.data["next_meeting_id"])
    assert result.version == scheduled.version + 2
    assert world.event_names(mentorship_id)[-2:] == ["MeetingHeld", "MeetingScheduled"]
    assert world.mentorship(mentorship_id).meetings[next_id].status == "scheduled"


def test_r4_the_agenda_is_accepted_from_the_mentee_before_the_meeting(world: World) -> None:
    mentorship_id = world.signed()
    commands = world.service.mentorships
    meeting_id = UUID(
        commands.schedule_meeting(world.mentee, mentorship_id, T0 + timedelta(hours=2)).data["meeting_id"]
    )
    commands.submit_agenda(world.mentee, mentorship_id, meeting_id, "Topics")
    assert world.mentorship(mentorship_id).meetings[meeting_id].has_agenda
    # Once the meeting's time has come, another agenda is too late
    world.clock.advance(hours=2)
    assert_nothing_stored(
        world,
        errors.AgendaTooLate,
        lambda: commands.submit_agenda(world.mentee, mentorship_id, meeting_id, "Late"),
        mentorship_id,
    )


def test_r9_a_mentorship_loaded_from_the_store_holds_no_content(world: World) -> None:
    # Given content written through every kind of command that takes one
    mentorship_id = world.draft()
    commands = world.service.mentorships
    commands.add_objective(world.mentee, mentorship_id, MARKER)
    commands.sign(world.mentor, mentorship_id)
    commands.sign(world.mentee, mentorship_id)
    meeting_id = UUID(commands.schedule_meeting(world.mentor, mentorship_id, T0 + timedelta(days=3)).data["meeting_id"])
    commands.submit_agenda(world.mentee, mentorship_id, meeting_id, MARKER)
    commands.cancel_meeting(world.mentor, mentorship_id, meeting_id, True, MARKER)
    commands.report_satisfaction(world.mentee, mentorship_id, 4, MARKER)
    dispute_id = UUID(commands.raise_dispute(world.mentor, mentorship_id, MARKER).data["dispute_id"])
    commands.consult_coordinator(world.coordinator, mentorship_id, "dispute", dispute_id, "reconciled", MARKER)
    # When the mentorship is loaded from the store
    loaded: Any = world.mentorship(mentorship_id)
    # Then its state holds no text, while the stored events do
    assert MARKER not in repr(vars(loaded))
    assert MARKER in repr(list(world.service.store.repository.event_store.get(mentorship_id)))


def spy_on_saves(monkeypatch: pytest.MonkeyPatch, world: World) -> list[set[UUID]]:
    """Record the aggregate ids of each `save()` the store makes from now on."""
    calls: list[set[UUID]] = []
    store = world.service.store
    original = store.save

    def save(*objs: Any, **kwargs: Any) -> Any:
        calls.append({obj.id for obj in objs})
        return original(*objs, **kwargs)

    monkeypatch.setattr(store, "save", save)
    return calls


def test_r1_draft_withdrawal_and_end_save_the_mentee_in_the_same_save(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given drafts and a signed convention on its planned end date
    withdrawn = world.draft()
    saves = spy_on_saves(monkeypatch, world)
    # When the coordinator withdraws the draft, then one save holds the mentorship and the mentee
    world.service.mentorships.withdraw(world.coordinator, withdrawn)
    assert saves == [{withdrawn, world.mentee.id}]
    # When a new convention is drafted, then one save holds both too
    result = world.service.mentorships.draft(
        world.coordinator, world.programme_id, world.mentor.id, world.mentee.id, START, None
    )
    assert saves[-1] == {result.aggregate_id, world.mentee.id} and len(saves) == 2
    # When it ends, then one save holds the end and the mentee's release
    world.service.mentorships.add_objective(world.mentor, result.aggregate_id, "Learn")
    world.service.mentorships.sign(world.mentor, result.aggregate_id)
    world.service.mentorships.sign(world.mentee, result.aggregate_id)
    world.clock.now = PLANNED_END_NOON
    world.service.mentorships.end(world.mentor, result.aggregate_id, "completed", None)
    assert saves[-1] == {result.aggregate_id, world.mentee.id}
