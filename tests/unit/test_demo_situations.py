"""The demo's worklist check, at each threshold of MISSION section 4 (the read side replaces it later)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from uuid import uuid4

import pytest

from demo.self_check import MentorshipFacts, situations
from domain.mentorship import ACTIVE, AWAITING, CANCELLED, ENDED, HELD, OPEN, SETTLED
from domain.programme import DEFAULT_THRESHOLDS

TZ = "America/Toronto"
NOW = datetime(2026, 6, 15, 16, 0, tzinfo=UTC)  # noon in Toronto
TODAY = date(2026, 6, 15)


def facts(**changes: object) -> MentorshipFacts:
    """An active mentorship, met yesterday, with a meeting planned next week: on no worklist."""
    base = MentorshipFacts(
        mentorship_id=uuid4(),
        time_zone=TZ,
        drafted_on=date(2026, 1, 1),
        starts_on=date(2026, 1, 5),
        planned_end_on=date(2026, 11, 5),
        status=ACTIVE,
    )
    base.last_held_on = TODAY - timedelta(days=1)
    base.closed_meetings.append((NOW - timedelta(days=1), HELD))
    base.open_meetings[uuid4()] = NOW + timedelta(days=7)
    for key, value in changes.items():
        setattr(base, key, value)
    return base


def reasons(f: MentorshipFacts) -> list[str]:
    return situations(f, NOW, DEFAULT_THRESHOLDS)


def test_a_healthy_active_mentorship_has_no_reason() -> None:
    assert reasons(facts()) == []


@pytest.mark.parametrize(("days", "listed"), [(45, False), (46, True)])
def test_no_meeting_for_more_than_45_days(days: int, listed: bool) -> None:
    assert ("no_meeting_45_days" in reasons(facts(last_held_on=TODAY - timedelta(days=days)))) is listed


def test_no_meeting_is_counted_from_the_start_while_none_was_held() -> None:
    assert "no_meeting_45_days" in reasons(facts(last_held_on=None, closed_meetings=[]))
    recent = facts(last_held_on=None, closed_meetings=[], starts_on=TODAY - timedelta(days=10))
    assert "no_meeting_45_days" not in reasons(recent)


def test_no_next_meeting_when_no_open_meeting_is_ahead() -> None:
    assert "no_next_meeting" in reasons(facts(open_meetings={}))
    assert "no_next_meeting" in reasons(facts(open_meetings={uuid4(): NOW - timedelta(hours=1)}))


@pytest.mark.parametrize(("outcomes", "listed"), [((HELD, CANCELLED), False), ((CANCELLED, CANCELLED), True)])
def test_two_cancellations_in_a_row(outcomes: tuple[str, str], listed: bool) -> None:
    closed = [(NOW - timedelta(days=20 - i), outcome) for i, outcome in enumerate(outcomes)]
    assert ("two_cancellations_in_a_row" in reasons(facts(closed_meetings=closed))) is listed


def test_open_dispute_only_while_open() -> None:
    assert "open_dispute" in reasons(facts(disputes={uuid4(): OPEN}))
    assert "open_dispute" not in reasons(facts(disputes={uuid4(): SETTLED}))


@pytest.mark.parametrize(("score", "listed"), [(2, True), (3, False)])
def test_low_satisfaction_is_a_latest_score_of_2_or_less(score: int, listed: bool) -> None:
    assert ("low_satisfaction" in reasons(facts(satisfaction={"mentee": score, "mentor": 5}))) is listed


@pytest.mark.parametrize(("days", "listed"), [(30, True), (31, False), (0, True)])
def test_ends_within_30_days(days: int, listed: bool) -> None:
    assert ("ends_within_30_days" in reasons(facts(planned_end_on=TODAY + timedelta(days=days)))) is listed


@pytest.mark.parametrize(("days", "listed"), [(14, False), (15, True)])
def test_awaiting_signatures_for_more_than_14_days(days: int, listed: bool) -> None:
    waiting = facts(status=AWAITING, drafted_on=TODAY - timedelta(days=days), open_meetings={}, last_held_on=None)
    assert reasons(waiting) == (["awaiting_signatures_14_days"] if listed else [])


@pytest.mark.parametrize(("hours", "listed"), [(47, False), (49, True)])
def test_meeting_outcome_missing_more_than_2_days_after(hours: int, listed: bool) -> None:
    late = {uuid4(): NOW - timedelta(hours=hours), uuid4(): NOW + timedelta(days=7)}
    assert ("meeting_outcome_missing" in reasons(facts(open_meetings=late))) is listed


@pytest.mark.parametrize(("days", "listed"), [(0, False), (-1, True)])
def test_past_planned_end_while_still_active(days: int, listed: bool) -> None:
    assert ("past_planned_end" in reasons(facts(planned_end_on=TODAY + timedelta(days=days)))) is listed


def test_an_ended_mentorship_is_on_no_worklist() -> None:
    assert reasons(facts(status=ENDED, open_meetings={}, disputes={uuid4(): OPEN})) == []
