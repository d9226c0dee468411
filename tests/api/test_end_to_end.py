"""A whole convention through the HTTP API, as a real client walks it, on both stores."""

from __future__ import annotations

from collections import Counter
from typing import Any
from uuid import UUID

from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import Settings
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
    token = created(client.post("/v1/invitations/redemption", json={"code": invitation["code"]}))
    assert token["participant_id"] == person["id"]
    # The code is one-time.
    again = client.post("/v1/invitations/redemption", json={"code": invitation["code"]})
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
