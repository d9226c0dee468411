"""Codes, tokens and idempotency keys never reach a log line, an error body or the store in clear (both stores).

A real uvicorn server, configured as `mentorat serve` configures it, with every logger at DEBUG,
walks a token's whole life: invitation, redemption, use, a retried command, expiry, a new
invitation, deactivation, and refused attempts with every secret.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

import httpx

from api.app import create_app
from bootstrap.settings import Settings
from tests.api.conftest import FUTURE_MEETING, bearer, created, mailed, serve
from tests.api.test_idempotency import record_cells
from tests.api.test_read_confidentiality import every_log_record, no_delay, record_text
from tests.support import FakeClock, ports

IDEMPOTENCY_KEY = "idem-key-5f2e9a"


def stored_bytes(app: Any) -> bytes:
    """Every stored event's state and every idempotency record, as one blob to search."""
    store = app.state.service.store
    notifications = store.recorder.select_notifications(start=1, limit=1_000_000)
    return b"\n".join([*(n.state for n in notifications), *record_cells(store.recorder)])


def life_of_a_token(client: httpx.Client, app: Any, clock: FakeClock) -> tuple[list[str], list[httpx.Response]]:
    """Walk a participant's credentials through the API; the secrets seen and every answer."""
    service = app.state.service
    launched = service.participants.create_programme("Programme", "Coordinator", None)
    pid, coordinator = launched["programme_id"], bearer(launched["coordinator_token"])
    answers: list[httpx.Response] = []

    def post(path: str, headers: dict[str, str] | None = None, **kw: Any) -> httpx.Response:
        answers.append(client.post(path, headers=headers or {}, **kw))
        return answers[-1]

    person = {"role": "mentee", "name": "Mentee", "email": "mentee@example.org", "language": "fr"}
    mentee_id = created(post(f"/v1/programmes/{pid}/participants", coordinator, json=person))["id"]
    mentor = {**person, "role": "mentor", "email": "mentor@example.org"}
    mentor_id = created(post(f"/v1/programmes/{pid}/participants", coordinator, json=mentor))["id"]
    invite = f"/v1/participants/{mentee_id}/invitations"
    keyed = {**coordinator, "Idempotency-Key": IDEMPOTENCY_KEY}
    first = created(post(invite, keyed))
    assert created(post(invite, keyed)) == first and "code" not in first  # replayed, and no code either time
    first_code = mailed(app, "mentee@example.org")
    token = created(post("/v1/invitations/redemption", json={"code": first_code}))["token"]
    post("/v1/invitations/redemption", json={"code": first_code})  # used: 404
    answers.append(client.get("/v1/me", headers=bearer(token)))
    drafted = created(
        post(
            f"/v1/programmes/{pid}/mentorships",
            coordinator,
            json={"mentor_id": mentor_id, "mentee_id": mentee_id, "starts_on": "2026-01-01"},
        )
    )
    post(f"/v1/mentorships/{drafted['id']}/meetings", bearer(token), json={"scheduled_for": FUTURE_MEETING})
    created(post(invite, coordinator))
    second_code = mailed(app, "mentee@example.org")
    clock.advance(days=8)  # the second code expired unused
    post("/v1/invitations/redemption", json={"code": second_code})
    created(post(invite, coordinator))
    third_code = mailed(app, "mentee@example.org")
    second_token = created(post("/v1/invitations/redemption", json={"code": third_code}))["token"]
    clock.advance(days=23)  # the first token (30 days) has expired, the second not yet
    expired, valid = client.get("/v1/me", headers=bearer(token)), client.get("/v1/me", headers=bearer(second_token))
    operator_code = service.participants.invite_as_operator(UUID(launched["coordinator_id"])).data["code"]
    coordinator_token = created(post("/v1/invitations/redemption", json={"code": operator_code}))["token"]
    coordinator = bearer(coordinator_token)  # the programme's first token has expired too
    assert post(f"/v1/participants/{mentee_id}/deactivation", coordinator).status_code == 201, answers[-1].text
    deactivated = client.get("/v1/me", headers=bearer(second_token))
    altered = client.get("/v1/me", headers={"Authorization": f"Bearer {second_token}x"})
    answers += [expired, valid, deactivated, altered]
    assert [a.status_code for a in (expired, valid, deactivated, altered)] == [401, 200, 401, 401]
    secrets = [launched["coordinator_token"], operator_code, coordinator_token]
    secrets += [first_code, second_code, third_code, token, second_token]
    return [*secrets, IDEMPOTENCY_KEY], answers


def test_no_secret_in_logs_error_bodies_or_the_store(settings: Settings, clock: FakeClock) -> None:
    app = create_app(settings, ports(clock))
    with (
        every_log_record() as logs,
        serve(app) as base,
        httpx.Client(base_url=base, timeout=30, transport=no_delay()) as client,
    ):
        secrets, answers = life_of_a_token(client, app, clock)
        stored = stored_bytes(app)
    text = "\n".join(record_text(r) for r in logs.records)
    assert len(logs.records) > len(answers), "every request writes an access line"
    errors = "\n".join(a.text for a in answers if a.status_code >= 400)
    assert errors, "refused attempts were made"
    for secret in secrets:
        assert secret not in text
        assert secret not in errors
        assert secret.encode() not in stored
