"""A whole convention through the HTTP API, as a real client walks it, on both stores."""

from __future__ import annotations

from collections import Counter
from typing import Any
from uuid import UUID

from fastapi.testclient import TestClient

from api.app import create_app
from bootstrap.settings import Settings
from tests.api.conftest import mailed
from tests.support import FakeClock, ports


def bearer(token: str) -> dict[str, str]:
    """The Authorization header for a token."""
    return {"Authorization": f"Bearer {token}"}


def created(response: Any) -> dict[str, Any]:
    """The body of a 201, failing with the problem otherwise."""
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    assert response.headers["etag"] == f'"{body["version"]}"'
    return body


def join(client: TestClient, coordinator: dict[str, str], programme_id: str, role: str) -> tuple[str, dict[str, str]]:
    """Register, invite and redeem: the participant's id and auth header."""
    person = created(
        client.post(
            f"/v1/programmes/{programme_id}/participants",
            headers=coordinator,
            json={"role": role, "name": f"A {role}", "email": f"{role}@example.org", "language": "fr"},
        )
    )
    invitation = created(client.post(f"/v1/participants/{person['id']}/invitations", headers=coordinator))
    assert "code" not in invitation  # the code goes to the participant's e-mail
    code = mailed(client, f"{role}@example.org")
    token = created(client.post("/v1/invitations/redemption", json={"code": code}))
    assert token["participant_id"] == person["id"]
    # The code is one-time.
    again = client.post("/v1/invitations/redemption", json={"code": code})
    assert again.status_code == 404
    return person["id"], bearer(token["token"])


def test_a_convention_from_invitation_to_its_end(settings: Settings, clock: FakeClock) -> None:
    app = create_app(settings, ports(clock, token_days=365))
    with TestClient(app) as client:
        # Given a programme launched by the operator, with its coordinator's token.
        launched = app.state.service.participants.create_programme("Programme", "Coordinator", None)
        pid, coordinator = launched["programme_id"], bearer(launched["coordinator_token"])
        assert client.get("/v1/me", headers=coordinator).json()["role"] == "coordinator"

        # The coordinator invites a mentor and a mentee, who redeem their codes.
        mentor_id, mentor = join(client, coordinator, pid, "mentor")
        mentee_id, mentee = join(client, coordinator, pid, "mentee")
        assert client.get("/v1/me", headers=mentee).json() == {
            "id": mentee_id,
            "role": "mentee",
            "programme_id": pid,
            "name": "A mentee",
        }

        # The coordinator drafts the convention; the parties set an objective and sign.
        draft = created(
            client.post(
                f"/v1/programmes/{pid}/mentorships",
                headers=coordinator,
                json={"mentor_id": mentor_id, "mentee_id": mentee_id, "starts_on": "2026-01-05", "months": 10},
            )
        )
        mid = draft["id"]
        assert draft["status"] == "awaiting_signatures"
        early = client.post(f"/v1/mentorships/{mid}/signatures", headers=mentor)
        assert early.json()["type"].endswith("objectives-required")
        objective = created(client.post(f"/v1/mentorships/{mid}/objectives", headers=mentee, json={"text": "Network"}))
        assert (
            created(client.post(f"/v1/mentorships/{mid}/signatures", headers=mentor))["status"] == "awaiting_signatures"
        )
        signed = created(client.post(f"/v1/mentorships/{mid}/signatures", headers=mentee))
        assert signed["status"] == "active"

        # A meeting: scheduled, its agenda sent in advance, held, and the next one set (R3, R4).
        meeting = created(
            client.post(
                f"/v1/mentorships/{mid}/meetings", headers=mentor, json={"scheduled_for": "2026-01-20T17:00:00-05:00"}
            )
        )
        created(
            client.post(
                f"/v1/mentorships/{mid}/meetings/{meeting['meeting_id']}/agenda", headers=mentee, json={"agenda": "CV"}
            )
        )
        clock.advance(days=16)
        held = created(
            client.post(
                f"/v1/mentorships/{mid}/meetings/{meeting['meeting_id']}/held",
                headers=mentee,
                json={"duration_minutes": 75, "notes": "went well", "next_meeting_for": "2026-02-18T17:00:00-05:00"},
            )
        )
        nxt = held["next_meeting_id"]
        created(
            client.post(
                f"/v1/mentorships/{mid}/meetings/{nxt}/reschedule",
                headers=mentor,
                json={"scheduled_for": "2026-02-19T17:00:00-05:00"},
            )
        )
        created(
            client.post(
                f"/v1/mentorships/{mid}/meetings/{nxt}/cancellation", headers=mentor, json={"unavoidable": True}
            )
        )
        created(
            client.post(
                f"/v1/mentorships/{mid}/objectives/{objective['objective_id']}/assessments",
                headers=mentor,
                json={"status": "in_progress"},
            )
        )
        created(client.post(f"/v1/mentorships/{mid}/satisfaction", headers=mentee, json={"score": 4}))

        # A dispute goes to the coordinator and is reconciled (R7).
        dispute = created(client.post(f"/v1/mentorships/{mid}/disputes", headers=mentor, json={"summary": "timing"}))
        created(
            client.post(
                f"/v1/mentorships/{mid}/consultations",
                headers=coordinator,
                json={"topic": "dispute", "dispute_id": dispute["dispute_id"], "outcome": "reconciled"},
            )
        )
        settle = client.post(f"/v1/mentorships/{mid}/disputes/{dispute['dispute_id']}/settlement", headers=mentee)
        assert settle.json()["type"].endswith("dispute-not-open")

        # Ending early needs a consultation about ending first (R8).
        clock.advance(days=60)
        refused = client.post(f"/v1/mentorships/{mid}/end", headers=mentee, json={"reason": "no_longer_needed"})
        assert refused.status_code == 409
        assert refused.json()["type"].endswith("coordinator-consultation-required")
        created(
            client.post(
                f"/v1/mentorships/{mid}/consultations",
                headers=coordinator,
                json={"topic": "early_end", "outcome": "ending_agreed", "note": "agreed"},
            )
        )
        version = client.post(f"/v1/mentorships/{mid}/satisfaction", headers=mentor, json={"score": 3}).json()[
            "version"
        ]
        ended = created(
            client.post(
                f"/v1/mentorships/{mid}/end",
                headers={**mentee, "If-Match": f'"{version}"'},
                json={"reason": "no_longer_needed"},
            )
        )
        after = client.post(
            f"/v1/mentorships/{mid}/meetings", headers=mentor, json={"scheduled_for": "2026-04-01T10:00:00Z"}
        )
        assert after.json()["type"].endswith("relationship-ended")
        created(client.post(f"/v1/mentorships/{mid}/disclosures", headers=mentor, json={"basis": "required_by_law"}))

        # Then the history holds every step, in order, with one sequence of positions.
        store = app.state.service.store
        events = list(store.events.get(UUID(mid)))
        kinds = Counter(type(e).__name__ for e in events)
        assert kinds["MeetingHeld"] == 1 and kinds["MeetingCancelled"] == 1 and kinds["RelationshipEnded"] == 1
        assert kinds["CoordinatorConsulted"] == 2 and kinds["PartySigned"] == 2 and kinds["ConventionSigned"] == 1
        assert ended["version"] == version + 1
        assert store.position() >= ended["position"]

        # The read side: a client waits for its own last write with ?after=<position>.
        disclosed = store.position()
        summary = client.get(f"/v1/mentorships/{mid}?after={disclosed}", headers=coordinator)
        assert summary.status_code == 200, summary.text
        assert summary.json() == {
            "id": mid, "programme_id": pid, "mentor_id": mentor_id, "mentee_id": mentee_id, "status": "ended",
            "starts_on": "2026-01-05", "planned_end_on": "2026-11-05", "months_elapsed": 2,
            "meetings_held": 1, "meetings_cancelled": 1, "cancelled_by_mentor": 1, "cancelled_by_mentee": 0,
            "cancelled_unavoidable": 1, "minutes_total": 75, "minutes_mean": 75.0, "meetings_within_target": 1,
            "agendas_in_advance": 1, "last_meeting_on": "2026-01-20", "next_meeting_for": None,
            "days_since_last_meeting": 61, "objectives_total": 1, "objectives_attained": 0,
            "satisfaction_mentor": 3, "satisfaction_mentee": 4, "disputes_raised": 1, "disputes_open": 0,
            "disputes_settled": 0, "disputes_to_coordinator": 1, "consultations": 2, "ended_on": "2026-03-22",
            "ended_early": True, "end_reason": "no_longer_needed", "ended_by_role": "mentee",
            "version": ended["version"] + 1,
        }  # fmt: skip
        history = client.get(f"/v1/mentorships/{mid}/history?after={disclosed}", headers=coordinator).json()["items"]
        assert [item["type"] for item in history] == [type(e).__name__ for e in events]
        assert [item["version"] for item in history] == list(range(1, len(events) + 1))

        # The parties read their journal, texts included; the coordinator may not.
        journal = client.get(f"/v1/mentorships/{mid}/journal", headers=mentor).json()
        assert [m["status"] for m in journal["meetings"]] == ["held", "cancelled"]
        assert journal["meetings"][0]["notes"] == "went well" and journal["meetings"][0]["agenda"] == "CV"
        assert journal["objectives"] == [{"id": objective["objective_id"], "text": "Network", "status": "in_progress"}]
        assert journal["disputes"] == [{"id": dispute["dispute_id"], "status": "reconciled", "summary": "timing"}]
        assert [entry["text"] for entry in journal["entries"]] == ["agreed"]
        assert client.get(f"/v1/mentorships/{mid}/journal", headers=coordinator).status_code == 403

        # The coordinator's report, as JSON and CSV, and an empty worklist (the convention ended).
        report = client.get(f"/v1/programmes/{pid}/report?after={disclosed}", headers=coordinator).json()
        assert report == {
            "mentorships_awaiting_signatures": 0, "mentorships_active": 0, "mentorships_completed": 0,
            "mentorships_ended_early": 1, "mentorships_withdrawn": 0, "early_end_rate": 1.0,
            "early_end_reasons": {"completed": 0, "no_longer_needed": 1, "relational_difficulties": 0, "other": 0},
            "meetings_held": 1, "meetings_cancelled": 1, "cancellation_rate": 0.5, "active_mentorship_months": 3,
            "meetings_per_active_month": 0.333, "months_with_meeting_rate": 0.333, "minutes_mean": 75.0,
            "within_target_rate": 1.0, "agenda_rate": 1.0, "objective_attainment_rate": 0.0,
            "mean_satisfaction_mentors": 3.0, "mean_satisfaction_mentees": 4.0, "disputes_raised": 1,
            "disputes_settled": 0, "disputes_to_coordinator": 1, "median_length_months": 2, "at_risk": 0,
        }  # fmt: skip
        csv_text = client.get(f"/v1/programmes/{pid}/report?format=csv", headers=coordinator).text
        assert "early_end_reasons.no_longer_needed,1\n" in csv_text and "cancellation_rate,0.5\n" in csv_text
        assert client.get(f"/v1/programmes/{pid}/worklist", headers=coordinator).json() == {"items": []}

        # The lists: the programme's mentorships, the parties' own, the participants with their names.
        listed = client.get(f"/v1/programmes/{pid}/mentorships", headers=coordinator).json()
        assert [item["id"] for item in listed["items"]] == [mid] and listed["next_cursor"] is None
        assert [item["id"] for item in client.get("/v1/me/mentorships", headers=mentee).json()["items"]] == [mid]
        people = client.get(f"/v1/programmes/{pid}/participants?after={disclosed}", headers=coordinator).json()
        assert {(p["role"], p["name"]) for p in people["items"]} == {
            ("coordinator", "Coordinator"),
            ("mentor", "A mentor"),
            ("mentee", "A mentee"),
        }
        mine = client.get(f"/v1/participants/{mentee_id}/history", headers=mentee).json()["items"]
        assert [item["type"] for item in mine][:3] == [
            "ParticipantRegistered",
            "InvitationIssued",
            "InvitationRedeemed",
        ]
