"""Builders for domain tests: fixed ids, actors and times, and mentorships in a given state.

Every builder collects the events it caused, so a test sees only the events of its own "When".
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import fields, is_dataclass
from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

import pytest
from eventsourcing.domain import Aggregate

from domain.errors import DomainError
from domain.mentorship import Mentorship
from domain.values import Actor, Role
from tests.support import T0

TZ = "America/Toronto"
START = date(2026, 1, 1)  # the convention's start date; T0 (2026-01-05 15:00 UTC) is a few days later
PLANNED_END = date(2026, 11, 1)  # START + 10 months

PROGRAMME_ID = UUID("00000000-0000-4000-8000-000000000001")
MENTOR_ID = UUID("00000000-0000-4000-8000-000000000002")
MENTEE_ID = UUID("00000000-0000-4000-8000-000000000003")
COORDINATOR_ID = UUID("00000000-0000-4000-8000-000000000004")
OUTSIDER_ID = UUID("00000000-0000-4000-8000-000000000005")
AUDITOR_ID = UUID("00000000-0000-4000-8000-000000000006")

MENTOR = Actor(MENTOR_ID, Role.MENTOR.value)
MENTEE = Actor(MENTEE_ID, Role.MENTEE.value)
COORDINATOR = Actor(COORDINATOR_ID, Role.COORDINATOR.value)
AUDITOR = Actor(AUDITOR_ID, Role.AUDITOR.value)
OUTSIDER_MENTOR = Actor(OUTSIDER_ID, Role.MENTOR.value)  # a mentor, but not of this mentorship
IMPOSTOR = Actor(MENTOR_ID, Role.MENTEE.value)  # the mentor claiming the mentee's role


def at(days: float = 0, hours: float = 0, minutes: float = 0) -> datetime:
    """A timezone-aware time relative to T0."""
    return T0 + timedelta(days=days, hours=hours, minutes=minutes)


def names(events: Iterable[object]) -> list[str]:
    """The event class names, in order."""
    return [type(event).__name__ for event in events]


def new_events(aggregate: Aggregate) -> list[Any]:
    """The events triggered since the last collection (and collect them)."""
    return list(aggregate.collect_events())


def draft(starts_on: date = START, months: int = 10, now: datetime = T0) -> Mentorship:
    """Given a convention drafted by the coordinator (its events already collected)."""
    mentorship = Mentorship.draft(uuid4(), PROGRAMME_ID, MENTOR_ID, MENTEE_ID, starts_on, months, TZ, COORDINATOR, now)
    mentorship.collect_events()
    return mentorship


def with_objective(mentorship: Mentorship | None = None, text: str = "Build a network") -> tuple[Mentorship, UUID]:
    """Given a draft with one objective added by the mentee."""
    mentorship = mentorship or draft()
    objective_id = uuid4()
    mentorship.add_objective(objective_id, text, MENTEE, T0)
    mentorship.collect_events()
    return mentorship, objective_id


def signed(starts_on: date = START, months: int = 10) -> tuple[Mentorship, UUID]:
    """Given a convention in effect: one objective, signed by both parties."""
    mentorship, objective_id = with_objective(draft(starts_on, months))
    mentorship.sign(MENTOR, T0)
    mentorship.sign(MENTEE, T0)
    mentorship.collect_events()
    return mentorship, objective_id


def schedule(mentorship: Mentorship, when: datetime, actor: Actor = MENTOR, now: datetime = T0) -> UUID:
    """Given a meeting scheduled at `when`."""
    meeting_id = uuid4()
    mentorship.schedule_meeting(meeting_id, when, actor, now)
    mentorship.collect_events()
    return meeting_id


def raise_dispute(mentorship: Mentorship, actor: Actor = MENTEE) -> UUID:
    """Given an open dispute."""
    dispute_id = uuid4()
    mentorship.raise_dispute(dispute_id, "We disagree", actor, T0)
    mentorship.collect_events()
    return dispute_id


def ended(reason: str = "completed") -> tuple[Mentorship, UUID]:
    """Given a relationship that ended normally on its planned end date."""
    mentorship, objective_id = signed()
    mentorship.end(reason, None, MENTOR, on_local_date(PLANNED_END))
    mentorship.collect_events()
    return mentorship, objective_id


def on_local_date(day: date, hour: int = 12) -> datetime:
    """Noon (by default) of a calendar date in the programme's time zone, as an aware time."""
    return datetime(day.year, day.month, day.day, hour, tzinfo=ZoneInfo(TZ))


def assert_refused(aggregate: Aggregate, error: type[DomainError], command: Callable[[], object]) -> DomainError:
    """Then the command raises exactly `error`, adds no event and leaves the version unchanged."""
    version, pending = aggregate.version, list(aggregate.pending_events)
    with pytest.raises(error) as raised:
        command()
    assert type(raised.value) is error
    assert aggregate.version == version
    assert list(aggregate.pending_events) == pending
    return raised.value


def walk(value: object) -> Iterator[object]:
    """Every value reachable from `value` through containers, dataclasses and plain objects."""
    seen: set[int] = set()
    stack = [value]
    while stack:
        item = stack.pop()
        if id(item) in seen:
            continue
        seen.add(id(item))
        yield item
        if isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list | tuple | set | frozenset):
            stack.extend(item)
        elif is_dataclass(item) and not isinstance(item, type):
            stack.extend(getattr(item, f.name) for f in fields(item))
        elif hasattr(item, "__dict__") and not isinstance(item, type):
            stack.extend(vars(item).values())


def holds_text(value: object, marker: str) -> bool:
    """True when some string reachable from `value` contains `marker`."""
    return any(isinstance(item, str) and marker in item for item in walk(value))
