"""The read side's figures, computed by hand: six conventions over four months, through the HTTP API, on both stores.

The programme runs in America/Toronto (EST -05:00 until 2026-03-08, EDT -04:00 after). Every clock time below is
written in local time, so the local date of each fact is the date written. The story, by mentorship:

- A (2026-01-05, 2 months, planned end 03-05): three meetings held (75, 45 and 90 min; agendas for the first two,
  the second one rescheduled), ended on 03-10 with reason "other" - completed, since it ends after its planned end.
- B (2026-01-01, 10 months): one meeting held on 01-31 at 22:30 local (already 02-01 in UTC), one cancelled by the
  mentee; a dispute settled and one left open (closed by the end); ended early on 02-20 after an early-end
  consultation; a disclosure and an abandoned objective after the end; its mentee is deactivated.
- C (2026-02-01): one signature, withdrawn on 04-10.
- D (2026-05-01): drafted on 04-02, signed by its mentee only.
- E (2026-01-05, 4 months, planned end 05-05): one meeting held on 01-20, then two cancellations (by the mentor,
  unavoidable; by the mentee) and a meeting of 03-16 never recorded; a dispute consulted twice then reconciled,
  another consulted and left open; the mentee's latest score is 2.
- F (2026-01-10, 3 months, planned end 04-10): meetings held 01-12 (26 min, agenda), 03-14 and 03-30 (the last one
  recorded on 04-15); two February meetings cancelled on 04-15, after those held; the next one is on 04-28.

Today is 2026-04-20, 10:00 local. The report window is [2026-02-01, 2026-04-01).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.app import create_app
from bootstrap.settings import Settings
from tests.api.conftest import mailed
from tests.support import FakeClock, ports

NOW = "2026-04-20T10:00:00-04:00"
WINDOW = "from=2026-02-01&to=2026-04-01"


def bearer(token: str) -> dict[str, str]:
    """The Authorization header for a token."""
    return {"Authorization": f"Bearer {token}"}


def at(clock: FakeClock, local_time: str) -> None:
    """Set the clock to a time with its offset."""
    clock.now = datetime.fromisoformat(local_time)


@dataclass(frozen=True)
class Pair:
    """A mentorship and its two parties."""

    id: str
    mentor_id: str
    mentee_id: str
    mentor: dict[str, str]
    mentee: dict[str, str]


class Api:
    """The commands of contract v1 this scenario uses, each expecting a 201."""

    def __init__(self, client: TestClient, programme_id: str, coordinator: dict[str, str]) -> None:
        self.client = client
        self.programme_id = programme_id
        self.coordinator = coordinator

    def post(self, path: str, who: dict[str, str], body: dict[str, Any] | None = None) -> dict[str, Any]:
        """POST a command and answer the 201's body."""
        response = self.client.post(path, headers=who, json=body)
        assert response.status_code == 201, (path, response.text)
        answer: dict[str, Any] = response.json()
        return answer

    def enrol(self, role: str, name: str) -> tuple[str, dict[str, str]]:
        """Register, invite and redeem: the participant's id and auth header."""
        body = {"role": role, "name": name, "email": f"{name.lower()}@example.org", "language": "fr"}
        person = self.post(f"/v1/programmes/{self.programme_id}/participants", self.coordinator, body)["id"]
        self.post(f"/v1/participants/{person}/invitations", self.coordinator)
        code = mailed(self.client, body["email"])
        token = self.post("/v1/invitations/redemption", {}, {"code": code})["token"]
        return str(person), bearer(str(token))

    def draft(self, letter: str, starts_on: str, months: int) -> Pair:
        """Enrol a new mentor and mentee and draft their convention."""
        mentor_id, mentor = self.enrol("mentor", f"Mentor{letter}")
        mentee_id, mentee = self.enrol("mentee", f"Mentee{letter}")
        return self.draft_for(mentor_id, mentor, mentee_id, mentee, starts_on, months)

    def draft_for(
        self,
        mentor_id: str,
        mentor: dict[str, str],
        mentee_id: str,
        mentee: dict[str, str],
        starts_on: str,
        months: int,
    ) -> Pair:
        """Draft a convention for participants already enrolled."""
        body = {"mentor_id": mentor_id, "mentee_id": mentee_id, "starts_on": starts_on, "months": months}
        drafted = self.post(f"/v1/programmes/{self.programme_id}/mentorships", self.coordinator, body)
        return Pair(str(drafted["id"]), mentor_id, mentee_id, mentor, mentee)

    def objective(self, pair: Pair, who: dict[str, str]) -> str:
        return str(self.post(f"/v1/mentorships/{pair.id}/objectives", who, {"text": "An objective"})["objective_id"])

    def sign(self, pair: Pair, who: dict[str, str]) -> str:
        return str(self.post(f"/v1/mentorships/{pair.id}/signatures", who)["status"])

    def assess(self, pair: Pair, who: dict[str, str], objective_id: str, status: str) -> None:
        self.post(f"/v1/mentorships/{pair.id}/objectives/{objective_id}/assessments", who, {"status": status})

    def schedule(self, pair: Pair, who: dict[str, str], when: str) -> str:
        return str(self.post(f"/v1/mentorships/{pair.id}/meetings", who, {"scheduled_for": when})["meeting_id"])

    def reschedule(self, pair: Pair, who: dict[str, str], meeting_id: str, when: str) -> None:
        self.post(f"/v1/mentorships/{pair.id}/meetings/{meeting_id}/reschedule", who, {"scheduled_for": when})

    def agenda(self, pair: Pair, meeting_id: str) -> None:
        self.post(f"/v1/mentorships/{pair.id}/meetings/{meeting_id}/agenda", pair.mentee, {"agenda": "Topics"})

    def hold(
        self,
        pair: Pair,
        who: dict[str, str],
        meeting_id: str,
        minutes: int,
        next_for: str | None = None,
        held_at: str | None = None,
    ) -> str | None:
        body: dict[str, Any] = {"duration_minutes": minutes, "notes": "Notes"}
        if next_for is not None:
            body["next_meeting_for"] = next_for
        if held_at is not None:
            body["held_at"] = held_at
        held = self.post(f"/v1/mentorships/{pair.id}/meetings/{meeting_id}/held", who, body)
        return None if held["next_meeting_id"] is None else str(held["next_meeting_id"])

    def cancel(self, pair: Pair, who: dict[str, str], meeting_id: str, unavoidable: bool) -> None:
        self.post(f"/v1/mentorships/{pair.id}/meetings/{meeting_id}/cancellation", who, {"unavoidable": unavoidable})

    def satisfaction(self, pair: Pair, who: dict[str, str], score: int) -> None:
        self.post(f"/v1/mentorships/{pair.id}/satisfaction", who, {"score": score, "comment": "A comment"})

    def dispute(self, pair: Pair, who: dict[str, str]) -> str:
        return str(self.post(f"/v1/mentorships/{pair.id}/disputes", who, {"summary": "A dispute"})["dispute_id"])

    def settle(self, pair: Pair, who: dict[str, str], dispute_id: str) -> None:
        self.post(f"/v1/mentorships/{pair.id}/disputes/{dispute_id}/settlement", who)

    def consult(self, pair: Pair, topic: str, outcome: str, dispute_id: str | None = None) -> None:
        body: dict[str, Any] = {"topic": topic, "outcome": outcome, "note": "A note"}
        if dispute_id is not None:
            body["dispute_id"] = dispute_id
        self.post(f"/v1/mentorships/{pair.id}/consultations", self.coordinator, body)

    def end(self, pair: Pair, who: dict[str, str], reason: str) -> None:
        self.post(f"/v1/mentorships/{pair.id}/end", who, {"reason": reason})


@dataclass(frozen=True)
class Scenario:
    """The programme and its six mentorships, built through the API."""

    programme_id: str
    coordinator: dict[str, str]
    a: Pair
    b: Pair
    c: Pair
    d: Pair
    e: Pair
    f: Pair


def build(client: TestClient, app: FastAPI, clock: FakeClock) -> Scenario:
    """Play the story of the module's docstring, in time order."""
    # 2026-01-05 10:00 (the fake clock's start): the operator launches the programme; A, B, C, E and F are drafted.
    at(clock, "2026-01-05T10:00:00-05:00")
    launched = app.state.service.participants.create_programme("Programme", "Coordinator", None)
    api = Api(client, launched["programme_id"], bearer(launched["coordinator_token"]))
    a = api.draft("A", "2026-01-05", 2)
    a1, a2 = api.objective(a, a.mentee), api.objective(a, a.mentor)
    assert (api.sign(a, a.mentor), api.sign(a, a.mentee)) == ("awaiting_signatures", "active")
    a_m1 = api.schedule(a, a.mentee, "2026-01-15T18:00:00-05:00")
    api.agenda(a, a_m1)
    b = api.draft("B", "2026-01-01", 10)
    b1 = api.objective(b, b.mentee)
    api.sign(b, b.mentor)
    api.sign(b, b.mentee)
    b_m1 = api.schedule(b, b.mentor, "2026-01-31T22:30:00-05:00")  # local 01-31, UTC 02-01
    c = api.draft("C", "2026-02-01", 10)
    api.objective(c, c.mentee)
    api.sign(c, c.mentor)
    e = api.draft("E", "2026-01-05", 4)
    e1, e2 = api.objective(e, e.mentee), api.objective(e, e.mentor)
    api.sign(e, e.mentor)
    api.sign(e, e.mentee)
    e_m1 = api.schedule(e, e.mentor, "2026-01-20T18:00:00-05:00")
    f = api.draft("F", "2026-01-10", 3)
    f1 = api.objective(f, f.mentor)
    api.sign(f, f.mentor)
    api.sign(f, f.mentee)
    f_m1 = api.schedule(f, f.mentee, "2026-01-12T18:00:00-05:00")
    api.agenda(f, f_m1)
    d_mentor_id, d_mentor = api.enrol("mentor", "MentorD")  # invitations last 7 days: enrol D's pair now
    d_mentee_id, d_mentee = api.enrol("mentee", "MenteeD")

    # 01-13: F's first meeting (26 min, with its agenda); two more planned in February.
    at(clock, "2026-01-13T10:00:00-05:00")
    f_m2 = api.hold(f, f.mentor, f_m1, 26, next_for="2026-02-10T18:00:00-05:00")
    assert f_m2 is not None
    f_m3 = api.schedule(f, f.mentee, "2026-02-24T18:00:00-05:00")
    api.satisfaction(f, f.mentee, 5)

    # 01-16: A's first meeting (75 min, agenda).
    at(clock, "2026-01-16T10:00:00-05:00")
    a_m2 = api.hold(a, a.mentor, a_m1, 75, next_for="2026-02-12T18:00:00-05:00")
    assert a_m2 is not None
    api.satisfaction(a, a.mentor, 5)
    api.satisfaction(a, a.mentee, 4)

    # 01-21: E's only meeting, held an hour after its time (60 min).
    at(clock, "2026-01-21T10:00:00-05:00")
    e_m2 = api.hold(e, e.mentee, e_m1, 60, next_for="2026-02-17T18:00:00-05:00", held_at="2026-01-20T19:00:00-05:00")
    assert e_m2 is not None
    api.satisfaction(e, e.mentee, 4)
    api.assess(e, e.mentor, e1, "in_progress")

    # 02-02 and 02-03: B's meeting of 01-31 recorded (120 min); a dispute raised and settled.
    at(clock, "2026-02-02T10:00:00-05:00")
    b_m2 = api.hold(b, b.mentee, b_m1, 120, next_for="2026-02-20T18:00:00-05:00")
    assert b_m2 is not None
    b_d1 = api.dispute(b, b.mentee)
    at(clock, "2026-02-03T10:00:00-05:00")
    api.settle(b, b.mentor, b_d1)

    # 02-10: A's agenda, then its meeting moves a day; B's mentee cancels (avoidable), a second dispute, low scores.
    at(clock, "2026-02-10T10:00:00-05:00")
    api.agenda(a, a_m2)
    api.reschedule(a, a.mentor, a_m2, "2026-02-13T18:00:00-05:00")
    api.cancel(b, b.mentee, b_m2, unavoidable=False)
    api.dispute(b, b.mentor)
    api.satisfaction(b, b.mentor, 3)
    api.satisfaction(b, b.mentee, 2)

    # 02-14: A's second meeting (45 min, agenda); objectives assessed.
    at(clock, "2026-02-14T10:00:00-05:00")
    a_m3 = api.hold(a, a.mentee, a_m2, 45, next_for="2026-03-04T18:00:00-05:00")
    assert a_m3 is not None
    api.assess(a, a.mentee, a1, "attained")
    api.assess(a, a.mentor, a2, "in_progress")

    # 02-16: E's mentor cancels (unavoidable); another meeting planned; a dispute.
    at(clock, "2026-02-16T10:00:00-05:00")
    api.cancel(e, e.mentor, e_m2, unavoidable=True)
    e_m3 = api.schedule(e, e.mentee, "2026-03-03T18:00:00-05:00")
    e_d1 = api.dispute(e, e.mentee)
    api.satisfaction(e, e.mentor, 3)

    # 02-20: B ends early after consulting the coordinator; E's dispute goes to the coordinator, not reconciled.
    at(clock, "2026-02-20T10:00:00-05:00")
    api.consult(b, "early_end", "ending_agreed")
    api.end(b, b.mentee, "relational_difficulties")
    api.consult(e, "dispute", "not_reconciled", e_d1)

    # 02-21: after B's end, a disclosure and an assessment; B's mentee is deactivated.
    at(clock, "2026-02-21T10:00:00-05:00")
    api.post(f"/v1/mentorships/{b.id}/disclosures", b.mentor, {"basis": "required_by_law", "authority": "police"})
    api.assess(b, b.mentor, b1, "abandoned")
    api.post(f"/v1/participants/{b.mentee_id}/deactivation", api.coordinator)

    # 03-02: E's mentee cancels (avoidable); a meeting for 03-16 is planned (and never recorded); the dispute is
    # reconciled at a second consultation; a low score.
    at(clock, "2026-03-02T10:00:00-05:00")
    api.cancel(e, e.mentee, e_m3, unavoidable=False)
    api.schedule(e, e.mentor, "2026-03-16T18:00:00-04:00")
    api.consult(e, "dispute", "reconciled", e_d1)
    api.satisfaction(e, e.mentee, 2)
    api.assess(e, e.mentor, e2, "attained")

    # 03-05: A's third meeting, of 03-04 (90 min, no agenda).
    at(clock, "2026-03-05T09:00:00-05:00")
    assert api.hold(a, a.mentor, a_m3, 90) is None

    # 03-10 (EDT from now on): A ends after its planned end (03-05), with reason "other"; a score after the end.
    at(clock, "2026-03-10T10:00:00-04:00")
    api.end(a, a.mentor, "other")
    api.satisfaction(a, a.mentee, 5)

    # 03-16: F records the meeting of 03-14 late (80 min) and plans the next one for 03-30.
    at(clock, "2026-03-16T10:00:00-04:00")
    f_m4 = api.schedule(f, f.mentee, "2026-03-14T18:00:00-04:00")
    f_m5 = api.hold(f, f.mentor, f_m4, 80, next_for="2026-03-30T18:00:00-04:00")
    assert f_m5 is not None
    api.satisfaction(f, f.mentor, 4)
    api.assess(f, f.mentor, f1, "in_progress")

    # 04-02: D is drafted; only its mentee signs.
    at(clock, "2026-04-02T10:00:00-04:00")
    d = api.draft_for(d_mentor_id, d_mentor, d_mentee_id, d_mentee, "2026-05-01", 10)
    api.objective(d, d.mentor)
    assert api.sign(d, d.mentee) == "awaiting_signatures"

    # 04-05 and 04-06: E's second dispute, consulted and not reconciled; a score; an objective abandoned.
    at(clock, "2026-04-05T10:00:00-04:00")
    e_d2 = api.dispute(e, e.mentor)
    api.satisfaction(e, e.mentor, 4)
    api.assess(e, e.mentee, e1, "abandoned")
    at(clock, "2026-04-06T10:00:00-04:00")
    api.consult(e, "dispute", "not_reconciled", e_d2)

    # 04-10: C is withdrawn.
    at(clock, "2026-04-10T10:00:00-04:00")
    api.post(f"/v1/mentorships/{c.id}/withdrawal", api.coordinator)

    # 04-15: F's meeting of 03-30 recorded (70 min), next on 04-28; then its two February meetings cancelled;
    # A's second objective attained after the end.
    at(clock, "2026-04-15T10:00:00-04:00")
    assert api.hold(f, f.mentor, f_m5, 70, next_for="2026-04-28T18:00:00-04:00") is not None
    api.cancel(f, f.mentor, f_m2, unavoidable=False)
    api.cancel(f, f.mentee, f_m3, unavoidable=True)
    api.satisfaction(f, f.mentee, 3)
    api.assess(a, a.mentor, a2, "attained")

    at(clock, NOW)
    return Scenario(launched["programme_id"], api.coordinator, a, b, c, d, e, f)


def ids(pair: Pair, programme_id: str) -> dict[str, str]:
    """The id fields of a summary."""
    return {"id": pair.id, "programme_id": programme_id, "mentor_id": pair.mentor_id, "mentee_id": pair.mentee_id}


def test_summaries_reports_and_worklist_match_hand_computed_figures(settings: Settings, clock: FakeClock) -> None:
    app = create_app(settings, ports(clock, token_days=365))
    with TestClient(app) as client:
        # Given the six conventions' four months of history, and today 2026-04-20.
        s = build(client, app, clock)
        pid, coordinator = s.programme_id, s.coordinator
        after = app.state.service.store.position()

        # When the coordinator reads each summary (waiting for the projections to include every event).
        def summary(pair: Pair) -> dict[str, Any]:
            response = client.get(f"/v1/mentorships/{pair.id}?after={after}", headers=coordinator)
            assert response.status_code == 200, response.text
            body: dict[str, Any] = response.json()
            return body

        # Then A: completed (ended 03-10 >= planned 03-05); 2 whole months 01-05 -> 03-10; minutes 75+45+90 = 210,
        # mean 70; 75 and 90 within 60-90; agendas for the first two; 03-04 -> 04-20 = 27+20 = 47 days;
        # 22 events (draft, 2 objectives, 2+1 signatures, 3 held + 3 scheduled, 2 agendas, 1 reschedule, 3 scores,
        # 3 assessments, end).
        assert summary(s.a) == {
            **ids(s.a, pid), "status": "ended", "starts_on": "2026-01-05", "planned_end_on": "2026-03-05",
            "months_elapsed": 2, "meetings_held": 3, "meetings_cancelled": 0, "cancelled_by_mentor": 0,
            "cancelled_by_mentee": 0, "cancelled_unavoidable": 0, "minutes_total": 210, "minutes_mean": 70.0,
            "meetings_within_target": 2, "agendas_in_advance": 2, "last_meeting_on": "2026-03-04",
            "next_meeting_for": None, "days_since_last_meeting": 47, "objectives_total": 2, "objectives_attained": 2,
            "satisfaction_mentor": 5, "satisfaction_mentee": 5, "disputes_raised": 0, "disputes_open": 0,
            "disputes_settled": 0, "disputes_to_coordinator": 0, "consultations": 0, "ended_on": "2026-03-10",
            "ended_early": False, "end_reason": "other", "ended_by_role": "mentor", "version": 22,
        }  # fmt: skip
        # B: 1 whole month 01-01 -> 02-20; its meeting's local date is 01-31; 01-31 -> 04-20 = 28+31+20 = 79 days;
        # two disputes: one settled, the other closed by the end (neither open nor settled); 18 events.
        assert summary(s.b) == {
            **ids(s.b, pid), "status": "ended", "starts_on": "2026-01-01", "planned_end_on": "2026-11-01",
            "months_elapsed": 1, "meetings_held": 1, "meetings_cancelled": 1, "cancelled_by_mentor": 0,
            "cancelled_by_mentee": 1, "cancelled_unavoidable": 0, "minutes_total": 120, "minutes_mean": 120.0,
            "meetings_within_target": 0, "agendas_in_advance": 0, "last_meeting_on": "2026-01-31",
            "next_meeting_for": None, "days_since_last_meeting": 79, "objectives_total": 1, "objectives_attained": 0,
            "satisfaction_mentor": 3, "satisfaction_mentee": 2, "disputes_raised": 2, "disputes_open": 0,
            "disputes_settled": 1, "disputes_to_coordinator": 0, "consultations": 1, "ended_on": "2026-02-20",
            "ended_early": True, "end_reason": "relational_difficulties", "ended_by_role": "mentee", "version": 18,
        }  # fmt: skip
        # C: withdrawn 04-10, 2 whole months after 02-01; no meeting: 02-01 -> 04-20 = 28+31+19 = 78 days; 4 events.
        assert summary(s.c) == {
            **ids(s.c, pid), "status": "withdrawn", "starts_on": "2026-02-01", "planned_end_on": "2026-12-01",
            "months_elapsed": 2, "meetings_held": 0, "meetings_cancelled": 0, "cancelled_by_mentor": 0,
            "cancelled_by_mentee": 0, "cancelled_unavoidable": 0, "minutes_total": 0, "minutes_mean": None,
            "meetings_within_target": 0, "agendas_in_advance": 0, "last_meeting_on": None,
            "next_meeting_for": None, "days_since_last_meeting": 78, "objectives_total": 1, "objectives_attained": 0,
            "satisfaction_mentor": None, "satisfaction_mentee": None, "disputes_raised": 0, "disputes_open": 0,
            "disputes_settled": 0, "disputes_to_coordinator": 0, "consultations": 0, "ended_on": None,
            "ended_early": None, "end_reason": None, "ended_by_role": None, "version": 4,
        }  # fmt: skip
        # D: starts 05-01, after today: 0 months and 0 days (floored); 3 events.
        assert summary(s.d) == {
            **ids(s.d, pid), "status": "awaiting_signatures", "starts_on": "2026-05-01",
            "planned_end_on": "2027-03-01", "months_elapsed": 0, "meetings_held": 0, "meetings_cancelled": 0,
            "cancelled_by_mentor": 0, "cancelled_by_mentee": 0, "cancelled_unavoidable": 0, "minutes_total": 0,
            "minutes_mean": None, "meetings_within_target": 0, "agendas_in_advance": 0, "last_meeting_on": None,
            "next_meeting_for": None, "days_since_last_meeting": 0, "objectives_total": 1, "objectives_attained": 0,
            "satisfaction_mentor": None, "satisfaction_mentee": None, "disputes_raised": 0, "disputes_open": 0,
            "disputes_settled": 0, "disputes_to_coordinator": 0, "consultations": 0, "ended_on": None,
            "ended_early": None, "end_reason": None, "ended_by_role": None, "version": 3,
        }  # fmt: skip
        # E: 3 whole months 01-05 -> 04-20; 01-20 -> 04-20 = 31+28+31 = 90 days; the 03-16 meeting is past, so no
        # next one; dispute 1 reconciled (not settled), dispute 2 open, both consulted; 3 consultations; 25 events.
        assert summary(s.e) == {
            **ids(s.e, pid), "status": "active", "starts_on": "2026-01-05", "planned_end_on": "2026-05-05",
            "months_elapsed": 3, "meetings_held": 1, "meetings_cancelled": 2, "cancelled_by_mentor": 1,
            "cancelled_by_mentee": 1, "cancelled_unavoidable": 1, "minutes_total": 60, "minutes_mean": 60.0,
            "meetings_within_target": 1, "agendas_in_advance": 0, "last_meeting_on": "2026-01-20",
            "next_meeting_for": None, "days_since_last_meeting": 90, "objectives_total": 2, "objectives_attained": 1,
            "satisfaction_mentor": 4, "satisfaction_mentee": 2, "disputes_raised": 2, "disputes_open": 1,
            "disputes_settled": 0, "disputes_to_coordinator": 2, "consultations": 3, "ended_on": None,
            "ended_early": None, "end_reason": None, "ended_by_role": None, "version": 25,
        }  # fmt: skip
        # F: 3 whole months 01-10 -> 04-20; minutes 26+80+70 = 176, mean 58.67; 80 and 70 within target; next
        # meeting 04-28 18:00 EDT = 22:00 UTC; 03-30 -> 04-20 = 21 days; 21 events.
        assert summary(s.f) == {
            **ids(s.f, pid), "status": "active", "starts_on": "2026-01-10", "planned_end_on": "2026-04-10",
            "months_elapsed": 3, "meetings_held": 3, "meetings_cancelled": 2, "cancelled_by_mentor": 1,
            "cancelled_by_mentee": 1, "cancelled_unavoidable": 1, "minutes_total": 176, "minutes_mean": 58.67,
            "meetings_within_target": 2, "agendas_in_advance": 1, "last_meeting_on": "2026-03-30",
            "next_meeting_for": "2026-04-28T22:00:00Z", "days_since_last_meeting": 21, "objectives_total": 1,
            "objectives_attained": 0, "satisfaction_mentor": 4, "satisfaction_mentee": 3, "disputes_raised": 0,
            "disputes_open": 0, "disputes_settled": 0, "disputes_to_coordinator": 0, "consultations": 0,
            "ended_on": None, "ended_early": None, "end_reason": None, "ended_by_role": None, "version": 21,
        }  # fmt: skip

        # When the coordinator reads the worklist.
        worklist = client.get(f"/v1/programmes/{pid}/worklist?after={after}", headers=coordinator)

        # Then E, F and D need attention, in drafting order. E: 90 > 45 days; its only open meeting (03-16) is
        # behind now and more than 2 days past; its latest closed meetings (02-17 and 03-03) are cancellations;
        # dispute 2 is open; its mentee's score is 2; 05-05 is 15 days away. F: 04-10 is past; its cancellations
        # were recorded last but were planned before the meetings of 03-14 and 03-30, so none are "in a row".
        # D: drafted 18 > 14 days ago. A and B ended (B's score of 2 no longer counts), C was withdrawn.
        assert worklist.status_code == 200, worklist.text
        assert worklist.json() == {
            "items": [
                {
                    "mentorship_id": s.e.id,
                    "reasons": [
                        "no_meeting_45_days",
                        "no_next_meeting",
                        "two_cancellations_in_a_row",
                        "open_dispute",
                        "low_satisfaction",
                        "ends_within_30_days",
                        "meeting_outcome_missing",
                    ],
                },
                {"mentorship_id": s.f.id, "reasons": ["past_planned_end"]},
                {"mentorship_id": s.d.id, "reasons": ["awaiting_signatures_14_days"]},
            ]
        }

        # When the coordinator reads the whole report.
        whole = client.get(f"/v1/programmes/{pid}/report?after={after}", headers=coordinator)

        # Then, as of today: D awaiting, E and F active, A completed (its reason "other" is not an early end's),
        # B ended early, C withdrawn. Held: A 3 + B 1 + E 1 + F 3 = 8; cancelled: B 1 + E 2 + F 2 = 5, 5/13 = 0.385.
        # Minutes (210+120+60+176)/8 = 566/8 = 70.75; within target 2+0+1+2 = 5/8; agendas 2+1 = 3/8.
        # Active months up to April: A Jan-Mar 3, B Jan-Feb 2, E Jan-Apr 4, F Jan-Apr 4 = 13; 8/13 = 0.615;
        # months with a meeting: A Jan, Feb, Mar; B Jan; E Jan; F Jan, Mar = 7, 7/13 = 0.538.
        # Objectives (C's withdrawn one left out): a1, a2, e2 attained; b1, e1 abandoned; d1 and f1 not: 3/5.
        # Latest scores: mentors 5, 3, 4, 4 = 16/4; mentees 5, 2, 2, 3 = 12/4. Disputes: B 2 + E 2 raised, B's first
        # settled, E's two consulted. Lengths A 2, B 1: median 1.5. At risk: E, F, D.
        assert whole.status_code == 200, whole.text
        assert whole.json() == {
            "mentorships_awaiting_signatures": 1, "mentorships_active": 2, "mentorships_completed": 1,
            "mentorships_ended_early": 1, "mentorships_withdrawn": 1, "early_end_rate": 0.5,
            "early_end_reasons": {"completed": 0, "no_longer_needed": 0, "relational_difficulties": 1, "other": 0},
            "meetings_held": 8, "meetings_cancelled": 5, "cancellation_rate": 0.385, "active_mentorship_months": 13,
            "meetings_per_active_month": 0.615, "months_with_meeting_rate": 0.538, "minutes_mean": 70.75,
            "within_target_rate": 0.625, "agenda_rate": 0.375, "objective_attainment_rate": 0.6,
            "mean_satisfaction_mentors": 4.0, "mean_satisfaction_mentees": 3.0, "disputes_raised": 4,
            "disputes_settled": 1, "disputes_to_coordinator": 2, "median_length_months": 1.5, "at_risk": 3,
        }  # fmt: skip

        # When the coordinator reads the report for February and March.
        window = client.get(f"/v1/programmes/{pid}/report?{WINDOW}&after={after}", headers=coordinator)

        # Then, as of 04-01: D not drafted yet, C still awaiting (withdrawn 04-10), E and F active, A completed,
        # B ended early. Held in the window: A 02-13 (45, agenda) and 03-04 (90), F 03-14 (80) and 03-30 (70, recorded
        # on 04-15) = 4; not B's of 01-31 local (02-01 in UTC). Cancelled, by the day recorded: B 02-10, E 02-16 and
        # 03-02 = 3 (F's were recorded on 04-15), 3/7 = 0.429. Minutes 285/4 = 71.25; within 3/4; agenda 1/4.
        # Active months Feb-Mar: A 2, B 1 (Feb), E 2, F 2 = 7; 4/7 = 0.571; with a meeting: A Feb, A Mar, F Mar =
        # 3/7 = 0.429. Objectives as of 04-01: a1, e2 attained; a2, e1, f1 in progress; c1 not started (C not yet
        # withdrawn); b1 abandoned; d1 not yet added: 2/6 = 0.333. Latest scores in the window: mentors B 3, E 3,
        # F 4 = 10/3 = 3.33 (A's was in January); mentees A 5, B 2, E 2 = 9/3 = 3.0. Disputes raised: B's two and
        # E's first = 3; one settled; one consulted (twice). Lengths as of 04-01: A 2, B 1.
        assert window.status_code == 200, window.text
        assert window.json() == {
            "mentorships_awaiting_signatures": 1, "mentorships_active": 2, "mentorships_completed": 1,
            "mentorships_ended_early": 1, "mentorships_withdrawn": 0, "early_end_rate": 0.5,
            "early_end_reasons": {"completed": 0, "no_longer_needed": 0, "relational_difficulties": 1, "other": 0},
            "meetings_held": 4, "meetings_cancelled": 3, "cancellation_rate": 0.429, "active_mentorship_months": 7,
            "meetings_per_active_month": 0.571, "months_with_meeting_rate": 0.429, "minutes_mean": 71.25,
            "within_target_rate": 0.75, "agenda_rate": 0.25, "objective_attainment_rate": 0.333,
            "mean_satisfaction_mentors": 3.33, "mean_satisfaction_mentees": 3.0, "disputes_raised": 3,
            "disputes_settled": 1, "disputes_to_coordinator": 1, "median_length_months": 1.5, "at_risk": 3,
        }  # fmt: skip

        # When the same window is read as CSV.
        csv_text = client.get(f"/v1/programmes/{pid}/report?{WINDOW}&format=csv&after={after}", headers=coordinator)

        # Then one metric,value row each, maps flattened, the same figures.
        assert csv_text.status_code == 200, csv_text.text
        lines = csv_text.text.splitlines()
        assert lines[0] == "metric,value"
        for row in (
            "mentorships_withdrawn,0",
            "early_end_reasons.completed,0",
            "early_end_reasons.relational_difficulties,1",
            "meetings_held,4",
            "cancellation_rate,0.429",
            "minutes_mean,71.25",
            "objective_attainment_rate,0.333",
            "mean_satisfaction_mentors,3.33",
            "disputes_to_coordinator,1",
            "median_length_months,1.5",
            "active_mentorship_months,7",
            "at_risk,3",
        ):
            assert row in lines, row
