"""`GET /metrics` and the JSON log lines of a real `mentorat serve`, after a convention run over HTTP.

One server for the module (the embedded store, `MENTORAT_LOG_FORMAT=json`, every logger at DEBUG). A convention
runs through it with a unique marker in every content field, name and e-mail (`Marks`, as in
`tests/integration/confidential.py`), with refused requests carrying markers in the path, the query, a body's
field name, a bearer token and an `Idempotency-Key`. Then: requests are counted and timed by route template and
status, commands by name and outcome; and neither the whole `/metrics` text nor any log line holds a marker, an
id that was created, a token, a code or the idempotency key.
"""

from __future__ import annotations

import asyncio
import re
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from starlette.types import Message, Receive, Scope, Send

from api.app import create_app
from api.metrics import NO_ROUTE, Measured, Metrics, command_name
from api.routes import mentorships
from application.service import MentoratService
from bootstrap.service import build_service
from bootstrap.settings import Settings
from tests.api.conftest import bearer
from tests.api.observed import Server, json_lines, observed_server, scrape, value
from tests.conftest import STORES, postgres_url, require_postgres
from tests.integration.confidential import Marks
from tests.support import code_in, mail_directory, messages_to

UUID_SHAPE = re.compile(r"[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}")
REQUESTS, LATENCY, COMMANDS = (
    "mentorat_http_requests_total",
    "mentorat_http_request_duration_seconds",
    "mentorat_commands_total",
)


@dataclass
class Convention:
    """What the run created and sent: ids, secrets, and the server it ran on."""

    server: Server
    marks: Marks
    ids: set[str] = field(default_factory=set)
    secrets: set[str] = field(default_factory=set)
    programme_id: str = ""
    mentorship_id: str = ""


def created(answer: httpx.Response) -> dict[str, Any]:
    """The body of a 2xx."""
    assert answer.status_code in (200, 201), (answer.status_code, answer.text[:300])
    body: dict[str, Any] = answer.json()
    return body


def mailed(settings: Settings, address: str) -> str:
    """The code of the invitation the server e-mailed to an address (its delivery worker writes `.eml` files)."""
    deadline = time.monotonic() + 30
    while not (received := messages_to(mail_directory(settings), address)):
        assert time.monotonic() < deadline, "no invitation was delivered"
        time.sleep(0.05)
    return code_in(received[-1])


def join(client: httpx.Client, run: Convention, settings: Settings, coordinator: dict[str, str], who: str) -> str:
    """The coordinator registers and invites a marked participant over HTTP; they redeem the mailed code: a token."""
    marks = run.marks
    body = {"role": who, "name": marks.name(who), "email": marks.email(who), "language": "fr"}
    person = created(client.post(f"/v1/programmes/{run.programme_id}/participants", json=body, headers=coordinator))
    created(client.post(f"/v1/participants/{person['id']}/invitations", headers=coordinator))
    code = mailed(settings, marks.email(who))
    token = str(created(client.post("/v1/invitations/redemption", json={"code": code}))["token"])
    run.ids.add(person["id"])
    run.secrets |= {code, token}
    return token


def convention(run: Convention, service: MentoratService, settings: Settings) -> None:
    """A convention with every content field marked, its reads, and refused requests carrying markers."""
    marks, now = run.marks, datetime.now(UTC)
    first = service.participants.create_programme(
        marks.text("coordinator", "programme"), marks.name("coordinator"), marks.email("coordinator")
    )
    run.programme_id = pid = first["programme_id"]
    coordinator = bearer(first["coordinator_token"])
    run.ids |= {pid, str(first["coordinator_id"])}
    run.secrets.add(first["coordinator_token"])
    with httpx.Client(base_url=run.server.base, timeout=60) as client:
        mentor, mentee = (bearer(join(client, run, settings, coordinator, who)) for who in ("mentor", "mentee"))
        people = sorted(run.ids - {pid, str(first["coordinator_id"])})
        mentor_id = created(client.get("/v1/me", headers=mentor))["id"]
        mentee_id = next(p for p in people if p != mentor_id)
        starts_on = (date.today() - timedelta(days=30)).isoformat()
        draft = {"mentor_id": mentor_id, "mentee_id": mentee_id, "starts_on": starts_on}
        run.mentorship_id = mid = created(
            client.post(f"/v1/programmes/{pid}/mentorships", json=draft, headers=coordinator)
        )["id"]
        m = f"/v1/mentorships/{mid}"
        for who, headers in (("mentee", mentee), ("mentor", mentor)):
            objective = created(
                client.post(f"{m}/objectives", json={"text": marks.text(who, "objective")}, headers=headers)
            )
            run.ids.add(objective["objective_id"])
        for headers in (mentor, mentee):
            created(client.post(f"{m}/signatures", headers=headers))
        future = created(
            client.post(f"{m}/meetings", json={"scheduled_for": (now + timedelta(days=10)).isoformat()}, headers=mentee)
        )
        created(
            client.post(
                f"{m}/meetings/{future['meeting_id']}/agenda",
                json={"agenda": marks.text("mentee", "agenda")},
                headers=mentee,
            )
        )
        past = created(
            client.post(f"{m}/meetings", json={"scheduled_for": (now - timedelta(days=2)).isoformat()}, headers=mentee)
        )
        held_body = {
            "duration_minutes": 60,
            "notes": marks.text("mentor", "notes"),
            "next_meeting_for": (now + timedelta(days=20)).isoformat(),
        }
        held = created(client.post(f"{m}/meetings/{past['meeting_id']}/held", json=held_body, headers=mentor))
        cancellation = {"unavoidable": True, "note": marks.text("mentee", "cancellation")}
        created(client.post(f"{m}/meetings/{held['next_meeting_id']}/cancellation", json=cancellation, headers=mentee))
        run.ids |= {mid, future["meeting_id"], past["meeting_id"], held["next_meeting_id"]}
        created(
            client.post(
                f"{m}/satisfaction", json={"score": 4, "comment": marks.text("mentee", "comment")}, headers=mentee
            )
        )
        key = marks.text("mentor", "idempotency-key")
        run.secrets.add(key)
        satisfaction = {"score": 5, "comment": marks.text("mentor", "comment")}
        for _ in range(2):  # the second is the first answer again
            created(client.post(f"{m}/satisfaction", json=satisfaction, headers={**mentor, "Idempotency-Key": key}))
        dispute = created(
            client.post(f"{m}/disputes", json={"summary": marks.text("mentee", "summary")}, headers=mentee)
        )
        run.ids.add(dispute["dispute_id"])
        consult = {
            "topic": "dispute",
            "dispute_id": dispute["dispute_id"],
            "outcome": "not_reconciled",
            "note": marks.text("coordinator", "consult"),
        }
        created(client.post(f"{m}/consultations", json=consult, headers=coordinator))
        # Reads, the coordinator's and the parties'
        for path, headers in (
            (m, mentor),
            (f"{m}/history", mentee),
            (f"{m}/journal", mentor),
            (f"/v1/programmes/{pid}/report", coordinator),
            (f"/v1/programmes/{pid}/worklist", coordinator),
            (f"/v1/programmes/{pid}/participants", coordinator),
            (f"/v1/programmes/{pid}/mentorships", coordinator),
            ("/v1/me/mentorships", mentee),
        ):
            created(client.get(path, headers=headers))
        # Refused requests with markers where a caller can put them
        refusals = [
            client.post(f"{m}/objectives", json={"text": "x", marks.text("mentor", "field"): 1}, headers=mentor),
            client.get(f"/v1/mentorships/{marks.text('mentor', 'path-id')}", headers=mentor),
            client.get(f"/v1/{marks.text('mentor', 'unknown-path')}", headers=mentor),
            client.get(m, params={"after": marks.text("mentor", "query")}, headers=mentor),
            client.get(m, headers=bearer(marks.text("mentor", "token"))),
            client.post(f"{m}/signatures", headers=mentor),  # signed already: a rule refuses it
        ]
        assert [r.status_code for r in refusals] == [422, 404, 404, 422, 401, 409], [r.text[:200] for r in refusals]


@contextmanager
def module_store(store: str, directory: Path) -> Iterator[Settings]:
    """Settings for the module's store: SQLite in its directory, or PostgreSQL in a schema of its own, dropped after."""
    if store == "sqlite":
        yield Settings(data_dir=directory / "var", database_url=None)
        return
    require_postgres()
    schema = "mentorat_test_" + secrets.token_hex(6)
    with psycopg.connect(postgres_url(), autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    try:
        yield Settings(
            data_dir=directory / "var", database_url=postgres_url(), database_schema=schema, pool_size=2, max_overflow=2
        )
    finally:
        with psycopg.connect(postgres_url(), autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
            conn.execute(f"DROP SCHEMA IF EXISTS {schema}_keys CASCADE")


@pytest.fixture(scope="module", params=STORES)
def run(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Convention]:
    """The module's server on each store, and the convention run through it."""
    directory = tmp_path_factory.mktemp("metrics")
    env = {"MENTORAT_LOG_FORMAT": "json", "MENTORAT_LOG_LEVEL": "DEBUG"}
    with (
        module_store(request.param, directory) as settings,
        observed_server(settings, "observed", directory, **env) as server,
    ):
        service = build_service(settings)
        try:
            done = Convention(server, Marks())
            convention(done, service, settings)
            yield done
        finally:
            service.close()


def command_of(method: str, template: str) -> str:
    """The command name of the app's route of that method and template, as the app computes it."""
    app = create_app(Settings(data_dir=Path("unused")))  # routes only: the store opens in the lifespan
    name = command_name(next(r for r in app.state.metrics.routes if r.path == template and method in r.methods))
    assert name is not None
    return name


def test_requests_are_counted_by_route_template_method_and_status(run: Convention) -> None:
    samples = scrape(run.server.base)
    requests = samples[REQUESTS]
    # The route label is the matched route's template, never the path a caller sent
    signatures = "/v1/mentorships/{mentorship_id}/signatures"
    assert value(samples, REQUESTS, route=signatures, method="POST", status="201") == 2
    assert value(samples, REQUESTS, route=signatures, method="POST", status="409") == 1
    assert value(samples, REQUESTS, route="/v1/mentorships/{mentorship_id}", method="GET", status="200") == 1
    assert value(samples, REQUESTS, route="/v1/mentorships/{mentorship_id}", method="GET", status="404") == 1
    assert value(samples, REQUESTS, route=NO_ROUTE, method="GET", status="404") == 1
    templates = {route.path for route in create_app(Settings(data_dir=Path("unused"))).state.metrics.routes}
    assert {dict(labels)["route"] for labels in requests} <= templates | {NO_ROUTE}
    assert {dict(labels)["method"] for labels in requests} <= {"GET", "POST"}
    assert all(set(dict(labels)) == {"route", "method", "status"} for labels in requests)


def test_latency_is_a_histogram_per_route_template(run: Convention) -> None:
    samples = scrape(run.server.base)
    held = {"route": "/v1/mentorships/{mentorship_id}/meetings/{meeting_id}/held", "method": "POST"}
    assert value(samples, LATENCY + "_count", **held) == 1
    assert value(samples, LATENCY + "_sum", **held) > 0
    buckets = {
        dict(labels)["le"]: count for labels, count in samples[LATENCY + "_bucket"].items() if held.items() <= labels
    }
    assert buckets["+Inf"] == 1 and len(buckets) > 5
    assert sorted(buckets.values()) == [buckets[le] for le in sorted(buckets, key=float)]  # cumulative


def test_commands_are_counted_by_name_and_outcome(run: Convention) -> None:
    samples = scrape(run.server.base)
    sign = command_of("POST", "/v1/mentorships/{mentorship_id}/signatures")
    satisfaction = command_of("POST", "/v1/mentorships/{mentorship_id}/satisfaction")
    objective = command_of("POST", "/v1/mentorships/{mentorship_id}/objectives")
    assert value(samples, COMMANDS, command=sign, outcome="accepted") == 2
    assert value(samples, COMMANDS, command=sign, outcome="refused") == 1
    assert value(samples, COMMANDS, command=objective, outcome="refused") == 1  # the 422
    assert value(samples, COMMANDS, command=satisfaction, outcome="accepted") == 2
    assert value(samples, COMMANDS, command=satisfaction, outcome="replayed") == 1  # the same Idempotency-Key again
    names = {dict(labels)["command"] for labels in samples[COMMANDS]}
    assert {sign, satisfaction, objective} <= names
    assert not any("/" in name or "{" in name for name in names)


def test_no_marker_no_id_no_secret_in_the_metrics_or_the_logs(run: Convention) -> None:
    text = httpx.get(f"{run.server.base}/metrics", timeout=30).text
    assert run.marks.run not in text
    assert not [found for found in (*run.ids, *run.secrets) if found in text]
    assert not UUID_SHAPE.search(text), UUID_SHAPE.search(text)  # no id of any kind, in any spelling
    lines = json_lines(run.server.log)
    assert len(lines) > 30, "the server logged almost nothing: the check would be empty"
    leaking = [line for line in lines if run.marks.run in str(line)]
    assert not leaking, leaking[:3]
    assert not [secret for secret in run.secrets if secret in run.server.log.read_text()]


def test_every_log_line_is_one_json_object_with_time_level_logger_and_message(run: Convention) -> None:
    lines = json_lines(run.server.log)
    assert all({"time", "level", "logger", "message"} <= set(line) for line in lines), lines[:3]
    assert all(datetime.fromisoformat(line["time"]).tzinfo is not None for line in lines)
    loggers = {line["logger"] for line in lines}
    assert {"uvicorn.error", "mentorat.access"} <= loggers  # uvicorn's own lines and ours alike
    access = [line["message"] for line in lines if line["logger"] == "mentorat.access"]
    assert "GET /v1/mentorships/{mentorship_id} 200" in " ".join(access)


def test_a_command_whose_caller_left_before_any_answer_is_unanswered() -> None:
    metrics = Metrics()
    metrics.routes.extend(mentorships.router.routes)

    async def left(scope: Scope, receive: Receive, send: Send) -> None:
        """The route never answered (its caller disconnected)."""

    async def receive() -> Message:
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        raise AssertionError("nothing is sent")

    path = f"/v1/mentorships/{'0' * 8}-0000-0000-0000-{'0' * 12}/signatures"
    scope = {"type": "http", "method": "POST", "path": path, "headers": [], "query_string": b""}
    asyncio.run(Measured(left, metrics)(scope, receive, send))
    text = metrics.exposition().decode()
    signatures = "/v1/mentorships/{mentorship_id}/signatures"
    assert f'mentorat_http_requests_total{{method="POST",route="{signatures}",status="0"}} 1.0' in text
    assert f'mentorat_commands_total{{command="{command_of("POST", signatures)}",outcome="unanswered"}} 1.0' in text
