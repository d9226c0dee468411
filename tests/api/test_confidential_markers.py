"""Confidential text never leaves through logs, error bodies or headers (MISSION section 3, R9).

A unique marker is put in every content field, in accepted requests and in refused ones, with every logger at
DEBUG, against a real uvicorn server (so uvicorn's own error and access logs are part of what is checked). The
test's HTTP client logs through `httpx`/`httpcore`: those records are the client's, not the server's, and are left
out of the search.
"""

from __future__ import annotations

import json
import logging
import socket
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from api.app import create_app
from api.problems import INTERNAL_DETAIL
from application.service import MentoratService
from bootstrap.settings import Settings
from tests.api.conftest import FUTURE_MEETING, PAST_MEETING, PROBLEM_JSON, World, bearer, build_world, serve
from tests.support import FakeClock, ports

CLIENT_LOGGERS = ("httpx", "httpcore")
KNOWN_LOGGERS = (
    "uvicorn",
    "uvicorn.error",
    "uvicorn.access",
    "uvicorn.asgi",
    "fastapi",
    "starlette",
    "mentorat",
    "mentorat.api",
    "eventsourcing",
    "psycopg",
    "psycopg.pool",
    "asyncio",
    "anyio",
    "httpx",
    "httpcore",
)
FORMATTER = logging.Formatter("%(name)s %(levelname)s %(message)s")


def new_marker() -> str:
    return "confidential" + uuid.uuid4().hex


class Collector(logging.Handler):
    """Keeps every record it sees."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def logs(caplog: pytest.LogCaptureFixture) -> Iterator[Callable[[], list[logging.LogRecord]]]:
    """Every logger at DEBUG; answers every record emitted since (root's and non-propagating loggers')."""
    caplog.set_level(logging.DEBUG)
    names = {*KNOWN_LOGGERS, *logging.root.manager.loggerDict}
    saved = {name: logging.getLogger(name).level for name in names}
    collector = Collector()
    logging.root.addHandler(collector)
    hooked = []
    for name in names:
        logger = logging.getLogger(name)
        logger.setLevel(logging.DEBUG)
        if not logger.propagate:
            logger.addHandler(collector)
            hooked.append(logger)
    try:
        yield lambda: [*collector.records, *caplog.records]
    finally:
        logging.root.removeHandler(collector)
        for logger in hooked:
            logger.removeHandler(collector)
        for name, level in saved.items():
            logging.getLogger(name).setLevel(level)


def record_text(record: logging.LogRecord) -> str:
    """All a record could print: formatted message, exception text, stack, arguments and extra attributes."""
    text = FORMATTER.format(record)  # fills exc_text from exc_info
    extras = {k: v for k, v in vars(record).items() if k not in ("exc_info", "msg", "args")}
    return "\n".join([text, record.exc_text or "", record.stack_info or "", repr(record.args), repr(extras)])


def leaking_records(records: list[logging.LogRecord], marker: str) -> list[str]:
    return [record_text(r)[:500] for r in records if not r.name.startswith(CLIENT_LOGGERS) and marker in record_text(r)]


@dataclass
class Served:
    """The app under uvicorn, a client of it, the write side and the world."""

    app: FastAPI
    client: httpx.Client
    service: MentoratService
    world: World
    answers: list[httpx.Response]

    def post(self, path: str, body: Any = None, headers: dict[str, str] | None = None, **kw: Any) -> httpx.Response:
        """POST a JSON body (or `content=` bytes), keeping the answer for the final checks."""
        if body is not None:
            kw["content"] = json.dumps(body).encode()
        request_headers = {"Content-Type": "application/json", **(headers or {})}
        response = self.client.post(path, headers=request_headers, **kw)
        self.answers.append(response)
        return response


def no_delay() -> httpx.HTTPTransport:
    """A transport sending each request at once (Nagle's delay would cost ~40 ms a request on loopback)."""
    return httpx.HTTPTransport(socket_options=[(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)])


@pytest.fixture
def served(settings: Settings, clock: FakeClock, logs: Callable[[], list[logging.LogRecord]]) -> Iterator[Served]:
    app = create_app(settings, ports(clock))
    with serve(app) as base, httpx.Client(base_url=base, timeout=30, transport=no_delay()) as client:
        service: MentoratService = app.state.service
        yield Served(app, client, service, build_world(client, service, app), [])


def assert_no_leak(served: Served, records: list[logging.LogRecord], marker: str) -> None:
    """The marker is in no error body, no header, no command answer and no server log record."""
    assert served.answers
    for response in served.answers:
        assert marker not in response.text, (response.status_code, response.text[:300])
        assert all(marker not in f"{k}: {v}" for k, v in response.headers.items()), response.headers
    assert records, "no log record at all: the capture is broken"
    leaks = leaking_records(records, marker)
    assert not leaks, leaks


def refused(response: httpx.Response, status: int, slug: str) -> None:
    assert response.status_code == status, (status, response.status_code, response.text[:300])
    assert response.headers["content-type"] == PROBLEM_JSON
    assert response.json()["type"].endswith("/" + slug)


@dataclass(frozen=True)
class Field:
    """A content field: its command's path, actor, and the rest of a valid body."""

    name: str
    path: str
    who: str
    base: dict[str, Any]
    mistyped: dict[str, Any]  # another field with a wrong type (or the same field wrongly typed)


def content_fields(w: World) -> list[Field]:
    m = f"/v1/mentorships/{w.mentorship_id}"
    meeting = f"{m}/meetings/{w.meeting_id}"
    consult = {"topic": "dispute", "dispute_id": w.dispute_id, "outcome": "reconciled"}
    return [
        Field("text", f"{m}/objectives", "mentor", {}, {"text": 5}),
        Field("agenda", f"{meeting}/agenda", "mentee", {}, {"agenda": []}),
        Field("summary", f"{m}/disputes", "mentor", {}, {"summary": {}}),
        Field(
            "notes",
            f"{meeting}/held",
            "mentor",
            {"duration_minutes": 60, "held_at": PAST_MEETING},
            {"duration_minutes": "sixty"},
        ),
        Field("note", f"{meeting}/cancellation", "mentee", {"unavoidable": True}, {"unavoidable": "yes"}),
        Field("note", f"{m}/consultations", "coordinator", consult, {"outcome": 3}),
        Field("note", f"{m}/end", "mentee", {"reason": "other"}, {"reason": ["other"]}),
        Field("comment", f"{m}/satisfaction", "mentor", {"score": 4}, {"score": "4"}),
    ]


def test_markers_in_accepted_commands_never_leave(served: Served, logs: Callable[[], list[logging.LogRecord]]) -> None:
    w, marker = served.world, new_marker()
    m = f"/v1/mentorships/{w.mentorship_id}"
    ok = [
        served.post(f"{m}/objectives", {"text": marker}, w.mentor),
        served.post(f"{m}/meetings/{w.meeting_id}/agenda", {"agenda": marker}, w.mentee),
    ]
    past = served.post(f"{m}/meetings", {"scheduled_for": PAST_MEETING}, w.mentee)
    held = served.post(
        f"{m}/meetings/{past.json()['meeting_id']}/held",
        {"duration_minutes": 75, "notes": marker, "next_meeting_for": FUTURE_MEETING},
        w.mentor,
    )
    dispute = served.post(f"{m}/disputes", {"summary": marker}, w.mentee)
    ok += [
        past,
        held,
        dispute,
        served.post(
            f"{m}/meetings/{held.json()['next_meeting_id']}/cancellation",
            {"unavoidable": False, "note": marker},
            w.mentor,
        ),
        served.post(f"{m}/satisfaction", {"score": 2, "comment": marker}, w.mentee),
        served.post(
            f"{m}/consultations",
            {"topic": "dispute", "dispute_id": dispute.json()["dispute_id"], "outcome": "reconciled", "note": marker},
            w.coordinator,
        ),
        served.post(
            f"{m}/consultations", {"topic": "early_end", "outcome": "ending_agreed", "note": marker}, w.coordinator
        ),
        served.post(
            f"/v1/programmes/{w.programme_id}/participants",
            {"role": "mentee", "name": marker, "email": f"{marker}@example.org", "language": "en"},
            w.coordinator,
        ),
        served.post(f"{m}/end", {"reason": "no_longer_needed", "note": marker}, w.mentee),
    ]
    assert [r.status_code for r in ok] == [201] * len(ok), [(r.status_code, r.text[:200]) for r in ok]
    # refused by the rules, after the end
    refused(served.post(f"{m}/disputes", {"summary": marker}, w.mentor), 409, "relationship-ended")
    refused(served.post(f"{m}/end", {"reason": "other", "note": marker}, w.mentor), 409, "relationship-ended")
    refused(
        served.post(f"{m}/meetings/{w.meeting_id}/held", {"duration_minutes": 60, "notes": marker}, w.mentor),
        422,
        "validation-error",
    )
    assert_no_leak(served, logs(), marker)


def rejected_requests(served: Served, field: Field, marker: str) -> None:
    """Every way of refusing a request carrying the marker in this field."""
    w = served.world
    headers = w.headers(field.who)
    long_text = marker + "x" * 10_000
    body = {**field.base, field.name: marker}
    cases: list[tuple[httpx.Response, int, str]] = [
        (served.post(field.path, {**field.base, field.name: long_text}, headers), 422, "validation-error"),
        (
            served.post(field.path, {**field.base, field.name: marker, **field.mistyped}, headers),
            422,
            "validation-error",
        ),
        (served.post(field.path, {**body, "unexpected": 1}, headers), 422, "validation-error"),
        (
            served.post(field.path, {**field.base, field.name: "fine", "unexpected": marker}, headers),
            422,
            "validation-error",
        ),
        (served.post(field.path, {**body, marker: marker}, headers), 422, "validation-error"),
        (served.post(field.path, {**body, field.name: [marker]}, headers), 422, "validation-error"),
        (served.post(field.path, {**body, field.name: {marker: marker}}, headers), 422, "validation-error"),
        (served.post(field.path, headers=headers, content=json.dumps(body).encode()[:-3]), 422, "validation-error"),
        (served.post(field.path, headers=headers, content=b'{"' + marker.encode() + b'": "'), 422, "validation-error"),
        (
            served.post(field.path, headers={**headers, "Content-Type": "text/plain"}, content=marker.encode()),
            415,
            "unsupported-media-type",
        ),
        (served.post(field.path, body, {**headers, "If-Match": marker}), 412, "precondition-failed"),
        (served.post(field.path, body, {**headers, "If-Match": f'"{marker}"'}), 412, "precondition-failed"),
        (
            served.post(field.path, {**field.base, field.name: long_text}, {**headers, "If-Match": marker}),
            422,
            "validation-error",
        ),
        (served.post(field.path, body, {**headers, "If-Match": '"1"'}), 412, "precondition-failed"),
        (served.post(field.path, body, bearer(marker)), 401, "unauthenticated"),
        (served.post(field.path, body), 401, "unauthenticated"),
        (served.post(field.path, body, w.other_mentor), 404, "not-found"),
        (served.post(field.path, body, w.other_coordinator), 404, "not-found"),
        (served.post(field.path, body, w.auditor), 403, "forbidden"),
        (served.post(field.path, headers=headers, content=(marker * 10_000).encode()), 413, "payload-too-large"),
    ]
    for response, status, slug in cases:
        refused(response, status, slug)


def test_markers_in_refused_commands_never_leave(served: Served, logs: Callable[[], list[logging.LogRecord]]) -> None:
    marker = new_marker()
    before = served.service.store.position()
    for field in content_fields(served.world):
        rejected_requests(served, field, marker)
    assert served.service.store.position() == before
    assert len(served.answers) >= 8 * 20
    assert_no_leak(served, logs(), marker)


def test_a_marker_in_the_path_or_the_query_never_reaches_the_logs(
    served: Served, logs: Callable[[], list[logging.LogRecord]]
) -> None:
    """A path segment or a query string is request input too: it is in no answer and no server log."""
    w, marker = served.world, new_marker()
    m = f"/v1/mentorships/{w.mentorship_id}"
    refused(served.post(f"/v1/mentorships/{marker}/objectives", {"text": marker}, w.mentor), 404, "not-found")
    refused(served.post(f"{m}/meetings/{marker}/agenda", {"agenda": marker}, w.mentee), 404, "not-found")
    refused(served.post(f"{m}/objectives/{marker}/assessments", {"status": "attained"}, w.mentor), 404, "not-found")
    refused(served.post(f"/v1/{marker}", {"text": marker}, w.mentor), 404, "not-found")
    refused(served.post(f"{m}/objectives?note={marker}", {"text": 5}, w.mentor), 422, "validation-error")
    assert_no_leak(served, logs(), marker)


def test_an_unexpected_error_is_a_bare_500_and_its_message_is_not_logged(
    served: Served, logs: Callable[[], list[logging.LogRecord]], monkeypatch: pytest.MonkeyPatch
) -> None:
    marker = new_marker()

    def explode(*_: Any, **__: Any) -> Any:
        raise RuntimeError(f"the driver said: {marker}")

    monkeypatch.setattr(served.service.mentorships, "schedule_meeting", explode)
    w = served.world
    response = served.post(f"/v1/mentorships/{w.mentorship_id}/meetings", {"scheduled_for": FUTURE_MEETING}, w.mentee)
    assert response.status_code == 500
    assert response.headers["content-type"] == PROBLEM_JSON
    body = response.json()
    assert body["type"].endswith("/internal-error")
    assert body["status"] == 500
    assert body["detail"] == INTERNAL_DETAIL  # one fixed sentence: nothing of the error itself
    assert marker not in response.text
    records = logs()
    assert any(r.name == "mentorat.api" and "RuntimeError" in r.getMessage() for r in records), "the 500 is not logged"
    # the server stays up and answers the next request normally
    assert served.client.get("/healthz").json() == {"status": "ok"}
    assert_no_leak(served, records, marker)
