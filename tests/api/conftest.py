"""HTTP fixtures: the app over both stores, and a small programme ("world") built through the API itself."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.app import create_app
from api.server import uvicorn_config
from application.service import MentoratService
from bootstrap.settings import Settings
from tests.support import FakeClock, mailed_code, ports

PROBLEM_JSON = "application/problem+json"
START = "2026-01-01"  # the convention's start date; the fake clock starts on 2026-01-05 15:00 UTC
FUTURE_MEETING = "2026-01-20T15:00:00+00:00"  # ahead of the clock: an agenda is still accepted
PAST_MEETING = "2026-01-03T15:00:00+00:00"  # after the start, before the clock: may be recorded held


def bearer(token: str) -> dict[str, str]:
    """The Authorization header of a token."""
    return {"Authorization": f"Bearer {token}"}


def service_of(client: TestClient | FastAPI) -> MentoratService:
    """The write side the app built in its lifespan (given the app, or a `TestClient` of it)."""
    app = client if isinstance(client, FastAPI) else client.app
    assert isinstance(app, FastAPI)
    service: MentoratService = app.state.service
    return service


def mailed(app_or_client: Any, address: str) -> str:
    """The code of the newest invitation e-mailed to an address (delivering what is due first).

    Takes the app, or a `TestClient` of it.
    """
    app = getattr(app_or_client, "app", app_or_client)
    return mailed_code(app.state.delivery, app.state.settings, address)


def created(response: Any) -> dict[str, Any]:
    """The body of a 201, failing with the problem otherwise."""
    assert response.status_code == 201, (response.status_code, response.text)
    body: dict[str, Any] = response.json()
    return body


@pytest.fixture
def app_client(request: pytest.FixtureRequest, settings: Settings, clock: FakeClock) -> Iterator[TestClient]:
    """A client of the app over the store under test (SQLite and PostgreSQL), lifespan included."""
    if request.node.get_closest_marker("write_only"):  # as `mentorat serve --no-projections` runs
        settings = settings.model_copy(update={"projections": False})
    app = create_app(settings, ports(clock))
    with TestClient(app) as client:
        yield client


@dataclass(frozen=True)
class World:
    """One programme with a signed, active mentorship, a scheduled meeting and an open dispute."""

    programme_id: str
    mentorship_id: str
    objective_id: str
    meeting_id: str
    dispute_id: str
    coordinator_id: str
    mentor_id: str
    mentee_id: str
    auditor_id: str
    other_mentor_id: str
    other_mentee_id: str
    other_mentorship_id: str
    other_programme_id: str
    other_coordinator_id: str
    coordinator: dict[str, str]
    mentor: dict[str, str]
    mentee: dict[str, str]
    auditor: dict[str, str]
    other_mentor: dict[str, str]
    other_coordinator: dict[str, str]

    def headers(self, who: str) -> dict[str, str]:
        """The auth headers of `coordinator`, `mentor`, `mentee`, `auditor`, `other_mentor`, `other_coordinator`."""
        value = getattr(self, who)
        assert isinstance(value, dict)
        return dict(value)


def enrol(
    client: httpx.Client,
    coordinator: dict[str, str],
    programme_id: str,
    role: str,
    name: str,
    app: FastAPI | None = None,
) -> tuple[str, str]:
    """Register a participant, invite them and redeem the code as they would: their id and token.

    The coordinator registers and invites mentors, mentees and coordinators; an auditor is the operator's.
    `app` is needed when `client` is a plain HTTP client of a served app (not a `TestClient`).
    """
    email = f"{name.lower()}@example.org"
    source = app or client
    if role == "auditor":
        people = service_of(source).participants  # type: ignore[arg-type]
        participant_id = str(people.register_as_operator(UUID(programme_id), role, name, email, "fr").aggregate_id)
        code = people.invite_as_operator(UUID(participant_id)).data["code"]
    else:
        body = {"role": role, "name": name, "email": email, "language": "fr"}
        participant_id = created(
            client.post(f"/v1/programmes/{programme_id}/participants", json=body, headers=coordinator)
        )["id"]
        code = invitation_code(client, coordinator, participant_id, app)
    redeemed = created(client.post("/v1/invitations/redemption", json={"code": code}))
    assert redeemed["participant_id"] == participant_id
    return str(participant_id), str(redeemed["token"])


def invitation_code(
    client: httpx.Client, coordinator: dict[str, str], participant_id: str, app: FastAPI | None = None
) -> str:
    """The coordinator invites a participant: the code as the participant reads it in their e-mail."""
    invited = created(client.post(f"/v1/participants/{participant_id}/invitations", headers=coordinator))
    assert set(invited) == {"expires_at", "version", "position"}  # the code went by e-mail, never to the coordinator
    source = app or client
    address = service_of(source).participants.get(UUID(participant_id)).email  # type: ignore[arg-type]
    assert isinstance(address, str)
    return mailed(source, address)


def build_world(client: httpx.Client, service: MentoratService, app: FastAPI | None = None) -> World:
    """Build the world through the HTTP API (only the programmes and the auditor are the operator's).

    `app` is needed when `client` is a plain HTTP client of a served app (not a `TestClient`).
    """
    first = service.participants.create_programme("Programme", "Coordinator", "coordinator@example.org")
    second = service.participants.create_programme("Other programme", "Other coordinator", None)
    pid = first["programme_id"]
    coordinator = bearer(first["coordinator_token"])
    mentor_id, mentor_token = enrol(client, coordinator, pid, "mentor", "Mentor", app)
    mentee_id, mentee_token = enrol(client, coordinator, pid, "mentee", "Mentee", app)
    auditor_id, auditor_token = enrol(client, coordinator, pid, "auditor", "Auditor", app)
    other_mentor_id, other_mentor_token = enrol(client, coordinator, pid, "mentor", "Othermentor", app)
    other_mentee_id, _ = enrol(client, coordinator, pid, "mentee", "Othermentee", app)
    mentor, mentee = bearer(mentor_token), bearer(mentee_token)

    drafted = created(
        client.post(
            f"/v1/programmes/{pid}/mentorships",
            json={"mentor_id": mentor_id, "mentee_id": mentee_id, "starts_on": START},
            headers=coordinator,
        )
    )
    mid = drafted["id"]
    objective = created(client.post(f"/v1/mentorships/{mid}/objectives", json={"text": "Objective"}, headers=mentor))
    created(client.post(f"/v1/mentorships/{mid}/signatures", headers=mentor))
    signed = created(client.post(f"/v1/mentorships/{mid}/signatures", headers=mentee))
    assert signed["status"] == "active"
    meeting = created(
        client.post(f"/v1/mentorships/{mid}/meetings", json={"scheduled_for": FUTURE_MEETING}, headers=mentee)
    )
    dispute = created(client.post(f"/v1/mentorships/{mid}/disputes", json={"summary": "Dispute"}, headers=mentor))
    other = created(
        client.post(
            f"/v1/programmes/{pid}/mentorships",
            json={"mentor_id": other_mentor_id, "mentee_id": other_mentee_id, "starts_on": START},
            headers=coordinator,
        )
    )
    return World(
        programme_id=pid,
        mentorship_id=mid,
        objective_id=objective["objective_id"],
        meeting_id=meeting["meeting_id"],
        dispute_id=dispute["dispute_id"],
        coordinator_id=first["coordinator_id"],
        mentor_id=mentor_id,
        mentee_id=mentee_id,
        auditor_id=auditor_id,
        other_mentor_id=other_mentor_id,
        other_mentee_id=other_mentee_id,
        other_mentorship_id=other["id"],
        other_programme_id=second["programme_id"],
        other_coordinator_id=second["coordinator_id"],
        coordinator=coordinator,
        mentor=mentor,
        mentee=mentee,
        auditor=bearer(auditor_token),
        other_mentor=bearer(other_mentor_token),
        other_coordinator=bearer(second["coordinator_token"]),
    )


@pytest.fixture
def world(app_client: TestClient) -> World:
    """The world, built in the store under test."""
    return build_world(app_client, service_of(app_client))


@contextmanager
def serve(app: FastAPI) -> Iterator[str]:
    """Run the app under a real uvicorn server on a free 127.0.0.1 port, in a thread; yield its base URL.

    The server is configured exactly as `mentorat serve` configures it (`api.server.uvicorn_config`); its records
    propagate to the root logger.
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # inherited by accepted sockets: no 40 ms stalls
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn_config(app, "127.0.0.1", port, "debug"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=20)
        sock.close()
