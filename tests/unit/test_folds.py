"""Each read model's fold on plain rows, without a store: Given events, When folded in order, Then these rows."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any
from uuid import UUID

import pytest

from domain.access_record import AccessAction, AccessRecord
from domain.mentorship import Mentorship
from domain.participant import Participant
from domain.programme import Programme
from domain.values import Actor
from projections.access_log import AccessLogModel
from projections.directory import DirectoryModel
from projections.read_model import ReadModel
from projections.report_facts import ReportModel
from projections.summary import SummaryModel
from projections.tables import Row, Rows
from projections.timeline import TimelineModel
from tests.support import T0
from tests.unit import builders as given
from tests.unit.builders import COORDINATOR, MENTEE, MENTEE_ID, MENTOR, MENTOR_ID, PROGRAMME_ID, TZ

MEETING, NEXT = UUID(int=11), UUID(int=12)
OBJECTIVE, RECONCILED_DISPUTE, OPEN_DISPUTE = UUID(int=21), UUID(int=31), UUID(int=32)
OPERATOR = Actor(None, "operator")


def programme() -> list[Any]:
    """The programme's launch (America/Toronto, meetings of 60 to 90 minutes)."""
    return list(Programme.launch(PROGRAMME_ID, "Programme", OPERATOR, T0, time_zone=TZ).collect_events())


def a_whole_relationship() -> list[Any]:
    """A mentorship from draft to end: an objective, signatures, a meeting held with its agenda, two disputes."""
    m = Mentorship.draft(UUID(int=1), PROGRAMME_ID, MENTOR_ID, MENTEE_ID, given.START, 10, TZ, COORDINATOR, T0)
    m.add_objective(OBJECTIVE, "Speak at a meetup", MENTEE, T0)
    m.sign(MENTOR, T0)
    m.sign(MENTEE, T0)
    m.schedule_meeting(MEETING, given.at(days=2), MENTOR, T0)
    m.submit_agenda(MEETING, "Goals", MENTEE, T0)
    m.hold_meeting(MEETING, None, 75, None, (NEXT, given.at(days=30)), MENTOR, given.at(days=2, hours=2))
    m.cancel_meeting(NEXT, True, None, MENTEE, given.at(days=3))
    m.assess_objective(OBJECTIVE, "attained", MENTEE, given.at(days=3))
    m.report_satisfaction(4, None, MENTOR, given.at(days=3))
    m.raise_dispute(RECONCILED_DISPUTE, "A late start", MENTEE, given.at(days=4))
    m.consult_coordinator("dispute", RECONCILED_DISPUTE, "reconciled", None, COORDINATOR, given.at(days=5))
    m.raise_dispute(OPEN_DISPUTE, "Another one", MENTOR, given.at(days=6))
    m.end("completed", None, MENTEE, given.on_local_date(given.PLANNED_END))
    return list(m.collect_events())


def folded(model: ReadModel, events: list[Any]) -> dict[str, list[Row]]:
    """Fold the events at positions 1, 2, ... into rows no store holds; the rows each table would get."""
    rows = Rows(lambda table, key: None)
    for position, event in enumerate(events, start=1):
        model.apply(event, position, rows)
    return {table.name: upserts for table, upserts, _ in rows.changes()}


def test_the_summary_folds_a_whole_relationship_into_one_row() -> None:
    # Given a programme and a whole relationship, When the summary folds them
    row = folded(SummaryModel(), programme() + a_whole_relationship())["summary_mentorship"][0]
    # Then its one row holds the process facts, the disputes as their lifecycle leaves them
    assert {name: row[name] for name in (
        "status", "signed_on", "ended_on", "end_reason", "ended_by_role", "meetings_held", "meetings_cancelled",
        "cancelled_by_mentee", "cancelled_unavoidable", "minutes_total", "meetings_within_target",
        "agendas_in_advance", "objectives_total", "objectives_attained", "satisfaction_mentor", "disputes_raised",
        "disputes_open", "disputes_settled", "disputes_to_coordinator", "consultations", "version",
    )} == {
        "status": "ended", "signed_on": "2026-01-05", "ended_on": "2026-11-01", "end_reason": "completed",
        "ended_by_role": "mentee", "meetings_held": 1, "meetings_cancelled": 1, "cancelled_by_mentee": 1,
        "cancelled_unavoidable": 1, "minutes_total": 75, "meetings_within_target": 1, "agendas_in_advance": 1,
        "objectives_total": 1, "objectives_attained": 1, "satisfaction_mentor": 4, "disputes_raised": 2,
        "disputes_open": 0, "disputes_settled": 0, "disputes_to_coordinator": 1, "consultations": 1, "version": 16,
    }  # fmt: skip
    assert row["facts"]["disputes"] == {str(RECONCILED_DISPUTE): "reconciled", str(OPEN_DISPUTE): "closed_by_end"}
    assert row["facts"]["open"] == {}


def test_the_worklist_copy_holds_a_mentorship_while_it_awaits_signatures_or_is_active() -> None:
    history = programme() + a_whole_relationship()
    # Given the relationship drafted and signed, Then its narrow copy is there; once ended, it is gone
    drafted = folded(SummaryModel(), history[:6])["summary_open"]
    assert [(row["id"], row["status"]) for row in drafted] == [(str(UUID(int=1)), "active")]
    assert set(drafted[0]) == {name for name, _ in SummaryModel.tables[2].columns}
    assert folded(SummaryModel(), history)["summary_open"] == []


def test_the_report_folds_each_event_of_interest_into_its_state_and_its_programmes_counters() -> None:
    # Given the same history, When the report's model folds it
    tables = folded(ReportModel(), programme() + a_whole_relationship())
    # Then the mentorship keeps its dated facts, each classified when folded
    [mentorship] = tables["report_mentorship"]
    assert (mentorship["signed_on"], mentorship["completed"], mentorship["length_months"]) == ("2026-01-05", 1, 10)
    assert mentorship["held"] == [["2026-01-07", 24312]]
    assert mentorship["scores"] == {"mentor": [["2026-01-08", 4]]}
    assert mentorship["objectives"] == {str(OBJECTIVE): [["2026-01-05", "not_started"], ["2026-01-08", "attained"]]}
    assert mentorship["consultations"] == {str(RECONCILED_DISPUTE): ["2026-01-10"]}
    # And its programme's counters count each event on its day, each status +1 from its first day, -1 from its last
    counts = {
        (c["metric"], c["since"], c["bound"], c["category"]): (c["n"], c["total"])
        for c in tables["report_count"]
        if not c["metric"].endswith("/month")
    }
    assert {key: value for key, value in counts.items() if value != (0, 0)} == {
        ("objective", "2026-01-05", "9999-12-31", "not_started"): (1, 0),
        ("active", "2026-01-05", "9999-12-31", ""): (1, 0),
        ("held", "2026-01-07", "9999-12-31", ""): (1, 75),
        ("within_target", "2026-01-07", "9999-12-31", ""): (1, 0),
        ("with_agenda", "2026-01-07", "9999-12-31", ""): (1, 0),
        ("meeting_month", "2026-01-07", "9999-12-31", ""): (1, 0),
        ("cancelled", "2026-01-08", "9999-12-31", ""): (1, 0),
        ("objective", "2026-01-08", "9999-12-31", "not_started"): (-1, 0),
        ("objective", "2026-01-08", "9999-12-31", "attained"): (1, 0),
        ("satisfaction", "2026-01-08", "9999-12-31", "mentor"): (1, 4),
        ("raised", "2026-01-09", "9999-12-31", ""): (1, 0),
        ("consulted", "2026-01-10", "", ""): (1, 0),
        ("raised", "2026-01-11", "9999-12-31", ""): (1, 0),
        ("active", "2026-11-01", "9999-12-31", ""): (-1, 0),
        ("completed", "2026-11-01", "9999-12-31", ""): (1, 0),
        ("length", "2026-11-01", "9999-12-31", "10"): (1, 0),
    }
    # And day counters roll up by month; the span of active months is +1 in January, -1 after November
    held = [(c["since"], c["n"], c["total"]) for c in tables["report_count"] if c["metric"] == "held/month"]
    assert held == [("2026-01", 1, 75)]
    months = [(s["month"], s["n"]) for s in tables["report_span_month"] if s["n"]]
    assert months == [(2026 * 12, 1), (2026 * 12 + 11, -1)]


def test_the_timeline_has_one_entry_per_event_with_its_type_and_actor_and_nothing_of_its_own() -> None:
    entries = folded(TimelineModel(), a_whole_relationship())["timeline_entry"]
    assert [e["type"] for e in entries][:4] == ["ConventionDrafted", "ObjectiveAdded", "PartySigned", "PartySigned"]
    assert len(entries) == 16 and entries[1]["actor_role"] == "mentee" and entries[1]["version"] == 2
    assert set(entries[0]) == {
        "position", "aggregate_id", "version", "type", "occurred_at", "recorded_at", "actor_id", "actor_role",
    }  # fmt: skip


def participant_history() -> list[Any]:
    """A mentee registered, invited, who redeemed the code, then was deactivated."""
    p = Participant.register(MENTEE_ID, PROGRAMME_ID, "mentee", "Ana", "ana@example.org", "fr", COORDINATOR, T0)
    p.issue_invitation(UUID(int=41), T0 + timedelta(days=7), COORDINATOR, T0)
    p.redeem_invitation(UUID(int=41), UUID(int=42), T0 + timedelta(days=30), MENTEE, given.at(hours=1))
    p.deactivate(COORDINATOR, given.at(days=1))
    return list(p.collect_events())


def test_the_directory_registers_a_participant_and_deactivation_makes_them_inactive() -> None:
    rows = folded(DirectoryModel(), participant_history())["directory_participant"]
    assert rows == [{"id": str(MENTEE_ID), "programme_id": str(PROGRAMME_ID), "role": "mentee", "active": 0,
                     "position": 1}]  # fmt: skip


def test_the_access_log_lists_invitations_redemptions_deactivations_and_recorded_reads() -> None:
    # Given a participant's history and then a journal read by the mentor
    journal = AccessAction.JOURNAL_READ
    read = AccessRecord.record(UUID(int=51), PROGRAMME_ID, journal, UUID(int=1), MENTOR, given.at(days=2))
    entries = folded(AccessLogModel(), [*participant_history(), *read.collect_events()])["access_entry"]
    # Then one entry per access, with its action, actor and subject, and no name or e-mail
    assert [(e["position"], e["action"], e["actor_role"], e["subject_id"]) for e in entries] == [
        (2, "invitation_issued", "coordinator", str(MENTEE_ID)),
        (3, "invitation_redeemed", "mentee", str(MENTEE_ID)),
        (4, "participant_deactivated", "coordinator", str(MENTEE_ID)),
        (5, "journal_read", "mentor", str(UUID(int=1))),
    ]
    assert all(entry["programme_id"] == str(PROGRAMME_ID) for entry in entries)
    assert "Ana" not in repr(entries) and "ana@example.org" not in repr(entries)


def test_the_timeline_entry_of_each_participant_event_is_who_did_what_kind_of_thing_and_when() -> None:
    # Given a participant's history, When the timeline folds it
    entries = folded(TimelineModel(), participant_history())["timeline_entry"]
    # Then each event is one entry with its type, times, actor and version: no name, e-mail or code
    coordinator, mentee = str(COORDINATOR.id), str(MENTEE_ID)
    day_1, hour_1 = "2026-01-05T15:00:00.000000+00:00", "2026-01-05T16:00:00.000000+00:00"
    day_2 = "2026-01-06T15:00:00.000000+00:00"
    assert entries == [
        {"position": 1, "aggregate_id": mentee, "version": 1, "type": "ParticipantRegistered",
         "occurred_at": day_1, "recorded_at": day_1, "actor_id": coordinator, "actor_role": "coordinator"},
        {"position": 2, "aggregate_id": mentee, "version": 2, "type": "InvitationIssued",
         "occurred_at": day_1, "recorded_at": day_1, "actor_id": coordinator, "actor_role": "coordinator"},
        {"position": 3, "aggregate_id": mentee, "version": 3, "type": "InvitationRedeemed",
         "occurred_at": hour_1, "recorded_at": hour_1, "actor_id": mentee, "actor_role": "mentee"},
        {"position": 4, "aggregate_id": mentee, "version": 4, "type": "ParticipantDeactivated",
         "occurred_at": day_2, "recorded_at": day_2, "actor_id": coordinator, "actor_role": "coordinator"},
    ]  # fmt: skip


def test_the_summary_keeps_each_programmes_time_zone_meeting_target_and_thresholds() -> None:
    # Given a programme launched with the default thresholds, When the summary folds its launch
    rows = folded(SummaryModel(), programme())["summary_programme_named_settings"]
    # Then one row holds what its mentorships' rows, the worklist, the programme's settings and the web pages need
    assert rows == [{
        "id": str(PROGRAMME_ID), "name": "Programme", "time_zone": TZ, "default_months": 10, "meeting_min": 60,
        "meeting_max": 90,
        "thresholds": {"awaiting_signatures_days": 14, "cancellations_in_a_row": 2, "ends_within_days": 30,
                       "low_satisfaction_max": 2, "no_meeting_days": 45, "outcome_missing_days": 2},
        "version": 1,
    }]  # fmt: skip


def test_a_settings_change_leaves_the_summary_with_the_settings_in_force() -> None:
    # Given a launched programme, When a coordinator changes its zone, its target's minimum and one threshold
    launched = Programme.launch(PROGRAMME_ID, "Programme", OPERATOR, T0, time_zone=TZ)
    launched.change_settings(
        {"time_zone": "Asia/Tokyo", "meeting_minutes_min": 45, "thresholds": {"no_meeting_days": 20}}, COORDINATOR, T0
    )
    row = folded(SummaryModel(), list(launched.collect_events()))["summary_programme_named_settings"][0]
    # Then the row holds the new values, the unchanged ones, and the programme's version
    assert (row["time_zone"], row["meeting_min"], row["meeting_max"], row["version"]) == ("Asia/Tokyo", 45, 90, 2)
    assert row["thresholds"]["no_meeting_days"] == 20 and row["thresholds"]["ends_within_days"] == 30


def journal_read() -> list[Any]:
    """The mentor read a mentorship's journal (an access record, no mentorship or participant event)."""
    read = AccessRecord.record(UUID(int=51), PROGRAMME_ID, AccessAction.JOURNAL_READ, UUID(int=1), MENTOR, T0)
    return list(read.collect_events())


@pytest.mark.parametrize(
    ("model", "ignored"),
    [
        (SummaryModel(), lambda: participant_history() + journal_read()),
        (ReportModel(), lambda: participant_history() + journal_read()),
        (TimelineModel(), journal_read),
        (DirectoryModel(), lambda: programme() + a_whole_relationship() + journal_read()),
        (AccessLogModel(), lambda: programme() + a_whole_relationship()),
    ],
    ids=["summary", "report", "timeline", "directory", "access_log"],
)
def test_a_model_ignores_the_events_it_does_not_use(model: ReadModel, ignored: Callable[[], list[Any]]) -> None:
    # Given events of aggregates a model does not read, When it folds them, Then it writes no row at all
    rows = Rows(lambda table, key: None)
    for position, event in enumerate(ignored(), start=1):
        model.apply(event, position, rows)
    assert rows.changes() == []
