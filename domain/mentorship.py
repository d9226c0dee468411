"""The mentorship: one convention between a mentor and a mentee, from draft to end (R1-R10)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

from domain import disputes, errors
from domain.disputes import CLOSED_BY_END as CLOSED_BY_END  # re-exported: statuses are named here too
from domain.disputes import OPEN as OPEN
from domain.disputes import RECONCILED as RECONCILED
from domain.disputes import SETTLED as SETTLED
from domain.errors import InvalidValue, Reason
from domain.events import MentoratAggregate, MentoratCreated, MentoratEvent
from domain.permissions import Action, may
from domain.values import (
    MAX_DURATION,
    MAX_MONTHS,
    MAX_OBJECTIVES,
    MAX_SCORE,
    MIN_DURATION,
    MIN_MONTHS,
    MIN_SCORE,
    PARTIES,
    Actor,
    Authority,
    ConsultationTopic,
    DisclosureBasis,
    EndReason,
    ObjectiveStatus,
    Outcome,
    Role,
    add_months,
    check_aware,
    check_range,
    check_text,
    local_date,
)

AWAITING, ACTIVE, ENDED, WITHDRAWN = "awaiting_signatures", "active", "ended", "withdrawn"
SCHEDULED, HELD, CANCELLED = "scheduled", "held", "cancelled"


@dataclass
class MeetingState:
    """What decisions about a meeting need: its time, status and whether it had an agenda."""

    scheduled_for: datetime
    status: str = SCHEDULED
    has_agenda: bool = False


class Mentorship(MentoratAggregate):
    """A convention and the relationship it governs. Keeps no confidential text in its state."""

    class ConventionDrafted(MentoratCreated):
        """The coordinator drafted a convention for a pair (R1)."""

        programme_id: UUID
        mentor_id: UUID
        mentee_id: UUID
        starts_on: date
        months: int
        planned_end_on: date
        time_zone: str

    class ConventionWithdrawn(MentoratEvent):
        """The coordinator withdrew a draft before it took effect."""

        def apply(self, aggregate: Any) -> None:
            aggregate.status = WITHDRAWN

    class ObjectiveAdded(MentoratEvent):
        """A party added an objective (text is content)."""

        objective_id: UUID
        text: str

        def apply(self, aggregate: Any) -> None:
            aggregate.objectives[self.objective_id] = ObjectiveStatus.NOT_STARTED.value

    class PartySigned(MentoratEvent):
        """One party signed."""

        def apply(self, aggregate: Any) -> None:
            aggregate.signed_roles.append(self.actor_role)

    class ConventionSigned(MentoratEvent):
        """Both parties signed: the convention takes effect."""

        def apply(self, aggregate: Any) -> None:
            aggregate.status = ACTIVE

    class ObjectiveAssessed(MentoratEvent):
        """A party assessed an objective; the latest assessment is its status (R6)."""

        objective_id: UUID
        status: str

        def apply(self, aggregate: Any) -> None:
            aggregate.objectives[self.objective_id] = self.status

    class MeetingScheduled(MentoratEvent):
        """A meeting was planned."""

        meeting_id: UUID
        scheduled_for: datetime

        def apply(self, aggregate: Any) -> None:
            aggregate.meetings[self.meeting_id] = MeetingState(self.scheduled_for)

    class MeetingRescheduled(MentoratEvent):
        """A meeting moved (not a cancellation)."""

        meeting_id: UUID
        scheduled_for: datetime

        def apply(self, aggregate: Any) -> None:
            aggregate.meetings[self.meeting_id].scheduled_for = self.scheduled_for

    class AgendaSubmitted(MentoratEvent):
        """The mentee sent the meeting's objectives in advance (R4; agenda is content)."""

        meeting_id: UUID
        agenda: str

        def apply(self, aggregate: Any) -> None:
            aggregate.meetings[self.meeting_id].has_agenda = True

    class MeetingHeld(MentoratEvent):
        """A meeting took place (notes are content)."""

        meeting_id: UUID
        held_at: datetime
        duration_minutes: int
        notes: str | None

        def apply(self, aggregate: Any) -> None:
            aggregate.meetings[self.meeting_id].status = HELD

    class MeetingCancelled(MentoratEvent):
        """A planned meeting was cancelled (R5; note is content)."""

        meeting_id: UUID
        unavoidable: bool
        note: str | None

        def apply(self, aggregate: Any) -> None:
            aggregate.meetings[self.meeting_id].status = CANCELLED

    class SatisfactionReported(MentoratEvent):
        """A party reported satisfaction (comment is content)."""

        score: int
        comment: str | None

        def apply(self, aggregate: Any) -> None:
            """Satisfaction changes no decision."""

    class DisputeRaised(MentoratEvent):
        """A party raised a dispute (summary is content)."""

        dispute_id: UUID
        summary: str

        def apply(self, aggregate: Any) -> None:
            disputes.fold(aggregate.disputes, self)

    class DisputeSettled(MentoratEvent):
        """The parties settled a dispute amicably (R7)."""

        dispute_id: UUID

        def apply(self, aggregate: Any) -> None:
            disputes.fold(aggregate.disputes, self)

    class CoordinatorConsulted(MentoratEvent):
        """The pair met the coordinator about a dispute or an early end (note is content)."""

        topic: str
        dispute_id: UUID | None
        outcome: str
        note: str | None

        def apply(self, aggregate: Any) -> None:
            if self.topic == ConsultationTopic.EARLY_END:
                aggregate.early_end_consulted = True
            disputes.fold(aggregate.disputes, self)

    class DisclosureRecorded(MentoratEvent):
        """An exception to confidentiality was used: the fact, never the content (R9)."""

        basis: str
        authority: str | None

        def apply(self, aggregate: Any) -> None:
            """A disclosure changes no decision."""

    class RelationshipEnded(MentoratEvent):
        """The relationship ended (R8; note is content)."""

        reason: str
        note: str | None
        ended_on: date
        early: bool

        def apply(self, aggregate: Any) -> None:
            aggregate.status = ENDED
            aggregate.ended_on = self.ended_on
            disputes.fold(aggregate.disputes, self)

    def __init__(
        self,
        programme_id: UUID,
        mentor_id: UUID,
        mentee_id: UUID,
        starts_on: date,
        months: int,
        planned_end_on: date,
        time_zone: str,
        **_: Any,
    ) -> None:
        self.programme_id = programme_id
        self.mentor_id = mentor_id
        self.mentee_id = mentee_id
        self.starts_on = starts_on
        self.months = months
        self.planned_end_on = planned_end_on
        self.time_zone = time_zone
        self.status = AWAITING
        self.signed_roles: list[str] = []
        self.objectives: dict[UUID, str] = {}
        self.meetings: dict[UUID, MeetingState] = {}
        self.disputes: dict[UUID, str] = {}
        self.early_end_consulted = False
        self.ended_on: date | None = None

    @classmethod
    def draft(
        cls,
        mentorship_id: UUID,
        programme_id: UUID,
        mentor_id: UUID,
        mentee_id: UUID,
        starts_on: date,
        months: int,
        time_zone: str,
        actor: Actor,
        now: datetime,
    ) -> Mentorship:
        """The coordinator drafts a convention for a pair (R1)."""
        if not may(actor.role, Action.DRAFT_CONVENTION):
            raise errors.Forbidden
        cls.check_pair(mentor_id, mentee_id)
        check_range("months", months, MIN_MONTHS, MAX_MONTHS)
        return cls._create(
            cls.ConventionDrafted,
            id=mentorship_id,
            programme_id=programme_id,
            mentor_id=mentor_id,
            mentee_id=mentee_id,
            starts_on=starts_on,
            months=months,
            planned_end_on=add_months(starts_on, months),
            time_zone=time_zone,
            actor_id=actor.id,
            actor_role=actor.role,
            occurred_at=now,
            timestamp=now,
        )

    # Guards ---------------------------------------------------------------

    @staticmethod
    def check_pair(mentor_id: UUID, mentee_id: UUID) -> None:
        """The mentor and the mentee are two people (checked before their roles: the clearer reason)."""
        if mentor_id == mentee_id:
            raise InvalidValue("mentor_id", "mentee_id", reason=Reason.SAME_PERSON)

    def role_of(self, participant_id: UUID | None) -> str | None:
        """The participant's role in this mentorship, if a party."""
        if participant_id == self.mentor_id:
            return Role.MENTOR.value
        if participant_id == self.mentee_id:
            return Role.MENTEE.value
        return None

    def check_allowed(self, action: Action, actor: Actor) -> None:
        """The actor's role may run this command (`domain/permissions.py`), and a party acts as themself."""
        if not may(actor.role, action) or (actor.role in PARTIES and self.role_of(actor.id) != actor.role):
            raise errors.Forbidden

    def check_signed(self) -> None:
        """Signed (possibly ended): what R8 still allows after the end."""
        if self.status == WITHDRAWN:
            raise errors.ConventionWithdrawn
        if self.status == AWAITING:
            raise errors.ConventionNotSigned

    def check_active(self) -> None:
        """Signed and not ended."""
        self.check_signed()
        if self.status == ENDED:
            raise errors.RelationshipEnded

    def check_open(self) -> None:
        """Neither withdrawn nor ended: objectives may still be added, signatures given, drafts withdrawn."""
        if self.status == WITHDRAWN:
            raise errors.ConventionWithdrawn
        if self.status == ENDED:
            raise errors.RelationshipEnded

    def check_on_or_after_start(self, field: str, moment: datetime) -> None:
        """Nothing is placed before the convention's start date."""
        check_aware(field, moment)
        if local_date(moment, self.time_zone, field) < self.starts_on:
            raise InvalidValue(field, reason=Reason.BEFORE_START)

    @staticmethod
    def check_new_id(field: str, new_id: UUID, existing: Collection[UUID]) -> None:
        """A new meeting, objective or dispute never reuses an id (it would reopen the old one)."""
        if new_id in existing:
            raise InvalidValue(field, reason=Reason.ID_REUSED)

    def meeting(self, meeting_id: UUID) -> MeetingState:
        """A meeting of this mentorship, or not-found."""
        try:
            return self.meetings[meeting_id]
        except KeyError:
            raise errors.NotFound from None

    def open_meeting(self, meeting_id: UUID) -> MeetingState:
        """A meeting neither held nor cancelled."""
        meeting = self.meeting(meeting_id)
        if meeting.status != SCHEDULED:
            raise errors.MeetingAlreadyClosed
        return meeting

    def is_early(self, on: date) -> bool:
        """Ending on this date comes before the planned end."""
        return on < self.planned_end_on

    # Commands before the convention takes effect ---------------------------

    def add_objective(self, objective_id: UUID, text: str, actor: Actor, now: datetime) -> None:
        """A party adds an objective (at most 20)."""
        self.check_allowed(Action.ADD_OBJECTIVE, actor)
        self.check_new_id("objective_id", objective_id, self.objectives)
        check_text("text", text, required=True)
        if len(self.objectives) >= MAX_OBJECTIVES:
            raise InvalidValue("text", reason=Reason.TOO_MANY_OBJECTIVES)
        self.check_open()
        self._happen(self.ObjectiveAdded, actor.id, actor.role, now, objective_id=objective_id, text=text)

    def sign(self, actor: Actor, now: datetime) -> None:
        """A party signs; the second signature makes the convention take effect (R1)."""
        self.check_allowed(Action.SIGN_CONVENTION, actor)
        self.check_open()
        if actor.role in self.signed_roles:
            raise errors.AlreadySigned
        if not self.objectives:
            raise errors.ObjectivesRequired
        self._happen(self.PartySigned, actor.id, actor.role, now)
        if len(self.signed_roles) == len(PARTIES):
            self._happen(self.ConventionSigned, actor.id, actor.role, now)

    def withdraw(self, actor: Actor, now: datetime) -> None:
        """The coordinator withdraws a draft before it takes effect."""
        self.check_allowed(Action.WITHDRAW_CONVENTION, actor)
        self.check_open()
        if self.status == ACTIVE:
            raise errors.ConventionActive
        self._happen(self.ConventionWithdrawn, actor.id, actor.role, now)

    # Commands of an active convention --------------------------------------

    def assess_objective(self, objective_id: UUID, status: str, actor: Actor, now: datetime) -> None:
        """A party assesses an objective (allowed after the end, R8)."""
        self.check_allowed(Action.ASSESS_OBJECTIVE, actor)
        if objective_id not in self.objectives:
            raise errors.NotFound
        if status not in set(ObjectiveStatus):
            raise InvalidValue("status", reason=Reason.NOT_AN_ENUM_VALUE)
        self.check_signed()
        self._happen(self.ObjectiveAssessed, actor.id, actor.role, now, objective_id=objective_id, status=status)

    def schedule_meeting(self, meeting_id: UUID, scheduled_for: datetime, actor: Actor, now: datetime) -> None:
        """A party plans a meeting (a past time records a late meeting)."""
        self.check_allowed(Action.SCHEDULE_MEETING, actor)
        self.check_new_id("meeting_id", meeting_id, self.meetings)
        self.check_on_or_after_start("scheduled_for", scheduled_for)
        self.check_active()
        self._happen(
            self.MeetingScheduled, actor.id, actor.role, now, meeting_id=meeting_id, scheduled_for=scheduled_for
        )

    def reschedule_meeting(self, meeting_id: UUID, scheduled_for: datetime, actor: Actor, now: datetime) -> None:
        """A party moves an open meeting (R3: not a cancellation)."""
        self.check_allowed(Action.RESCHEDULE_MEETING, actor)
        self.meeting(meeting_id)
        self.check_on_or_after_start("scheduled_for", scheduled_for)
        self.check_active()
        self.open_meeting(meeting_id)
        self._happen(
            self.MeetingRescheduled, actor.id, actor.role, now, meeting_id=meeting_id, scheduled_for=scheduled_for
        )

    def submit_agenda(self, meeting_id: UUID, agenda: str, actor: Actor, now: datetime) -> None:
        """The mentee sends the meeting's objectives before its time (R4)."""
        self.check_allowed(Action.SUBMIT_AGENDA, actor)
        meeting = self.meeting(meeting_id)
        check_text("agenda", agenda, required=True)
        self.check_active()
        self.open_meeting(meeting_id)
        if now >= meeting.scheduled_for:
            raise errors.AgendaTooLate
        self._happen(self.AgendaSubmitted, actor.id, actor.role, now, meeting_id=meeting_id, agenda=agenda)

    def hold_meeting(
        self,
        meeting_id: UUID,
        held_at: datetime | None,
        duration_minutes: int,
        notes: str | None,
        next_meeting: tuple[UUID, datetime] | None,
        actor: Actor,
        now: datetime,
    ) -> None:
        """A party records a meeting held, and may schedule the next one in the same command (R3)."""
        self.check_allowed(Action.RECORD_MEETING_HELD, actor)
        meeting = self.meeting(meeting_id)
        held = held_at or meeting.scheduled_for
        self.check_on_or_after_start("held_at", held)
        if held > now:
            raise InvalidValue("held_at", reason=Reason.IN_FUTURE)
        check_range("duration_minutes", duration_minutes, MIN_DURATION, MAX_DURATION)
        check_text("notes", notes, required=False)
        if next_meeting is not None:
            self.check_new_id("next_meeting_id", next_meeting[0], self.meetings)
            self.check_on_or_after_start("next_meeting_for", next_meeting[1])
        self.check_active()
        self.open_meeting(meeting_id)
        self._happen(
            self.MeetingHeld,
            actor.id,
            actor.role,
            now,
            occurred_at=held,
            meeting_id=meeting_id,
            held_at=held,
            duration_minutes=duration_minutes,
            notes=notes,
        )
        if next_meeting is not None:
            self._happen(
                self.MeetingScheduled,
                actor.id,
                actor.role,
                now,
                meeting_id=next_meeting[0],
                scheduled_for=next_meeting[1],
            )

    def cancel_meeting(
        self, meeting_id: UUID, unavoidable: bool, note: str | None, actor: Actor, now: datetime
    ) -> None:
        """A party cancels a planned meeting, saying whether it was unavoidable (R5)."""
        self.check_allowed(Action.CANCEL_MEETING, actor)
        self.meeting(meeting_id)
        if not isinstance(unavoidable, bool):
            raise InvalidValue("unavoidable", reason=Reason.WRONG_TYPE)
        check_text("note", note, required=False)
        self.check_active()
        self.open_meeting(meeting_id)
        self._happen(
            self.MeetingCancelled, actor.id, actor.role, now, meeting_id=meeting_id, unavoidable=unavoidable, note=note
        )

    def report_satisfaction(self, score: int, comment: str | None, actor: Actor, now: datetime) -> None:
        """A party reports satisfaction 1-5 (R6; allowed after the end)."""
        self.check_allowed(Action.REPORT_SATISFACTION, actor)
        check_range("score", score, MIN_SCORE, MAX_SCORE)
        check_text("comment", comment, required=False)
        self.check_signed()
        self._happen(self.SatisfactionReported, actor.id, actor.role, now, score=score, comment=comment)

    def raise_dispute(self, dispute_id: UUID, summary: str, actor: Actor, now: datetime) -> None:
        """A party raises a dispute (R7)."""
        self.check_allowed(Action.RAISE_DISPUTE, actor)
        self.check_new_id("dispute_id", dispute_id, self.disputes)
        check_text("summary", summary, required=True)
        self.check_active()
        self._happen(self.DisputeRaised, actor.id, actor.role, now, dispute_id=dispute_id, summary=summary)

    def settle_dispute(self, dispute_id: UUID, actor: Actor, now: datetime) -> None:
        """One party's word settles an open dispute amicably (R7)."""
        self.check_allowed(Action.SETTLE_DISPUTE, actor)
        if dispute_id not in self.disputes:
            raise errors.NotFound
        self.check_active()
        if self.disputes[dispute_id] != OPEN:
            raise errors.DisputeNotOpen
        self._happen(self.DisputeSettled, actor.id, actor.role, now, dispute_id=dispute_id)

    def consult_coordinator(
        self, topic: str, dispute_id: UUID | None, outcome: str, note: str | None, actor: Actor, now: datetime
    ) -> None:
        """The coordinator records a consultation about a dispute or an early end (R7, R8)."""
        self.check_allowed(Action.CONSULT_COORDINATOR, actor)
        self._check_consultation_values(topic, dispute_id, outcome)
        check_text("note", note, required=False)
        self.check_active()
        if dispute_id is not None and self.disputes[dispute_id] != OPEN:
            raise errors.DisputeNotOpen
        self._happen(
            self.CoordinatorConsulted,
            actor.id,
            actor.role,
            now,
            topic=topic,
            dispute_id=dispute_id,
            outcome=outcome,
            note=note,
        )

    def _check_consultation_values(self, topic: str, dispute_id: UUID | None, outcome: str) -> None:
        """A dispute consultation names a dispute of this mentorship; an early-end one does not."""
        if topic == ConsultationTopic.DISPUTE:
            if dispute_id is None:
                raise InvalidValue("dispute_id", reason=Reason.MISSING)
            if dispute_id not in self.disputes:
                raise InvalidValue("dispute_id", reason=Reason.UNKNOWN_ID)
            if outcome not in set(Outcome):
                raise InvalidValue("outcome", reason=Reason.NOT_AN_ENUM_VALUE)
            if outcome not in (Outcome.RECONCILED, Outcome.NOT_RECONCILED):
                raise InvalidValue("outcome", reason=Reason.NOT_APPLICABLE)
        elif topic == ConsultationTopic.EARLY_END:
            if dispute_id is not None:
                raise InvalidValue("dispute_id", reason=Reason.NOT_APPLICABLE)
            if outcome not in set(Outcome):
                raise InvalidValue("outcome", reason=Reason.NOT_AN_ENUM_VALUE)
        else:
            raise InvalidValue("topic", reason=Reason.NOT_AN_ENUM_VALUE)

    def end(self, reason: str, note: str | None, actor: Actor, now: datetime) -> None:
        """A party or the coordinator ends it; early only after consulting the coordinator (R8)."""
        self.check_allowed(Action.END_RELATIONSHIP, actor)
        if reason not in set(EndReason):
            raise InvalidValue("reason", reason=Reason.NOT_AN_ENUM_VALUE)
        check_text("note", note, required=False)
        self.check_active()
        ended_on = local_date(now, self.time_zone)
        early = self.is_early(ended_on)
        if early and not self.early_end_consulted:
            raise errors.CoordinatorConsultationRequired
        self._happen(
            self.RelationshipEnded, actor.id, actor.role, now, reason=reason, note=note, ended_on=ended_on, early=early
        )

    def record_disclosure(self, basis: str, authority: str | None, actor: Actor, now: datetime) -> None:
        """A party records an exception to confidentiality, never its content (R9)."""
        self.check_allowed(Action.RECORD_DISCLOSURE, actor)
        if basis not in set(DisclosureBasis):
            raise InvalidValue("basis", reason=Reason.NOT_AN_ENUM_VALUE)
        if authority is not None and authority not in set(Authority):
            raise InvalidValue("authority", reason=Reason.NOT_AN_ENUM_VALUE)
        if basis == DisclosureBasis.DANGER_TO_SELF_OR_OTHERS and actor.role != Role.MENTOR:
            raise errors.Forbidden
        self.check_signed()
        self._happen(self.DisclosureRecorded, actor.id, actor.role, now, basis=basis, authority=authority)
