"""Use cases about mentorships: one method per command of the HTTP contract."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any
from uuid import UUID

from application.access_index import AccessIndex, ScopeRow, index_rows
from application.authorization import Caller, mentorship_actor, programme_actor
from application.errors import NotFound
from application.mentorat import CommandResult, Mentorat, check_version
from application.ports import Ports
from domain.errors import InvalidValue, Reason, RuleViolation
from domain.mentorship import Mentorship
from domain.participant import Participant
from domain.permissions import Action
from domain.programme import Programme
from domain.values import Actor, Role

MentorshipRef = UUID | Mentorship  # an id, or the mentorship the request already loaded for its scope check


class MentorshipCommands:
    """Draft, sign, meet, assess, dispute, consult, disclose and end."""

    def __init__(self, store: Mentorat, ports: Ports) -> None:
        self.store = store
        self.ports = ports

    def get(self, mentorship_id: UUID) -> Mentorship:
        """The mentorship as the write side knows it."""
        return self.store.load(Mentorship, mentorship_id)

    def scope(self, caller: Caller, mentorship_id: UUID, action: Action) -> Mentorship:
        """Load the mentorship once and check the caller may run this action on it (404, then 403).

        A request hands the loaded mentorship on to its command, which changes that very aggregate.
        """
        mentorship = self.get(mentorship_id)
        mentorship_actor(caller, mentorship, action)
        return mentorship

    def scope_row(self, caller: Caller, mentorship_id: UUID, action: Action) -> ScopeRow:
        """A read's scope check: one indexed lookup of the mentorship's programme and parties, no replay."""
        index = self.store.recorder
        row = index.scope_row(mentorship_id) if isinstance(index, AccessIndex) else None
        if row is None:
            if isinstance(index, AccessIndex):
                raise NotFound
            row = index_rows([self.get(mentorship_id)]).scopes[0]  # a recorder of the library's own
        mentorship_actor(caller, row, action)
        return row

    def draft(
        self, caller: Caller, programme_id: UUID, mentor_id: UUID, mentee_id: UUID, starts_on: date, months: int | None
    ) -> CommandResult:
        """A coordinator drafts a convention; the mentee's participant records it in the same save."""
        actor = programme_actor(caller, programme_id, Action.DRAFT_CONVENTION)
        programme = self.store.load(Programme, programme_id)
        Mentorship.check_pair(mentor_id, mentee_id)
        mentor = self._party(mentor_id, programme_id, Role.MENTOR, "mentor_id")
        mentee = self._party(mentee_id, programme_id, Role.MENTEE, "mentee_id")
        now = self.ports.clock()
        mentorship = Mentorship.draft(
            self.ports.new_id(),
            programme_id,
            mentor_id,
            mentee_id,
            starts_on,
            programme.default_months if months is None else months,
            programme.time_zone,
            actor,
            now,
        )
        mentor.check_active()
        mentee.assign_convention(mentorship.id, actor, now)
        return self.store.execute(mentorship, mentee, id=str(mentorship.id), status=mentorship.status)

    def _party(self, participant_id: UUID, programme_id: UUID, role: str, field: str) -> Participant:
        try:
            participant = self.store.load(Participant, participant_id)
        except NotFound:
            raise InvalidValue(field, reason=Reason.UNKNOWN_ID) from None
        if participant.programme_id != programme_id:
            raise InvalidValue(field, reason=Reason.WRONG_PROGRAMME)
        if participant.role != role:
            raise InvalidValue(field, reason=Reason.WRONG_ROLE)
        return participant

    def withdraw(self, caller: Caller, mentorship: MentorshipRef, expected_version: int | None = None) -> CommandResult:
        """The coordinator withdraws a draft; the mentee is free again."""
        return self._execute(caller, mentorship, expected_version, Action.WITHDRAW_CONVENTION, self._withdraw)

    def _withdraw(self, m: Mentorship, actor: Actor, now: datetime) -> list[Participant]:
        m.withdraw(actor, now)
        return self._release_mentee(m, actor, now)

    def add_objective(
        self, caller: Caller, mentorship: MentorshipRef, text: str, expected_version: int | None = None
    ) -> CommandResult:
        """A party adds an objective."""
        objective_id = self.ports.new_id()
        return self._execute(
            caller,
            mentorship,
            expected_version,
            Action.ADD_OBJECTIVE,
            lambda m, a, now: m.add_objective(objective_id, text, a, now),
            objective_id=str(objective_id),
        )

    def sign(self, caller: Caller, mentorship: MentorshipRef, expected_version: int | None = None) -> CommandResult:
        """A party signs the convention."""
        return self._execute(
            caller,
            mentorship,
            expected_version,
            Action.SIGN_CONVENTION,
            lambda m, a, now: m.sign(a, now),
            with_status=True,
        )

    def assess_objective(
        self,
        caller: Caller,
        mentorship: MentorshipRef,
        objective_id: UUID,
        status: str,
        expected_version: int | None = None,
    ) -> CommandResult:
        """A party assesses an objective."""
        return self._execute(
            caller,
            mentorship,
            expected_version,
            Action.ASSESS_OBJECTIVE,
            lambda m, a, now: m.assess_objective(objective_id, status, a, now),
        )

    def schedule_meeting(
        self, caller: Caller, mentorship: MentorshipRef, scheduled_for: datetime, expected_version: int | None = None
    ) -> CommandResult:
        """A party schedules a meeting."""
        meeting_id = self.ports.new_id()
        return self._execute(
            caller,
            mentorship,
            expected_version,
            Action.SCHEDULE_MEETING,
            lambda m, a, now: m.schedule_meeting(meeting_id, scheduled_for, a, now),
            meeting_id=str(meeting_id),
        )

    def reschedule_meeting(
        self,
        caller: Caller,
        mentorship: MentorshipRef,
        meeting_id: UUID,
        scheduled_for: datetime,
        expected_version: int | None = None,
    ) -> CommandResult:
        """A party moves a meeting."""
        return self._execute(
            caller,
            mentorship,
            expected_version,
            Action.RESCHEDULE_MEETING,
            lambda m, a, now: m.reschedule_meeting(meeting_id, scheduled_for, a, now),
        )

    def submit_agenda(
        self,
        caller: Caller,
        mentorship: MentorshipRef,
        meeting_id: UUID,
        agenda: str,
        expected_version: int | None = None,
    ) -> CommandResult:
        """The mentee sends the agenda before the meeting."""
        return self._execute(
            caller,
            mentorship,
            expected_version,
            Action.SUBMIT_AGENDA,
            lambda m, a, now: m.submit_agenda(meeting_id, agenda, a, now),
        )

    def hold_meeting(
        self,
        caller: Caller,
        mentorship: MentorshipRef,
        meeting_id: UUID,
        held_at: datetime | None,
        duration_minutes: int,
        notes: str | None,
        next_meeting_for: datetime | None,
        expected_version: int | None = None,
    ) -> CommandResult:
        """A party records a meeting held and may schedule the next."""
        next_meeting = None if next_meeting_for is None else (self.ports.new_id(), next_meeting_for)
        return self._execute(
            caller,
            mentorship,
            expected_version,
            Action.RECORD_MEETING_HELD,
            lambda m, a, now: m.hold_meeting(meeting_id, held_at, duration_minutes, notes, next_meeting, a, now),
            next_meeting_id=None if next_meeting is None else str(next_meeting[0]),
        )

    def cancel_meeting(
        self,
        caller: Caller,
        mentorship: MentorshipRef,
        meeting_id: UUID,
        unavoidable: bool,
        note: str | None,
        expected_version: int | None = None,
    ) -> CommandResult:
        """A party cancels a meeting."""
        return self._execute(
            caller,
            mentorship,
            expected_version,
            Action.CANCEL_MEETING,
            lambda m, a, now: m.cancel_meeting(meeting_id, unavoidable, note, a, now),
        )

    def report_satisfaction(
        self,
        caller: Caller,
        mentorship: MentorshipRef,
        score: int,
        comment: str | None,
        expected_version: int | None = None,
    ) -> CommandResult:
        """A party reports satisfaction."""
        return self._execute(
            caller,
            mentorship,
            expected_version,
            Action.REPORT_SATISFACTION,
            lambda m, a, now: m.report_satisfaction(score, comment, a, now),
        )

    def raise_dispute(
        self, caller: Caller, mentorship: MentorshipRef, summary: str, expected_version: int | None = None
    ) -> CommandResult:
        """A party raises a dispute."""
        dispute_id = self.ports.new_id()
        return self._execute(
            caller,
            mentorship,
            expected_version,
            Action.RAISE_DISPUTE,
            lambda m, a, now: m.raise_dispute(dispute_id, summary, a, now),
            dispute_id=str(dispute_id),
        )

    def settle_dispute(
        self, caller: Caller, mentorship: MentorshipRef, dispute_id: UUID, expected_version: int | None = None
    ) -> CommandResult:
        """A party settles a dispute amicably."""
        return self._execute(
            caller,
            mentorship,
            expected_version,
            Action.SETTLE_DISPUTE,
            lambda m, a, now: m.settle_dispute(dispute_id, a, now),
        )

    def consult_coordinator(
        self,
        caller: Caller,
        mentorship: MentorshipRef,
        topic: str,
        dispute_id: UUID | None,
        outcome: str,
        note: str | None,
        expected_version: int | None = None,
    ) -> CommandResult:
        """The coordinator records a consultation."""
        return self._execute(
            caller,
            mentorship,
            expected_version,
            Action.CONSULT_COORDINATOR,
            lambda m, a, now: m.consult_coordinator(topic, dispute_id, outcome, note, a, now),
        )

    def end(
        self,
        caller: Caller,
        mentorship: MentorshipRef,
        reason: str,
        note: str | None,
        expected_version: int | None = None,
    ) -> CommandResult:
        """A party or the coordinator ends the relationship; the mentee is free again."""

        def end(m: Mentorship, actor: Actor, now: datetime) -> list[Participant]:
            m.end(reason, note, actor, now)
            return self._release_mentee(m, actor, now)

        return self._execute(caller, mentorship, expected_version, Action.END_RELATIONSHIP, end)

    def record_disclosure(
        self,
        caller: Caller,
        mentorship: MentorshipRef,
        basis: str,
        authority: str | None,
        expected_version: int | None = None,
    ) -> CommandResult:
        """A party records a disclosure."""
        return self._execute(
            caller,
            mentorship,
            expected_version,
            Action.RECORD_DISCLOSURE,
            lambda m, a, now: m.record_disclosure(basis, authority, a, now),
        )

    def _release_mentee(self, m: Mentorship, actor: Actor, now: datetime) -> list[Participant]:
        mentee = self.store.load(Participant, m.mentee_id)
        mentee.release_convention(m.id, actor, now)
        return [mentee]

    def _execute(
        self,
        caller: Caller,
        mentorship: MentorshipRef,
        expected_version: int | None,
        action: Action,
        decide: Callable[[Mentorship, Actor, datetime], Any],
        with_status: bool = False,
        **data: Any,
    ) -> CommandResult:
        """Load (unless the request already did), authorise, decide, then save.

        Value errors (422) come before If-Match (412), rules (409) after.
        """
        if not isinstance(mentorship, Mentorship):
            mentorship = self.store.load(Mentorship, mentorship)
        # The programme's time zone in force now dates this command's facts (an end's `ended_on`, "before the
        # start"), not the one the convention was drafted in. The loaded copy is this command's own.
        mentorship.time_zone = self.store.load(Programme, mentorship.programme_id).time_zone
        actor = mentorship_actor(caller, mentorship, action)
        version = mentorship.version
        try:
            others = decide(mentorship, actor, self.ports.clock()) or []
        except RuleViolation:
            check_version(version, expected_version)
            raise
        check_version(version, expected_version)
        if with_status:
            data["status"] = mentorship.status
        return self.store.execute(mentorship, *others, **data)
