"""The summary's fold: one small function per mentorship event, on one summary row and its facts."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from domain import disputes
from domain.disputes import OPEN, SETTLED
from domain.mentorship import ACTIVE, CANCELLED, ENDED, HELD, WITHDRAWN, Mentorship
from domain.values import ConsultationTopic, ObjectiveStatus
from projections.dates import local_day, utc_text
from projections.tables import Row

M = Mentorship
Facts = dict[str, Any]  # open meetings, agendas, closed meetings, objectives, disputes, disputes consulted


def withdrawn(row: Row, facts: Facts, event: M.ConventionWithdrawn, day: str) -> None:
    row.update(status=WITHDRAWN, withdrawn_on=day)


def signed(row: Row, facts: Facts, event: M.ConventionSigned, day: str) -> None:
    row.update(status=ACTIVE, signed_on=day)


def objective_added(row: Row, facts: Facts, event: M.ObjectiveAdded, day: str) -> None:
    facts["objectives"][str(event.objective_id)] = ObjectiveStatus.NOT_STARTED.value


def objective_assessed(row: Row, facts: Facts, event: M.ObjectiveAssessed, day: str) -> None:
    facts["objectives"][str(event.objective_id)] = event.status


def meeting_planned(row: Row, facts: Facts, event: M.MeetingScheduled | M.MeetingRescheduled, day: str) -> None:
    facts["open"][str(event.meeting_id)] = utc_text(event.scheduled_for)


def agenda(row: Row, facts: Facts, event: M.AgendaSubmitted, day: str) -> None:
    facts["agendas"].append(str(event.meeting_id))


def held(row: Row, facts: Facts, event: M.MeetingHeld, day: str) -> None:
    meeting = str(event.meeting_id)
    del facts["open"][meeting]
    facts["closed"].append([utc_text(event.held_at), HELD])
    low, high = facts["target"]
    row["meetings_held"] += 1
    row["minutes_total"] += event.duration_minutes
    row["meetings_within_target"] += int(low <= event.duration_minutes <= high)
    row["agendas_in_advance"] += int(meeting in facts["agendas"])
    held_on = local_day(event.held_at, row["time_zone"])
    row["last_meeting_on"] = max(held_on, row["last_meeting_on"] or held_on)


def cancelled(row: Row, facts: Facts, event: M.MeetingCancelled, day: str) -> None:
    facts["closed"].append([facts["open"].pop(str(event.meeting_id)), CANCELLED])
    row["meetings_cancelled"] += 1
    if event.actor_role in ("mentor", "mentee"):
        row[f"cancelled_by_{event.actor_role}"] += 1
    row["cancelled_unavoidable"] += int(event.unavoidable)


def satisfaction(row: Row, facts: Facts, event: M.SatisfactionReported, day: str) -> None:
    row[f"satisfaction_{event.actor_role}"] = event.score


def dispute_raised(row: Row, facts: Facts, event: M.DisputeRaised, day: str) -> None:
    row["disputes_raised"] += 1


def consulted(row: Row, facts: Facts, event: M.CoordinatorConsulted, day: str) -> None:
    row["consultations"] += 1
    dispute = str(event.dispute_id)
    if event.topic == ConsultationTopic.DISPUTE and event.dispute_id is not None and dispute not in facts["consulted"]:
        facts["consulted"].append(dispute)


def ended(row: Row, facts: Facts, event: M.RelationshipEnded, day: str) -> None:
    row.update(
        status=ENDED,
        ended_on=event.ended_on.isoformat(),
        ended_early=int(event.early),
        end_reason=event.reason,
        ended_by_role=event.actor_role,
    )


HANDLERS: dict[type[Any], Callable[[Row, Facts, Any, str], None]] = {
    M.ConventionWithdrawn: withdrawn,
    M.ConventionSigned: signed,
    M.ObjectiveAdded: objective_added,
    M.ObjectiveAssessed: objective_assessed,
    M.MeetingScheduled: meeting_planned,
    M.MeetingRescheduled: meeting_planned,
    M.AgendaSubmitted: agenda,
    M.MeetingHeld: held,
    M.MeetingCancelled: cancelled,
    M.SatisfactionReported: satisfaction,
    M.DisputeRaised: dispute_raised,
    M.CoordinatorConsulted: consulted,
    M.RelationshipEnded: ended,
}


def fold(row: Row, event: Any) -> None:
    """Apply one event after the draft to its summary row: its handler, the disputes' lifecycle, the counts."""
    facts = row["facts"]
    handler = HANDLERS.get(type(event))
    if handler is not None:
        handler(row, facts, event, local_day(event.occurred_at, row["time_zone"]))
    disputes.fold(facts["disputes"], event, key=str)
    derive(row, facts)


def derive(row: Row, facts: Facts) -> None:
    """The counts that follow from the facts."""
    objectives = list(facts["objectives"].values())
    statuses = list(facts["disputes"].values())
    open_times = sorted(facts["open"].values())
    in_a_row = 0
    for _, outcome in sorted(facts["closed"], reverse=True):
        if outcome != CANCELLED:
            break
        in_a_row += 1
    row.update(
        objectives_total=len(objectives),
        objectives_attained=objectives.count(ObjectiveStatus.ATTAINED.value),
        disputes_open=statuses.count(OPEN),
        disputes_settled=statuses.count(SETTLED),
        disputes_to_coordinator=len(facts["consulted"]),
        first_open_meeting_at=open_times[0] if open_times else None,
        last_open_meeting_at=open_times[-1] if open_times else None,
        cancellations_in_a_row=in_a_row,
    )
