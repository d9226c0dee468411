"""The demo's self-check: a mentorship's process facts folded from its events, and the worklist situations.

Pure functions over domain events (MISSION section 4): no store, no clock, no content is ever read.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from uuid import UUID

from domain.mentorship import (
    ACTIVE,
    AWAITING,
    CANCELLED,
    CLOSED_BY_END,
    ENDED,
    HELD,
    OPEN,
    RECONCILED,
    SETTLED,
    WITHDRAWN,
    Mentorship,
)
from domain.values import ConsultationTopic, ObjectiveStatus, Outcome, local_date
from projections.worklist import REASONS

SITUATIONS = REASONS  # the slugs of MISSION section 4, as the read side names them


@dataclass
class MentorshipFacts:
    """What the worklist and the summary need about one mentorship: process facts only."""

    mentorship_id: UUID
    time_zone: str
    drafted_on: date
    starts_on: date
    planned_end_on: date
    status: str = AWAITING
    open_meetings: dict[UUID, datetime] = field(default_factory=dict)
    closed_meetings: list[tuple[datetime, str]] = field(default_factory=list)
    agendas: set[UUID] = field(default_factory=set)
    held_minutes: list[int] = field(default_factory=list)
    held_with_agenda: int = 0
    last_held_on: date | None = None
    cancelled_by: dict[str, int] = field(default_factory=dict)
    cancelled_unavoidable: int = 0
    objectives: dict[UUID, str] = field(default_factory=dict)
    satisfaction: dict[str, int] = field(default_factory=dict)
    disputes: dict[UUID, str] = field(default_factory=dict)
    disputes_to_coordinator: set[UUID] = field(default_factory=set)
    consultations: int = 0
    disclosures: int = 0
    ended_on: date | None = None
    ended_early: bool | None = None

    @property
    def meetings_held(self) -> int:
        """Held meetings."""
        return sum(1 for _, outcome in self.closed_meetings if outcome == HELD)

    @property
    def meetings_cancelled(self) -> int:
        """Cancelled meetings."""
        return sum(1 for _, outcome in self.closed_meetings if outcome == CANCELLED)


def fold(events: Iterable[object]) -> MentorshipFacts:
    """Fold one mentorship's events, in version order, into its process facts."""
    facts: MentorshipFacts | None = None
    for event in events:
        if isinstance(event, Mentorship.ConventionDrafted):
            facts = MentorshipFacts(
                mentorship_id=event.originator_id,
                time_zone=event.time_zone,
                drafted_on=local_date(event.occurred_at, event.time_zone),
                starts_on=event.starts_on,
                planned_end_on=event.planned_end_on,
            )
        elif facts is None:
            raise ValueError("a mentorship's history starts with ConventionDrafted")
        else:
            _apply(facts, event)
    if facts is None:
        raise ValueError("empty mentorship history")
    return facts


def _apply(facts: MentorshipFacts, event: object) -> None:
    """Apply one event after the draft."""
    m = Mentorship
    if isinstance(event, m.ConventionWithdrawn):
        facts.status = WITHDRAWN
    elif isinstance(event, m.ConventionSigned):
        facts.status = ACTIVE
    elif isinstance(event, m.ObjectiveAdded):
        facts.objectives[event.objective_id] = ObjectiveStatus.NOT_STARTED.value
    elif isinstance(event, m.ObjectiveAssessed):
        facts.objectives[event.objective_id] = event.status
    elif isinstance(event, m.MeetingScheduled | m.MeetingRescheduled):
        facts.open_meetings[event.meeting_id] = event.scheduled_for
    elif isinstance(event, m.AgendaSubmitted):
        facts.agendas.add(event.meeting_id)
    elif isinstance(event, m.MeetingHeld):
        del facts.open_meetings[event.meeting_id]
        facts.closed_meetings.append((event.held_at, HELD))
        facts.held_minutes.append(event.duration_minutes)
        facts.held_with_agenda += event.meeting_id in facts.agendas
        held_on = local_date(event.held_at, facts.time_zone)
        facts.last_held_on = max(held_on, facts.last_held_on or held_on)
    elif isinstance(event, m.MeetingCancelled):
        scheduled_for = facts.open_meetings.pop(event.meeting_id)
        facts.closed_meetings.append((scheduled_for, CANCELLED))
        facts.cancelled_by[event.actor_role] = facts.cancelled_by.get(event.actor_role, 0) + 1
        facts.cancelled_unavoidable += event.unavoidable
    elif isinstance(event, m.SatisfactionReported):
        facts.satisfaction[event.actor_role] = event.score
    elif isinstance(event, m.DisputeRaised):
        facts.disputes[event.dispute_id] = OPEN
    elif isinstance(event, m.DisputeSettled):
        facts.disputes[event.dispute_id] = SETTLED
    elif isinstance(event, m.CoordinatorConsulted):
        facts.consultations += 1
        if event.topic == ConsultationTopic.DISPUTE and event.dispute_id is not None:
            facts.disputes_to_coordinator.add(event.dispute_id)
            if event.outcome == Outcome.RECONCILED:  # the consultation's outcome, not the dispute's status
                facts.disputes[event.dispute_id] = RECONCILED
    elif isinstance(event, m.DisclosureRecorded):
        facts.disclosures += 1
    elif isinstance(event, m.RelationshipEnded):
        facts.status, facts.ended_on, facts.ended_early = ENDED, event.ended_on, event.early
        for dispute_id, status in facts.disputes.items():
            if status == OPEN:
                facts.disputes[dispute_id] = CLOSED_BY_END


def situations(facts: MentorshipFacts, now: datetime, thresholds: Mapping[str, int]) -> list[str]:
    """The worklist reasons of MISSION section 4 that hold for this mentorship at `now`."""
    today = local_date(now, facts.time_zone)
    reasons: list[str] = []
    if facts.status == AWAITING:
        if (today - facts.drafted_on).days > thresholds["awaiting_signatures_days"]:
            reasons.append("awaiting_signatures_14_days")
        return reasons
    if facts.status != ACTIVE:
        return reasons
    since = facts.last_held_on or facts.starts_on
    if (today - since).days > thresholds["no_meeting_days"]:
        reasons.append("no_meeting_45_days")
    if not any(moment > now for moment in facts.open_meetings.values()):
        reasons.append("no_next_meeting")
    in_a_row = thresholds["cancellations_in_a_row"]
    latest = [outcome for _, outcome in sorted(facts.closed_meetings, key=lambda closed: closed[0])][-in_a_row:]
    if in_a_row > 0 and len(latest) == in_a_row and all(outcome == CANCELLED for outcome in latest):
        reasons.append("two_cancellations_in_a_row")
    if OPEN in facts.disputes.values():
        reasons.append("open_dispute")
    if any(score <= thresholds["low_satisfaction_max"] for score in facts.satisfaction.values()):
        reasons.append("low_satisfaction")
    if 0 <= (facts.planned_end_on - today).days <= thresholds["ends_within_days"]:
        reasons.append("ends_within_30_days")
    missing_after = thresholds["outcome_missing_days"]
    if any((now - moment).total_seconds() > missing_after * 86_400 for moment in facts.open_meetings.values()):
        reasons.append("meeting_outcome_missing")
    if today > facts.planned_end_on:
        reasons.append("past_planned_end")
    return reasons
