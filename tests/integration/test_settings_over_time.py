"""A programme's new time zone and meeting target apply to the facts recorded after the change, on both stores.

Facts folded before the change keep their day, their month and their classification; the report from the
counters equals the oracle's (`reference_report.py`) over windows across the change; a rebuild equals the
read models as they were folded live, one command at a time.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from application.service import MentoratService
from bootstrap.read_side import ReadSide
from domain.errors import InvalidValue
from infrastructure.field_mapper import keyless
from projections import programme_report, summary
from tests.integration import reference_report
from tests.integration.test_projections import dump, join, read_side
from tests.integration.test_report_counters import FileView
from tests.support import FakeClock

__all__ = ["read_side"]
BEFORE = datetime(2026, 2, 1, 3, 30, tzinfo=UTC)  # 22:30 on 31 January in Toronto; 12:30 on 1 February in Tokyo
AFTER = datetime(2026, 2, 28, 16, 0, tzinfo=UTC)  # 11:00 on 28 February in Toronto; 01:00 on 1 March in Tokyo
MONTHS = [date(2026, month, 1) for month in (1, 2, 3, 4)]


def a_month_each_side(service: MentoratService, clock: FakeClock, step: Callable[[], object]) -> str:
    """A pair's meetings, a cancellation and a score late one evening in Toronto; the programme moves to Tokyo
    and widens its target to 60-120 minutes; the same again early one morning in Tokyo. `step` runs after each
    command (the live fold). Answers the programme's id."""
    created = service.participants.create_programme("Programme", "Coordinator", None)
    coordinator = service.participants.authenticate(created["coordinator_token"])
    mentor, mentee = join(service, coordinator, "mentor"), join(service, coordinator, "mentee")
    m = service.mentorships
    mid = m.draft(coordinator, coordinator.programme_id, mentor.id, mentee.id, date(2026, 1, 1), None).aggregate_id
    m.add_objective(mentee, mid, "An objective")
    m.sign(mentor, mid)
    m.sign(mentee, mid)
    quiet_mentor, quiet_mentee = join(service, coordinator, "mentor"), join(service, coordinator, "mentee")
    quiet = m.draft(coordinator, coordinator.programme_id, quiet_mentor.id, quiet_mentee.id, date(2026, 1, 1), None)
    m.add_objective(quiet_mentee, quiet.aggregate_id, "An objective")
    m.sign(quiet_mentor, quiet.aggregate_id)
    m.sign(quiet_mentee, quiet.aggregate_id)  # a pair with nothing recorded after the change
    step()
    for now, score in ((BEFORE, 4), (AFTER, 5)):
        clock.now = now
        held = UUID(m.schedule_meeting(mentor, mid, now.replace(minute=0)).data["meeting_id"])
        step()
        m.hold_meeting(mentor, mid, held, None, 100, None, None)  # 100 minutes: outside 60-90, within 60-120
        step()
        cancelled = UUID(m.schedule_meeting(mentee, mid, datetime(2026, 6, 1, tzinfo=UTC)).data["meeting_id"])
        m.cancel_meeting(mentee, mid, cancelled, True, None)
        m.report_satisfaction(mentor, mid, score, None)
        step()
        if now == BEFORE:
            changes = {"time_zone": "Asia/Tokyo", "meeting_minutes_max": 120}
            service.programmes.change_settings(coordinator, coordinator.programme_id, changes, expected_version=1)
            step()
    return str(coordinator.programme_id)


def oracle(service: MentoratService, folder: Path) -> FileView:
    """The reference report's fold of the whole history, in a SQLite file of its own."""
    mapper = keyless(service.store.mapper)
    events = [mapper.to_domain_event(n) for n in service.store.recorder.select_notifications(0, 100_000)]
    view = FileView(reference_report.ReportModel(), folder / "reference.sqlite3")
    view.fold(events)
    return view


def test_facts_before_a_change_keep_their_dates_and_classification_and_the_report_equals_the_oracle(
    read_side: ReadSide, service: MentoratService, clock: FakeClock, tmp_path: Path
) -> None:
    # Given the history, folded live after each command
    programme_id = a_month_each_side(service, clock, read_side.catch_up)
    live = dump(read_side, ["report", "summary"])
    view = read_side.view("report")

    def figures(low: date | None, high: date | None) -> dict[str, Any]:
        return programme_report.report(view, programme_id, clock.now, low, high)

    # Then what was recorded before the change keeps its Toronto day (31 January) and its classification (outside)
    january = figures(MONTHS[0], MONTHS[1])
    assert (january["meetings_held"], january["meetings_cancelled"], january["within_target_rate"]) == (1, 1, 0.0)
    assert january["mean_satisfaction_mentors"] == 4.0  # its day (31 January in Toronto) is in January still
    # And what was recorded after is dated in Tokyo (1 March, not 28 February) and within the new target
    february, march = figures(MONTHS[1], MONTHS[2]), figures(MONTHS[2], MONTHS[3])
    assert (february["meetings_held"], february["meetings_cancelled"]) == (0, 0)
    assert (march["meetings_held"], march["meetings_cancelled"], march["within_target_rate"]) == (1, 1, 1.0)
    assert march["mean_satisfaction_mentors"] == 5.0
    assert figures(None, None)["within_target_rate"] == 0.5
    # And the summary agrees: one meeting within target, the last one on 1 March
    met, untouched = sorted(
        (summary.of_programme(read_side.view("summary"), programme_id, 0, 10)), key=lambda r: -r["meetings_held"]
    )
    assert (met["meetings_within_target"], met["last_meeting_on"]) == (1, "2026-03-01")
    # And "today" is in the zone in force, even for a pair with no fact since: 1 March in Tokyo (28 February in
    # Toronto), two whole months and 59 days after its start on 1 January
    figures_now = summary.summary(untouched, clock.now)
    assert (figures_now["months_elapsed"], figures_now["days_since_last_meeting"]) == (2, 59)
    # And the oracle's report is the same over every window across the change
    reference = oracle(service, tmp_path)
    days = [None, *MONTHS, date(2026, 1, 31), date(2026, 2, 2), date(2026, 2, 28), date(2026, 3, 2)]
    for low in days:
        for high in days:
            if low is None or high is None or low < high:
                expected = reference_report.report(reference, programme_id, clock.now, low, high)
                assert figures(low, high) == expected, (low, high)
    # When every read model is rebuilt from the history, Then it is the live fold, row for row
    read_side.rebuild(["report", "summary"])
    assert dump(read_side, ["report", "summary"]) == live


def test_a_conventions_rules_date_its_facts_in_the_zone_in_force(service: MentoratService, clock: FakeClock) -> None:
    """After a move to Tokyo, 01:00 on 1 March there is on the start date (28 February in Toronto, before it),
    and an end recorded then is dated 1 March: the programme's zone now, not the one the draft was made in."""
    created = service.participants.create_programme("Programme", "Coordinator", None)
    coordinator = service.participants.authenticate(created["coordinator_token"])
    mentor, mentee = join(service, coordinator, "mentor"), join(service, coordinator, "mentee")
    m = service.mentorships
    mid = m.draft(coordinator, coordinator.programme_id, mentor.id, mentee.id, date(2026, 3, 1), None).aggregate_id
    m.add_objective(mentee, mid, "An objective")
    m.sign(mentor, mid)
    m.sign(mentee, mid)
    clock.now = AFTER
    with pytest.raises(InvalidValue):  # still Toronto: 28 February, before the start
        m.schedule_meeting(mentor, mid, AFTER)
    service.programmes.change_settings(coordinator, coordinator.programme_id, {"time_zone": "Asia/Tokyo"}, None)
    m.schedule_meeting(mentor, mid, AFTER)  # 1 March in Tokyo: on the start date
    m.consult_coordinator(coordinator, mid, "early_end", None, "ending_agreed", None)
    m.end(mentor, mid, "no_longer_needed", None)
    assert m.get(mid).ended_on == date(2026, 3, 1)
