"""Who may do what on every route of the app, and how credentials end, on both stores (contract v1, section 5).

`TABLE` holds, for every route, the status each caller of `CALLERS` gets, written by hand from the contract's
"who" column and its order of checks: 401 without a valid token, then 404 outside the caller's scope, then 403
for a role that may not do this on what it can see. A 2xx cell acts on a fresh subject built for it through the
API and must store its events; any other cell must store nothing. A route of the app without a row fails the test.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from itertools import count
from typing import Any
from uuid import UUID

import httpx
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.api.conftest import (
    FUTURE_MEETING,
    PAST_MEETING,
    PROBLEM_JSON,
    START,
    bearer,
    created,
    enrol,
    invitation_code,
    mailed,
    service_of,
)
from tests.api.routes import app_routes
from tests.support import FakeClock

LATER_MEETING = "2026-01-27T15:00:00+00:00"
SLUGS = {401: "unauthenticated", 403: "forbidden", 404: "not-found"}
# FastAPI's own documentation pages: no part of contract v1, so not in the table.
CALLERS = (
    "mentor",  # the subject's own mentorship: its mentor, its mentee, the programme's coordinator and auditor
    "mentee",
    "coordinator",
    "auditor",
    "fellow_mentor",  # the mentor and the mentee of another pair in the same programme
    "fellow_mentee",
    "foreign_mentor",  # the mentor, mentee, coordinator and auditor of another programme
    "foreign_mentee",
    "foreign_coordinator",
    "foreign_auditor",
    "no_token",
    "unknown_token",
    "expired_token",  # the programme coordinator's own token, redeemed more than its lifetime ago
    "deactivated_token",  # a coordinator of the programme, deactivated through the API
)


@dataclass(frozen=True)
class Subject:
    """What a cell acts on: the ids its path and body name, and the tokens of its mentorship's mentor and mentee."""

    ids: dict[str, str]
    mentor: dict[str, str]
    mentee: dict[str, str]

    def having(self, **ids: str) -> Subject:
        return replace(self, ids={**self.ids, **ids})


@dataclass
class World:
    """Two programmes built through the API, their people, and the mentorship the queries read."""

    client: TestClient
    programme_id: str
    coordinator: dict[str, str]
    callers: dict[str, dict[str, str]] = field(default_factory=dict)  # every caller but the subject's parties
    shared: dict[Builder, Subject] = field(default_factory=dict)
    base: Subject = field(init=False)
    names: Iterator[int] = field(default_factory=count)

    def name(self, role: str) -> str:
        return f"{role.capitalize()}{next(self.names)}"

    def register(self, role: str) -> str:
        """A new participant of the programme, without a token: their id."""
        body = {"role": role, "name": self.name(role), "email": "someone@example.org", "language": "fr"}
        return str(created(self.post(f"/v1/programmes/{self.programme_id}/participants", self.coordinator, body))["id"])

    def enrol(self, role: str) -> tuple[str, dict[str, str]]:
        """A new participant of the programme with a token: their id and auth header."""
        participant_id, token = enrol(self.client, self.coordinator, self.programme_id, role, self.name(role))
        return participant_id, bearer(token)

    def post(self, path: str, headers: dict[str, str], body: dict[str, Any] | None = None) -> httpx.Response:
        if body is None:
            response: httpx.Response = self.client.post(path, headers=headers)
        else:
            response = self.client.post(path, json=body, headers=headers)
        return response

    def act(self, subject: Subject, suffix: str, headers: dict[str, str], body: dict[str, Any] | None = None) -> Any:
        """A command on the subject's mentorship, which must succeed: its answer."""
        return created(self.post(f"/v1/mentorships/{subject.ids['mentorship_id']}{suffix}", headers, body))

    def shared_subject(self, builder: Builder) -> Subject:
        """One subject per kind for the cells that must change nothing."""
        if builder not in self.shared:
            self.shared[builder] = builder(self)
        return self.shared[builder]

    def position(self) -> int:
        return int(service_of(self.client).store.position())


Builder = Callable[[World], Subject]


# Subjects, each built fresh through the API ------------------------------------------------------------------------


def the_base(w: World) -> Subject:
    """The programme's signed mentorship with an objective, a meeting and an open dispute; its mentor's record."""
    return w.base


def a_person(w: World) -> Subject:
    """A registered participant of the programme."""
    return w.base.having(participant_id=w.register("mentee"))


def an_invitation(w: World) -> Subject:
    """An unredeemed invitation code of a new participant."""
    participant_id = w.register("mentee")
    code = invitation_code(w.client, w.coordinator, participant_id)
    return w.base.having(code=code)


def a_pair(w: World) -> Subject:
    """A mentor and a mentee of the programme, with no convention yet."""
    return w.base.having(mentor_id=w.register("mentor"), mentee_id=w.register("mentee"))


def a_draft(w: World) -> Subject:
    """A drafted convention between a new mentor and a new mentee, both holding tokens."""
    mentor_id, mentor = w.enrol("mentor")
    mentee_id, mentee = w.enrol("mentee")
    body = {"mentor_id": mentor_id, "mentee_id": mentee_id, "starts_on": START}
    drafted = created(w.post(f"/v1/programmes/{w.programme_id}/mentorships", w.coordinator, body))
    ids = {"programme_id": w.programme_id, "mentorship_id": drafted["id"], "participant_id": mentor_id}
    return Subject(ids, mentor, mentee)


def with_objective(w: World) -> Subject:
    """A draft with an objective, signed by nobody."""
    subject = a_draft(w)
    return subject.having(objective_id=w.act(subject, "/objectives", subject.mentor, {"text": "Goal"})["objective_id"])


def signed(w: World) -> Subject:
    """A convention in effect."""
    subject = with_objective(w)
    w.act(subject, "/signatures", subject.mentor)
    w.act(subject, "/signatures", subject.mentee)
    return subject


def with_meeting(w: World) -> Subject:
    """A convention in effect with a meeting still ahead."""
    subject = signed(w)
    meeting = w.act(subject, "/meetings", subject.mentee, {"scheduled_for": FUTURE_MEETING})
    return subject.having(meeting_id=meeting["meeting_id"])


def with_dispute(w: World) -> Subject:
    """A convention in effect with an open dispute."""
    subject = signed(w)
    return subject.having(dispute_id=w.act(subject, "/disputes", subject.mentor, {"summary": "Dispute"})["dispute_id"])


def consulted(w: World) -> Subject:
    """A convention in effect whose parties consulted the coordinator about ending early (R8)."""
    subject = signed(w)
    w.act(subject, "/consultations", w.coordinator, {"topic": "early_end", "outcome": "reconciled"})
    return subject


# The table ----------------------------------------------------------------------------------------------------------

Body = dict[str, Any] | Callable[[Subject], dict[str, Any]] | None


@dataclass(frozen=True)
class Row:
    """A route (or one variant of its body), what it acts on, and the status of each caller of `CALLERS`."""

    method: str
    path: str
    subject: Builder
    body: Body
    statuses: tuple[int, ...]
    variant: str = ""

    def url(self, subject: Subject) -> str:
        return self.path.format(**subject.ids)

    def json(self, subject: Subject) -> dict[str, Any] | None:
        return self.body(subject) if callable(self.body) else self.body


def redemption(subject: Subject) -> dict[str, Any]:
    return {"code": subject.ids["code"]}


def draft(subject: Subject) -> dict[str, Any]:
    return {"mentor_id": subject.ids["mentor_id"], "mentee_id": subject.ids["mentee_id"], "starts_on": START}


NEWCOMER = {"role": "mentee", "name": "Newcomer", "email": "newcomer@example.org", "language": "en"}
P = "/v1/programmes/{programme_id}"
M = "/v1/mentorships/{mentorship_id}"
MEETING = M + "/meetings/{meeting_id}"
PERSON = "/v1/participants/{participant_id}"
GET, POST, PATCH = "GET", "POST", "PATCH"

# Columns, in the order of CALLERS:
#        own mentorship      fellows   other programme     credentials
#        mtr  mte  crd  aud  mtr  mte  mtr  mte  crd  aud  none unkn expd deac
# fmt: off
TABLE: tuple[Row, ...] = (
    Row(GET, "/healthz", the_base, None,
        (200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200)),
    Row(GET, "/readyz", the_base, None,
        (200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200)),
    Row(GET, "/metrics", the_base, None,
        (200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200)),
    Row(GET, "/v1/me", the_base, None,
        (200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 401, 401, 401, 401)),
    Row(GET, "/v1/me/mentorships", the_base, None,
        (200, 200, 403, 403, 200, 200, 200, 200, 403, 403, 401, 401, 401, 401)),
    Row(GET, M, the_base, None,
        (200, 200, 200, 200, 404, 404, 404, 404, 404, 404, 401, 401, 401, 401)),
    Row(GET, M + "/history", the_base, None,
        (200, 200, 200, 200, 404, 404, 404, 404, 404, 404, 401, 401, 401, 401)),
    Row(GET, M + "/journal", the_base, None,
        (200, 200, 403, 403, 404, 404, 404, 404, 404, 404, 401, 401, 401, 401)),
    Row(GET, P + "/mentorships", the_base, None,
        (403, 403, 200, 200, 403, 403, 404, 404, 404, 404, 401, 401, 401, 401)),
    Row(GET, P + "/report", the_base, None,
        (403, 403, 200, 200, 403, 403, 404, 404, 404, 404, 401, 401, 401, 401)),
    Row(GET, P + "/report.csv", the_base, None,
        (403, 403, 200, 200, 403, 403, 404, 404, 404, 404, 401, 401, 401, 401)),
    Row(GET, P + "/participants", the_base, None,
        (403, 403, 200, 403, 403, 403, 404, 404, 404, 404, 401, 401, 401, 401)),
    Row(GET, P + "/worklist", the_base, None,
        (403, 403, 200, 403, 403, 403, 404, 404, 404, 404, 401, 401, 401, 401)),
    # The programme's settings: its coordinators and auditors read them, its coordinators change them.
    Row(GET, P, the_base, None,
        (403, 403, 200, 200, 403, 403, 404, 404, 404, 404, 401, 401, 401, 401)),
    Row(PATCH, P, the_base, {"default_months": 11},
        (403, 403, 200, 403, 403, 403, 404, 404, 404, 404, 401, 401, 401, 401)),
    # The programme's auditor only: no coordinator, no party.
    Row(GET, P + "/access-log", the_base, None,
        (403, 403, 403, 200, 403, 403, 404, 404, 404, 404, 401, 401, 401, 401)),
    # The mentor's own record: the mentor, the programme's coordinator and auditor; fellow participants 403.
    Row(GET, PERSON + "/history", the_base, None,
        (200, 403, 200, 200, 403, 403, 404, 404, 404, 404, 401, 401, 401, 401)),
    Row(POST, P + "/participants", the_base, NEWCOMER,
        (403, 403, 201, 403, 403, 403, 404, 404, 404, 404, 401, 401, 401, 401)),
    Row(POST, PERSON + "/invitations", a_person, None,
        (403, 403, 201, 403, 403, 403, 404, 404, 404, 404, 401, 401, 401, 401)),
    # Anyone holding a valid code, whatever the Authorization header says.
    Row(POST, "/v1/invitations/redemption", an_invitation, redemption,
        (201, 201, 201, 201, 201, 201, 201, 201, 201, 201, 201, 201, 201, 201)),
    # Anyone may ask for a sign-in code, whatever the Authorization header says: always the same 202.
    Row(POST, "/v1/sign-in", the_base, {"email": "nobody@example.org"},
        (202, 202, 202, 202, 202, 202, 202, 202, 202, 202, 202, 202, 202, 202)),
    Row(POST, PERSON + "/deactivation", a_person, None,
        (403, 403, 201, 403, 403, 403, 404, 404, 404, 404, 401, 401, 401, 401)),
    Row(POST, P + "/mentorships", a_pair, draft,
        (403, 403, 201, 403, 403, 403, 404, 404, 404, 404, 401, 401, 401, 401)),
    Row(POST, M + "/withdrawal", a_draft, None,
        (403, 403, 201, 403, 404, 404, 404, 404, 404, 404, 401, 401, 401, 401)),
    Row(POST, M + "/objectives", a_draft, {"text": "An objective"},
        (201, 201, 403, 403, 404, 404, 404, 404, 404, 404, 401, 401, 401, 401)),
    Row(POST, M + "/signatures", with_objective, None,
        (201, 201, 403, 403, 404, 404, 404, 404, 404, 404, 401, 401, 401, 401)),
    Row(POST, M + "/objectives/{objective_id}/assessments", signed, {"status": "in_progress"},
        (201, 201, 403, 403, 404, 404, 404, 404, 404, 404, 401, 401, 401, 401)),
    Row(POST, M + "/satisfaction", signed, {"score": 4},
        (201, 201, 403, 403, 404, 404, 404, 404, 404, 404, 401, 401, 401, 401)),
    Row(POST, M + "/disputes", signed, {"summary": "A dispute"},
        (201, 201, 403, 403, 404, 404, 404, 404, 404, 404, 401, 401, 401, 401)),
    Row(POST, M + "/disputes/{dispute_id}/settlement", with_dispute, None,
        (201, 201, 403, 403, 404, 404, 404, 404, 404, 404, 401, 401, 401, 401)),
    Row(POST, M + "/consultations", signed, {"topic": "early_end", "outcome": "reconciled"},
        (403, 403, 201, 403, 404, 404, 404, 404, 404, 404, 401, 401, 401, 401)),
    Row(POST, M + "/end", consulted, {"reason": "other"},
        (201, 201, 201, 403, 404, 404, 404, 404, 404, 404, 401, 401, 401, 401)),
    Row(POST, M + "/disclosures", signed, {"basis": "required_by_law"},
        (201, 201, 403, 403, 404, 404, 404, 404, 404, 404, 401, 401, 401, 401)),
    # Danger to the mentee or others: the mentor's exception only (R9); the mentee's 403 comes after validation.
    Row(POST, M + "/disclosures", signed, {"basis": "danger_to_self_or_others", "authority": "police"},
        (201, 403, 403, 403, 404, 404, 404, 404, 404, 404, 401, 401, 401, 401), " (mentor-only basis)"),
    Row(POST, M + "/meetings", signed, {"scheduled_for": FUTURE_MEETING},
        (201, 201, 403, 403, 404, 404, 404, 404, 404, 404, 401, 401, 401, 401)),
    Row(POST, MEETING + "/reschedule", with_meeting, {"scheduled_for": LATER_MEETING},
        (201, 201, 403, 403, 404, 404, 404, 404, 404, 404, 401, 401, 401, 401)),
    Row(POST, MEETING + "/agenda", with_meeting, {"agenda": "An agenda"},
        (403, 201, 403, 403, 404, 404, 404, 404, 404, 404, 401, 401, 401, 401)),
    Row(POST, MEETING + "/held", with_meeting, {"held_at": PAST_MEETING, "duration_minutes": 60},
        (201, 201, 403, 403, 404, 404, 404, 404, 404, 404, 401, 401, 401, 401)),
    Row(POST, MEETING + "/cancellation", with_meeting, {"unavoidable": True},
        (201, 201, 403, 403, 404, 404, 404, 404, 404, 404, 401, 401, 401, 401)),
)
# fmt: on


def expected_status(method: str, path: str, caller: str) -> int:
    """The table's status for a caller on a route (its first row, for a route with variants)."""
    row = next(row for row in TABLE if (row.method, row.path) == (method, path))
    return row.statuses[CALLERS.index(caller)]


# Building the world ---------------------------------------------------------------------------------------------


def expired_token(w: World, participant_id: str, clock: FakeClock, lifetime: timedelta) -> dict[str, str]:
    """A real token of this participant, redeemed with the clock set back past its lifetime, then restored."""
    code = invitation_code(w.client, w.coordinator, participant_id)
    back = lifetime + timedelta(days=1)
    clock.now -= back
    try:
        redeemed = created(w.client.post("/v1/invitations/redemption", json={"code": code}))
    finally:
        clock.now += back
    assert datetime.fromisoformat(redeemed["expires_at"]) < clock()
    return bearer(redeemed["token"])


def deactivated_token(w: World) -> dict[str, str]:
    """The token of a coordinator of the programme, deactivated through the API."""
    participant_id, token = w.enrol("coordinator")
    created(w.post(f"/v1/participants/{participant_id}/deactivation", w.coordinator))
    return token


def build(client: TestClient, clock: FakeClock) -> World:
    """Both programmes (launched by the operator) and everyone in them, built through the API."""
    service = service_of(client)
    home = service.participants.create_programme("Programme", "Coordinator", "coordinator@example.org")
    away = service.participants.create_programme("Other programme", "Other coordinator", None)
    w = World(client, home["programme_id"], bearer(home["coordinator_token"]))
    abroad = World(client, away["programme_id"], bearer(away["coordinator_token"]))
    base = with_meeting(w)
    w.base = base.having(dispute_id=w.act(base, "/disputes", base.mentor, {"summary": "Dispute"})["dispute_id"])
    fellows, foreigners = a_draft(w), a_draft(abroad)
    w.callers = {
        "coordinator": w.coordinator,
        "auditor": w.enrol("auditor")[1],
        "fellow_mentor": fellows.mentor,
        "fellow_mentee": fellows.mentee,
        "foreign_mentor": foreigners.mentor,
        "foreign_mentee": foreigners.mentee,
        "foreign_coordinator": abroad.coordinator,
        "foreign_auditor": abroad.enrol("auditor")[1],
        "no_token": {},
        "unknown_token": bearer("not-a-token-" + "x" * 32),
        "expired_token": expired_token(w, home["coordinator_id"], clock, service.ports.token_ttl),
        "deactivated_token": deactivated_token(w),
    }
    return w


# Running it -------------------------------------------------------------------------------------------------------


def headers_of(w: World, subject: Subject, caller: str) -> dict[str, str]:
    if caller == "mentor":
        return subject.mentor
    if caller == "mentee":
        return subject.mentee
    return w.callers[caller]


def check_cell(w: World, row: Row, caller: str, expected: int) -> list[str]:
    """Send one cell's request: its status, and a problem that stored nothing or a success that stored its events."""
    allowed = expected < 400
    subject = row.subject(w) if allowed and row.method == POST else w.shared_subject(row.subject)
    headers, body = headers_of(w, subject, caller), row.json(subject)
    before = w.position()
    if row.method == GET:
        response = w.client.get(row.url(subject), headers=headers)
    elif row.method == PATCH:
        response = w.client.patch(row.url(subject), json=body, headers=headers)
    else:
        response = w.post(row.url(subject), headers, body)
    failures = []
    if response.status_code != expected:
        failures.append(f"expected {expected}, got {response.status_code}: {response.text[:160]}")
    elif allowed:
        failures += success_failures(w, row, response, before)
    else:
        failures += problem_failures(response, expected)
    if not allowed and w.position() != before:
        failures.append("a refused request stored something")
    return [f"{row.method} {row.path}{row.variant} as {caller}: {failure}" for failure in failures]


def success_failures(w: World, row: Row, response: httpx.Response, before: int) -> list[str]:
    """What is wrong with a 2xx: JSON (CSV for `.csv`, Prometheus text for `/metrics`), and for a command its
    version, position and ETag."""
    media = "text/csv" if row.path.endswith(".csv") else "text/plain" if row.path == "/metrics" else "application/json"
    if response.headers.get("content-type", "").split(";")[0] != media:
        return [f"content type {response.headers.get('content-type')!r}"]
    if row.method == GET or response.status_code == 202:  # 202: accepted, worked after the answer (`/v1/sign-in`)
        return []
    answer = response.json()
    if not (isinstance(answer.get("version"), int) and answer.get("position") == w.position() > before):
        return [f"a command answer without its version and new position: {response.text[:160]}"]
    if response.headers.get("etag") != f'"{answer["version"]}"':
        return [f"ETag {response.headers.get('etag')!r}"]
    return []


def problem_failures(response: httpx.Response, status: int) -> list[str]:
    """What is wrong with a refusal: a problem+json whose type ends with the status's slug."""
    if response.headers.get("content-type", "").split(";")[0] != PROBLEM_JSON:
        return [f"content type {response.headers.get('content-type')!r}"]
    if not str(response.json().get("type", "")).endswith("/" + SLUGS[status]):
        return [f"type {response.json().get('type')!r}"]
    return []


def route_failures(app: FastAPI) -> list[str]:
    routes, rows = app_routes(app), {(row.method, row.path) for row in TABLE}
    return [f"{m} {p}: a route of the app without a row" for m, p in sorted(routes - rows)] + [
        f"{m} {p}: a row that is no route of the app" for m, p in sorted(rows - routes)
    ]


def test_every_caller_on_every_route(app_client: TestClient, clock: FakeClock) -> None:
    """The whole table, on this store; every mismatching cell is listed at once."""
    app = app_client.app
    assert isinstance(app, FastAPI)
    assert all(len(row.statuses) == len(CALLERS) for row in TABLE)
    w = build(app_client, clock)
    failures = route_failures(app)
    for row in TABLE:
        for caller, expected in zip(CALLERS, row.statuses, strict=True):
            failures += check_cell(w, row, caller, expected)
    assert not failures, "\n  ".join(["", *failures])


# Credentials: codes are one-time and expire, tokens expire, deactivation ends every token ----------------------------
# (A second redemption of a code answering 404 is proven in test_end_to_end.py; the rules themselves, without HTTP,
# in tests/integration/test_application_rules.py.)


def launch(client: TestClient) -> tuple[str, dict[str, str]]:
    """A programme of its own, as the operator creates it: its id and its coordinator's auth header."""
    launched = service_of(client).participants.create_programme("Programme", "Coordinator", None)
    return str(launched["programme_id"]), bearer(launched["coordinator_token"])


def invite(client: TestClient, coordinator: dict[str, str], participant_id: str) -> dict[str, Any]:
    """The invitation's answer, with the code the participant received by e-mail added as `code`."""
    answer: dict[str, Any] = created(client.post(f"/v1/participants/{participant_id}/invitations", headers=coordinator))
    address = service_of(client).participants.get(UUID(participant_id)).email
    assert isinstance(address, str) and "code" not in answer
    return {**answer, "code": mailed(client, address)}


def redeem(client: TestClient, code: str) -> httpx.Response:
    response: httpx.Response = client.post("/v1/invitations/redemption", json={"code": code})
    return response


def test_an_invitation_code_expires_after_seven_days(app_client: TestClient, clock: FakeClock) -> None:
    # Given two codes issued now for one participant, valid for 7 days
    programme_id, coordinator = launch(app_client)
    participant_id, _ = enrol(app_client, coordinator, programme_id, "mentee", "Mentee")
    first, second = invite(app_client, coordinator, participant_id), invite(app_client, coordinator, participant_id)
    expires_at = datetime.fromisoformat(first["expires_at"])
    assert expires_at == clock() + timedelta(days=7) == datetime.fromisoformat(second["expires_at"])
    # When the first is redeemed a second before, Then it works
    clock.now = expires_at - timedelta(seconds=1)
    assert created(redeem(app_client, first["code"]))["participant_id"] == participant_id
    # When the second is redeemed at its expiry, Then it is not found and nothing is stored
    clock.now = expires_at
    before = service_of(app_client).store.position()
    refused = redeem(app_client, second["code"])
    assert (refused.status_code, problem_failures(refused, 404)) == (404, [])
    assert service_of(app_client).store.position() == before


def test_a_token_stops_at_its_expires_at(app_client: TestClient, clock: FakeClock) -> None:
    # Given a token redeemed now, whose answer says when it expires (the lifetime setting: 30 days here)
    programme_id, coordinator = launch(app_client)
    participant_id = created(
        app_client.post(f"/v1/programmes/{programme_id}/participants", json=NEWCOMER, headers=coordinator)
    )["id"]
    redeemed = created(redeem(app_client, invite(app_client, coordinator, participant_id)["code"]))
    expires_at = datetime.fromisoformat(redeemed["expires_at"])
    assert expires_at == clock() + service_of(app_client).ports.token_ttl == clock() + timedelta(days=30)
    token = bearer(redeemed["token"])
    # Then it works until a second before, and is refused from then on
    clock.now = expires_at - timedelta(seconds=1)
    assert app_client.get("/v1/me", headers=token).json()["id"] == participant_id
    clock.now = expires_at
    refused = app_client.get("/v1/me", headers=token)
    assert (refused.status_code, problem_failures(refused, 401)) == (401, [])


def history(client: TestClient, participant_id: str, headers: dict[str, str]) -> list[tuple[str, str]]:
    """A participant's history as this caller reads it, once it includes everything stored: (type, actor role)."""
    at = service_of(client).store.position()
    response = client.get(f"/v1/participants/{participant_id}/history?after={at}", headers=headers)
    assert response.status_code == 200, response.text
    return [(item["type"], item["actor_role"]) for item in response.json()["items"]]


def test_deactivation_ends_every_token_at_once_and_the_histories_show_it(app_client: TestClient) -> None:
    # Given a mentee holding two tokens from two invitations, and the programme's auditor
    programme_id, coordinator = launch(app_client)
    _, auditor_token = enrol(app_client, coordinator, programme_id, "auditor", "Auditor")
    mentee_id, first_token = enrol(app_client, coordinator, programme_id, "mentee", "Mentee")
    second_token = created(redeem(app_client, invite(app_client, coordinator, mentee_id)["code"]))["token"]
    tokens, auditor = [bearer(first_token), bearer(second_token)], bearer(auditor_token)
    assert [app_client.get("/v1/me", headers=token).json()["id"] for token in tokens] == [mentee_id, mentee_id]
    # Then the mentee sees each invitation and redemption in their own history, as does the auditor
    credentials = [
        ("InvitationIssued", "coordinator"),
        ("InvitationRedeemed", "mentee"),
        ("InvitationIssued", "coordinator"),
        ("InvitationRedeemed", "mentee"),
    ]
    registered = [("ParticipantRegistered", "coordinator")]
    assert (
        history(app_client, mentee_id, tokens[1])
        == history(app_client, mentee_id, auditor)
        == [
            *registered,
            *credentials,
        ]
    )
    # When the coordinator deactivates the mentee
    created(app_client.post(f"/v1/participants/{mentee_id}/deactivation", headers=coordinator))
    # Then both tokens are refused at once, and the auditor sees the deactivation after the credentials
    for token in tokens:
        for path in ("/v1/me", f"/v1/participants/{mentee_id}/history"):
            refused = app_client.get(path, headers=token)
            assert (refused.status_code, problem_failures(refused, 401)) == (401, []), path
    assert history(app_client, mentee_id, auditor) == [
        *registered,
        *credentials,
        ("ParticipantDeactivated", "coordinator"),
    ]
