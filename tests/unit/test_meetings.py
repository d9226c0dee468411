"""R2-R5: meetings are scheduled, held with their time and duration, prepared, moved and cancelled."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import pytest

from domain import errors
from domain.errors import InvalidValue
from domain.mentorship import CANCELLED, HELD, SCHEDULED, Mentorship
from domain.values import Actor
from tests.support import T0
from tests.unit.builders import (
    COORDINATOR,
    MENTEE,
    MENTOR,
    OUTSIDER_MENTOR,
    assert_refused,
    at,
    names,
    new_events,
    schedule,
    signed,
)

NEXT_WEEK = at(days=7)
AFTER_NEXT_WEEK = at(days=7, hours=2)


def held(mentorship: Mentorship, meeting_id: UUID) -> None:
    """Given the meeting recorded held at its scheduled time, for an hour."""
    mentorship.hold_meeting(meeting_id, None, 60, None, None, MENTOR, AFTER_NEXT_WEEK)
    new_events(mentorship)


def cancelled(mentorship: Mentorship, meeting_id: UUID) -> None:
    """Given the meeting cancelled."""
    mentorship.cancel_meeting(meeting_id, True, None, MENTEE, T0)
    new_events(mentorship)


# R2 -----------------------------------------------------------------------------------------


def test_r2_a_party_schedules_a_meeting_with_its_time() -> None:
    # Given a convention in effect
    mentorship, _ = signed()
    meeting_id = uuid4()
    # When the mentee schedules a meeting next week
    mentorship.schedule_meeting(meeting_id, NEXT_WEEK, MENTEE, T0)
    # Then MeetingScheduled records its time, and the meeting is open
    [event] = new_events(mentorship)
    assert names([event]) == ["MeetingScheduled"]
    assert (event.meeting_id, event.scheduled_for, event.actor_role) == (meeting_id, NEXT_WEEK, "mentee")
    assert mentorship.meetings[meeting_id].status == SCHEDULED


def test_r2_a_held_meeting_records_its_time_and_duration() -> None:
    # Given a meeting scheduled next week
    mentorship, _ = signed()
    meeting_id = schedule(mentorship, NEXT_WEEK)
    # When, two hours after it, the mentor records it held for 75 minutes (time defaulting to the scheduled one)
    mentorship.hold_meeting(meeting_id, None, 75, "We talked", None, MENTOR, AFTER_NEXT_WEEK)
    # Then MeetingHeld happened at the meeting's time, was recorded now, and lasted 75 minutes
    [event] = new_events(mentorship)
    assert names([event]) == ["MeetingHeld"]
    assert (event.held_at, event.occurred_at, event.timestamp) == (NEXT_WEEK, NEXT_WEEK, AFTER_NEXT_WEEK)
    assert event.duration_minutes == 75
    assert mentorship.meetings[meeting_id].status == HELD


@pytest.mark.parametrize("minutes", [1, 30, 59, 91, 180, 480])
def test_r2_length_target_is_not_a_hard_rejection(minutes: int) -> None:
    # Given a scheduled meeting
    mentorship, _ = signed()
    meeting_id = schedule(mentorship, NEXT_WEEK)
    # When it is recorded held for a length outside (or at the bounds of) 60-90 minutes but within 1-480
    mentorship.hold_meeting(meeting_id, None, minutes, None, None, MENTEE, AFTER_NEXT_WEEK)
    # Then it is accepted: the target is measured by reports, not enforced
    assert names(new_events(mentorship)) == ["MeetingHeld"]


@pytest.mark.parametrize("minutes", [0, -5, 481])
def test_r2_duration_is_between_1_and_480_minutes(minutes: int) -> None:
    mentorship, _ = signed()
    meeting_id = schedule(mentorship, NEXT_WEEK)
    # When a duration outside 1-480 minutes is given, Then the value is refused
    error = assert_refused(
        mentorship,
        InvalidValue,
        lambda: mentorship.hold_meeting(meeting_id, None, minutes, None, None, MENTOR, AFTER_NEXT_WEEK),
    )
    assert isinstance(error, InvalidValue)
    assert error.fields == ("duration_minutes",)


def test_r2_a_boolean_is_not_a_duration() -> None:
    mentorship, _ = signed()
    meeting_id = schedule(mentorship, NEXT_WEEK)
    flag: Any = True
    assert_refused(
        mentorship,
        InvalidValue,
        lambda: mentorship.hold_meeting(meeting_id, None, flag, None, None, MENTOR, AFTER_NEXT_WEEK),
    )


def test_r2_a_meeting_cannot_be_recorded_held_at_a_future_time() -> None:
    # Given a meeting scheduled next week
    mentorship, _ = signed()
    meeting_id = schedule(mentorship, NEXT_WEEK)
    # When it is recorded held today (defaulting to its future time), Then the value is refused
    assert_refused(
        mentorship, InvalidValue, lambda: mentorship.hold_meeting(meeting_id, None, 60, None, None, MENTOR, T0)
    )
    # And so is an explicit held time in the future
    assert_refused(
        mentorship, InvalidValue, lambda: mentorship.hold_meeting(meeting_id, at(hours=1), 60, None, None, MENTOR, T0)
    )
    assert mentorship.meetings[meeting_id].status == SCHEDULED


def test_r2_a_meeting_before_the_signature_can_be_recorded_late() -> None:
    # Given a convention that started on 2026-01-01 and was signed on 2026-01-05
    mentorship, _ = signed()
    # When a meeting of 2026-01-02 is scheduled and recorded held afterwards
    past = datetime(2026, 1, 2, 15, 0, tzinfo=UTC)
    meeting_id = uuid4()
    mentorship.schedule_meeting(meeting_id, past, MENTOR, T0)
    mentorship.hold_meeting(meeting_id, None, 60, None, None, MENTOR, T0)
    # Then both are accepted, the held meeting occurring at its own time
    events = new_events(mentorship)
    assert names(events) == ["MeetingScheduled", "MeetingHeld"]
    assert events[1].occurred_at == past


def test_r2_a_meeting_cannot_be_placed_before_the_start_date_in_the_programme_time_zone() -> None:
    # Given a convention starting on 2026-01-01 in America/Toronto
    mentorship, _ = signed()
    # When a meeting is scheduled at 03:00 UTC that day (still 2025-12-31 in Toronto), Then it is refused
    before = datetime(2026, 1, 1, 3, 0, tzinfo=UTC)
    assert_refused(mentorship, InvalidValue, lambda: mentorship.schedule_meeting(uuid4(), before, MENTOR, T0))
    # And at 06:00 UTC (01:00 in Toronto, the start date) it is accepted
    mentorship.schedule_meeting(uuid4(), datetime(2026, 1, 1, 6, 0, tzinfo=UTC), MENTOR, T0)
    assert names(new_events(mentorship)) == ["MeetingScheduled"]


def test_r2_a_held_time_before_the_start_date_is_refused() -> None:
    mentorship, _ = signed()
    meeting_id = schedule(mentorship, NEXT_WEEK)
    too_early = datetime(2025, 12, 15, 15, 0, tzinfo=UTC)
    assert_refused(
        mentorship, InvalidValue, lambda: mentorship.hold_meeting(meeting_id, too_early, 60, None, None, MENTOR, T0)
    )


def test_r2_times_need_an_explicit_offset() -> None:
    mentorship, _ = signed()
    naive = datetime(2026, 1, 20, 15, 0)  # deliberately without an offset
    # When a meeting time has no offset, Then the value is refused
    error = assert_refused(mentorship, InvalidValue, lambda: mentorship.schedule_meeting(uuid4(), naive, MENTOR, T0))
    assert isinstance(error, InvalidValue)
    assert error.fields == ("scheduled_for",)


def test_r2_only_a_party_schedules() -> None:
    mentorship, _ = signed()
    for actor in (COORDINATOR, OUTSIDER_MENTOR):
        # When someone other than the pair schedules, Then it is forbidden
        assert_refused(mentorship, errors.Forbidden, lambda: mentorship.schedule_meeting(uuid4(), NEXT_WEEK, actor, T0))  # noqa: B023


# R3 -----------------------------------------------------------------------------------------


def test_r3_recording_a_held_meeting_schedules_the_next_one_in_the_same_command() -> None:
    # Given a meeting scheduled next week
    mentorship, _ = signed()
    meeting_id = schedule(mentorship, NEXT_WEEK)
    next_id, next_time = uuid4(), at(days=37)
    # When it is recorded held with the date of the next one
    mentorship.hold_meeting(meeting_id, None, 60, None, (next_id, next_time), MENTEE, AFTER_NEXT_WEEK)
    # Then the meeting is held and the next one is scheduled
    events = new_events(mentorship)
    assert names(events) == ["MeetingHeld", "MeetingScheduled"]
    assert (events[1].meeting_id, events[1].scheduled_for) == (next_id, next_time)
    assert mentorship.meetings[next_id].status == SCHEDULED


def test_r3_an_invalid_next_meeting_refuses_the_whole_command() -> None:
    # Given a scheduled meeting
    mentorship, _ = signed()
    meeting_id = schedule(mentorship, NEXT_WEEK)
    too_early = datetime(2025, 12, 1, 15, 0, tzinfo=UTC)
    # When it is recorded held with a next meeting before the start date, Then nothing is recorded
    assert_refused(
        mentorship,
        InvalidValue,
        lambda: mentorship.hold_meeting(meeting_id, None, 60, None, (uuid4(), too_early), MENTOR, AFTER_NEXT_WEEK),
    )
    assert mentorship.meetings[meeting_id].status == SCHEDULED


def test_r3_rescheduling_moves_the_meeting_and_is_not_a_cancellation() -> None:
    # Given a meeting scheduled next week
    mentorship, _ = signed()
    meeting_id = schedule(mentorship, NEXT_WEEK)
    # When the mentee moves it two days later
    mentorship.reschedule_meeting(meeting_id, at(days=9), MENTEE, T0)
    # Then MeetingRescheduled is recorded and the meeting is still open at its new time
    assert names(new_events(mentorship)) == ["MeetingRescheduled"]
    assert mentorship.meetings[meeting_id].status == SCHEDULED
    assert mentorship.meetings[meeting_id].scheduled_for == at(days=9)


@pytest.mark.parametrize("close", [held, cancelled], ids=["held", "cancelled"])
def test_r3_a_closed_meeting_cannot_be_rescheduled(close: Callable[[Mentorship, UUID], None]) -> None:
    mentorship, _ = signed()
    meeting_id = schedule(mentorship, NEXT_WEEK)
    close(mentorship, meeting_id)
    assert_refused(
        mentorship,
        errors.MeetingAlreadyClosed,
        lambda: mentorship.reschedule_meeting(meeting_id, at(days=9), MENTOR, T0),
    )


def test_r3_a_meeting_cannot_be_rescheduled_before_the_start_date() -> None:
    mentorship, _ = signed()
    meeting_id = schedule(mentorship, NEXT_WEEK)
    too_early = datetime(2025, 12, 1, 15, 0, tzinfo=UTC)
    assert_refused(mentorship, InvalidValue, lambda: mentorship.reschedule_meeting(meeting_id, too_early, MENTOR, T0))


@pytest.mark.parametrize(
    "command",
    [
        lambda m, mid: m.reschedule_meeting(mid, at(days=9), MENTOR, T0),
        lambda m, mid: m.hold_meeting(mid, None, 60, None, None, MENTOR, AFTER_NEXT_WEEK),
        lambda m, mid: m.cancel_meeting(mid, False, None, MENTOR, T0),
        lambda m, mid: m.submit_agenda(mid, "Agenda", MENTEE, T0),
    ],
    ids=["reschedule", "hold", "cancel", "agenda"],
)
def test_r3_commands_on_an_unknown_meeting_are_not_found(command: Callable[[Mentorship, UUID], None]) -> None:
    mentorship, _ = signed()
    assert_refused(mentorship, errors.NotFound, lambda: command(mentorship, uuid4()))


# R4 -----------------------------------------------------------------------------------------


def test_r4_the_mentee_sends_the_agenda_before_the_meeting() -> None:
    # Given a meeting scheduled next week
    mentorship, _ = signed()
    meeting_id = schedule(mentorship, NEXT_WEEK)
    # When the mentee submits its agenda today
    mentorship.submit_agenda(meeting_id, "Objectives for the meeting", MENTEE, T0)
    # Then AgendaSubmitted is recorded and the meeting is known to have an agenda
    [event] = new_events(mentorship)
    assert names([event]) == ["AgendaSubmitted"]
    assert event.meeting_id == meeting_id
    assert mentorship.meetings[meeting_id].has_agenda is True


@pytest.mark.parametrize("actor", [MENTOR, COORDINATOR], ids=["mentor", "coordinator"])
def test_r4_only_the_mentee_sends_the_agenda(actor: Actor) -> None:
    mentorship, _ = signed()
    meeting_id = schedule(mentorship, NEXT_WEEK)
    assert_refused(
        mentorship,
        errors.Forbidden,
        lambda: mentorship.submit_agenda(meeting_id, "Agenda", actor, T0),
    )


@pytest.mark.parametrize("now", [NEXT_WEEK, AFTER_NEXT_WEEK], ids=["at-the-time", "after"])
def test_r4_an_agenda_at_or_after_the_meeting_time_is_too_late(now: datetime) -> None:
    # Given a meeting scheduled next week
    mentorship, _ = signed()
    meeting_id = schedule(mentorship, NEXT_WEEK)
    # When the mentee submits its agenda at or after the meeting's time, Then it is refused as too late
    assert_refused(
        mentorship, errors.AgendaTooLate, lambda: mentorship.submit_agenda(meeting_id, "Agenda", MENTEE, now)
    )
    assert mentorship.meetings[meeting_id].has_agenda is False


def test_r4_an_agenda_only_for_an_open_meeting() -> None:
    # Given a meeting next week that was cancelled
    mentorship, _ = signed()
    meeting_id = schedule(mentorship, NEXT_WEEK)
    cancelled(mentorship, meeting_id)
    # When the mentee sends an agenda for it, Then it is refused: the meeting is closed
    assert_refused(
        mentorship, errors.MeetingAlreadyClosed, lambda: mentorship.submit_agenda(meeting_id, "Agenda", MENTEE, T0)
    )


def test_r4_an_agenda_is_not_blank() -> None:
    mentorship, _ = signed()
    meeting_id = schedule(mentorship, NEXT_WEEK)
    assert_refused(mentorship, InvalidValue, lambda: mentorship.submit_agenda(meeting_id, "  ", MENTEE, T0))


# R5 -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("actor", "unavoidable"), [(MENTOR, True), (MENTEE, False)], ids=["mentor", "mentee"])
def test_r5_a_cancellation_records_who_cancelled_and_whether_it_was_unavoidable(
    actor: Actor, unavoidable: bool
) -> None:
    # Given a meeting scheduled next week
    mentorship, _ = signed()
    meeting_id = schedule(mentorship, NEXT_WEEK)
    # When a party cancels it
    mentorship.cancel_meeting(meeting_id, unavoidable, "Sick", actor, T0)
    # Then MeetingCancelled records the canceller's role and whether it was unavoidable
    [event] = new_events(mentorship)
    assert names([event]) == ["MeetingCancelled"]
    assert (event.actor_role, event.unavoidable) == (actor.role, unavoidable)
    assert mentorship.meetings[meeting_id].status == CANCELLED


@pytest.mark.parametrize("close", [held, cancelled], ids=["held", "cancelled"])
def test_r5_only_an_open_meeting_can_be_cancelled(close: Callable[[Mentorship, UUID], None]) -> None:
    mentorship, _ = signed()
    meeting_id = schedule(mentorship, NEXT_WEEK)
    close(mentorship, meeting_id)
    assert_refused(
        mentorship, errors.MeetingAlreadyClosed, lambda: mentorship.cancel_meeting(meeting_id, True, None, MENTOR, T0)
    )


@pytest.mark.parametrize("close", [held, cancelled], ids=["held", "cancelled"])
def test_r5_a_closed_meeting_cannot_be_recorded_held(close: Callable[[Mentorship, UUID], None]) -> None:
    mentorship, _ = signed()
    meeting_id = schedule(mentorship, NEXT_WEEK)
    close(mentorship, meeting_id)
    assert_refused(
        mentorship,
        errors.MeetingAlreadyClosed,
        lambda: mentorship.hold_meeting(meeting_id, None, 60, None, None, MENTOR, at(days=8)),
    )


def test_r5_unavoidable_must_be_a_boolean() -> None:
    mentorship, _ = signed()
    meeting_id = schedule(mentorship, NEXT_WEEK)
    not_a_bool: Any = "yes"
    assert_refused(
        mentorship, InvalidValue, lambda: mentorship.cancel_meeting(meeting_id, not_a_bool, None, MENTOR, T0)
    )


def test_r5_the_coordinator_does_not_cancel_meetings() -> None:
    mentorship, _ = signed()
    meeting_id = schedule(mentorship, NEXT_WEEK)
    assert_refused(
        mentorship, errors.Forbidden, lambda: mentorship.cancel_meeting(meeting_id, True, None, COORDINATOR, T0)
    )
