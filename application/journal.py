"""The parties' journal: a mentorship's texts and process facts, read from its events (the write side).

Only the two parties read it. Texts whose author has been erased read as null, and so does any text the
store could not open (a sealed value: its key is gone), even before the erasure event is read.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from application.mentorat import Mentorat
from domain import disputes
from domain.mentorship import CANCELLED, HELD, SCHEDULED, Mentorship
from domain.participant import Participant
from domain.values import ObjectiveStatus

M = Mentorship
NOTE_EVENTS: dict[type[Any], str] = {
    M.MeetingCancelled: "note",
    M.CoordinatorConsulted: "note",
    M.RelationshipEnded: "note",
    M.SatisfactionReported: "comment",
}
Row = dict[str, Any]


@dataclass
class Pages:
    """The journal being folded: meetings, objectives and disputes by id, and the notes in order."""

    erased: set[UUID]
    meetings: dict[UUID, Row] = field(default_factory=dict)
    objectives: dict[UUID, Row] = field(default_factory=dict)
    disputes: dict[UUID, Row] = field(default_factory=dict)
    statuses: dict[UUID, str] = field(default_factory=dict)  # each dispute's status, as `domain.disputes` folds it
    entries: list[Row] = field(default_factory=list)

    def text(self, event: Any, name: str) -> str | None:
        """A text field as the parties may read it: null once its author is erased or its key is gone."""
        value = getattr(event, name)
        return value if isinstance(value, str) and event.actor_id not in self.erased else None


def scheduled(pages: Pages, event: M.MeetingScheduled) -> None:
    pages.meetings[event.meeting_id] = {
        "id": event.meeting_id, "scheduled_for": event.scheduled_for, "status": SCHEDULED,
        "held_at": None, "duration_minutes": None, "agenda": None, "notes": None,
    }  # fmt: skip


def rescheduled(pages: Pages, event: M.MeetingRescheduled) -> None:
    pages.meetings[event.meeting_id]["scheduled_for"] = event.scheduled_for


def agenda(pages: Pages, event: M.AgendaSubmitted) -> None:
    pages.meetings[event.meeting_id]["agenda"] = pages.text(event, "agenda")


def held(pages: Pages, event: M.MeetingHeld) -> None:
    pages.meetings[event.meeting_id].update(
        status=HELD, held_at=event.held_at, duration_minutes=event.duration_minutes, notes=pages.text(event, "notes")
    )


def cancelled(pages: Pages, event: M.MeetingCancelled) -> None:
    pages.meetings[event.meeting_id]["status"] = CANCELLED


def objective_added(pages: Pages, event: M.ObjectiveAdded) -> None:
    text, status = pages.text(event, "text"), ObjectiveStatus.NOT_STARTED.value
    pages.objectives[event.objective_id] = {"id": event.objective_id, "text": text, "status": status}


def objective_assessed(pages: Pages, event: M.ObjectiveAssessed) -> None:
    pages.objectives[event.objective_id]["status"] = event.status


def dispute_raised(pages: Pages, event: M.DisputeRaised) -> None:
    pages.disputes[event.dispute_id] = {"id": event.dispute_id, "status": None, "summary": pages.text(event, "summary")}


HANDLERS: dict[type[Any], Callable[[Pages, Any], None]] = {
    M.MeetingScheduled: scheduled,
    M.MeetingRescheduled: rescheduled,
    M.AgendaSubmitted: agenda,
    M.MeetingHeld: held,
    M.MeetingCancelled: cancelled,
    M.ObjectiveAdded: objective_added,
    M.ObjectiveAssessed: objective_assessed,
    M.DisputeRaised: dispute_raised,
}


def fold(pages: Pages, event: Any) -> None:
    """Apply one event: its own handler, the disputes' lifecycle, and its note if it carries one."""
    handler = HANDLERS.get(type(event))
    if handler is not None:
        handler(pages, event)
    disputes.fold(pages.statuses, event)
    for dispute_id, status in pages.statuses.items():
        pages.disputes[dispute_id]["status"] = status
    name = NOTE_EVENTS.get(type(event))
    if name is not None and getattr(event, name) is not None:
        pages.entries.append(
            {"type": type(event).__name__, "occurred_at": event.occurred_at,
             "author_role": event.actor_role, "text": pages.text(event, name)}
        )  # fmt: skip


class Journal:
    """Reads a mentorship's journal from its stored events."""

    def __init__(self, store: Mentorat) -> None:
        self.store = store

    def read(self, mentorship_id: UUID) -> dict[str, Any]:
        """Meetings, objectives, disputes and the notes written along the way, texts included."""
        events: list[Any] = list(self.store.events.get(mentorship_id))
        pages = Pages(self._erased({e.actor_id for e in events if getattr(e, "actor_id", None) is not None}))
        for event in events:
            fold(pages, event)
        return {
            "meetings": list(pages.meetings.values()),
            "objectives": list(pages.objectives.values()),
            "disputes": list(pages.disputes.values()),
            "entries": pages.entries,
        }

    def _erased(self, authors: set[UUID]) -> set[UUID]:
        """The authors among these whose data has been erased."""
        erased = set()
        for author in authors:
            participant: Any = self.store.repository.get(author)
            if isinstance(participant, Participant) and participant.erased:
                erased.add(author)
        return erased
