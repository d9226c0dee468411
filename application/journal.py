"""The parties' journal: a mentorship's texts and process facts, read from its events (the write side).

Only the two parties read it. Texts whose author has been erased read as null, and so does any text the
store could not open (a sealed value: its key is gone), even before the erasure event is read.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from application.mentorat import Mentorat
from domain.mentorship import CANCELLED, CLOSED_BY_END, HELD, OPEN, RECONCILED, SCHEDULED, SETTLED, Mentorship
from domain.participant import Participant
from domain.values import ConsultationTopic, ObjectiveStatus, Outcome

M = Mentorship
NOTE_EVENTS: dict[type[Any], str] = {
    M.MeetingCancelled: "note",
    M.CoordinatorConsulted: "note",
    M.RelationshipEnded: "note",
    M.SatisfactionReported: "comment",
}


class Journal:
    """Reads a mentorship's journal from its stored events."""

    def __init__(self, store: Mentorat) -> None:
        self.store = store

    def read(self, mentorship_id: UUID) -> dict[str, Any]:
        """Meetings, objectives, disputes and the notes written along the way, texts included."""
        events: list[Any] = list(self.store.events.get(mentorship_id))
        erased = self._erased({e.actor_id for e in events if getattr(e, "actor_id", None) is not None})

        def text(event: Any, field: str) -> str | None:
            value = getattr(event, field)
            return value if isinstance(value, str) and event.actor_id not in erased else None

        meetings: dict[UUID, dict[str, Any]] = {}
        objectives: dict[UUID, dict[str, Any]] = {}
        disputes: dict[UUID, dict[str, Any]] = {}
        entries: list[dict[str, Any]] = []
        for event in events:
            if isinstance(event, M.MeetingScheduled):
                meetings[event.meeting_id] = {
                    "id": event.meeting_id, "scheduled_for": event.scheduled_for, "status": SCHEDULED,
                    "held_at": None, "duration_minutes": None, "agenda": None, "notes": None,
                }  # fmt: skip
            elif isinstance(event, M.MeetingRescheduled):
                meetings[event.meeting_id]["scheduled_for"] = event.scheduled_for
            elif isinstance(event, M.AgendaSubmitted):
                meetings[event.meeting_id]["agenda"] = text(event, "agenda")
            elif isinstance(event, M.MeetingHeld):
                meetings[event.meeting_id].update(
                    status=HELD, held_at=event.held_at, duration_minutes=event.duration_minutes,
                    notes=text(event, "notes"),
                )  # fmt: skip
            elif isinstance(event, M.MeetingCancelled):
                meetings[event.meeting_id]["status"] = CANCELLED
            elif isinstance(event, M.ObjectiveAdded):
                objectives[event.objective_id] = {
                    "id": event.objective_id, "text": text(event, "text"), "status": ObjectiveStatus.NOT_STARTED.value
                }  # fmt: skip
            elif isinstance(event, M.ObjectiveAssessed):
                objectives[event.objective_id]["status"] = event.status
            elif isinstance(event, M.DisputeRaised):
                disputes[event.dispute_id] = {"id": event.dispute_id, "status": OPEN, "summary": text(event, "summary")}
            elif isinstance(event, M.DisputeSettled):
                disputes[event.dispute_id]["status"] = SETTLED
            elif (
                isinstance(event, M.CoordinatorConsulted)
                and event.topic == ConsultationTopic.DISPUTE
                and event.dispute_id is not None
                and event.outcome == Outcome.RECONCILED
            ):
                disputes[event.dispute_id]["status"] = RECONCILED
            elif isinstance(event, M.RelationshipEnded):
                for dispute in disputes.values():
                    if dispute["status"] == OPEN:
                        dispute["status"] = CLOSED_BY_END
            field = NOTE_EVENTS.get(type(event))
            if field is not None and getattr(event, field) is not None:
                entries.append(
                    {"type": type(event).__name__, "occurred_at": event.occurred_at,
                     "author_role": event.actor_role, "text": text(event, field)}
                )  # fmt: skip
        return {
            "meetings": list(meetings.values()),
            "objectives": list(objectives.values()),
            "disputes": list(disputes.values()),
            "entries": entries,
        }

    def _erased(self, authors: set[UUID]) -> set[UUID]:
        """The authors among these whose data has been erased."""
        erased = set()
        for author in authors:
            participant: Any = self.store.repository.get(author)
            if isinstance(participant, Participant) and participant.erased:
                erased.add(author)
        return erased
