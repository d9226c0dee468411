"""The read side holds and answers process facts only (MISSION sections 3 and 4, R9, R11), on both stores.

One programme is walked through the HTTP API of a real uvicorn server with every logger at DEBUG. A unique
marker goes into every content field of every command that has one (`text`, `agenda`, `notes`, `summary`,
`note` of a cancellation, a consultation and an end, `comment`), in accepted requests and in refused ones (401,
403, 404, 409, 412, 415, 422), and every participant's name and e-mail is a marker of its own. Then:

1. every row of every read-model table (and of each read model's tracking table) is free of both kinds of
   marker, and the store holds no table besides the event store's and the listed read-model tables;
2. every query endpoint, called by every role that may call it and by those that may not (JSON and CSV,
   with `?from`/`?to`, every page of the lists), answers content only in the parties' journal (which does carry
   each accepted text), a name only to its owner (`/v1/me`) and to the coordinator's participants list, and
   neither in any error body or header;
3. no server log record (uvicorn, the API, the projectors, the drivers) carries a marker;
4. after a rebuild as `mentorat projections rebuild` does it, the tables are again free of markers (and equal
   to what the followers maintained incrementally).
"""

from __future__ import annotations

import json
import logging
import socket
import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

import httpx

from api.app import create_app
from application.service import MentoratService
from bootstrap.read_side import NAMES, ReadSide
from bootstrap.service import build_service
from bootstrap.settings import Settings
from infrastructure.access_index_tables import INDEX_TABLES
from infrastructure.audit.chain_sql import CHAIN, CHECKPOINTS, VERIFICATIONS
from infrastructure.idempotency_ledger import TABLE as IDEMPOTENCY_TABLE
from infrastructure.outbox_table import OUTBOX
from infrastructure.recent_reads import RECENT_READS
from infrastructure.web_sessions import WEB_SESSIONS
from tests.api.conftest import FUTURE_MEETING, PAST_MEETING, PROBLEM_JSON, START, bearer, mailed, serve
from tests.support import FakeClock, ports

CLIENT_LOGGERS = ("httpx", "httpcore")  # the test's own client (it logs the URLs it calls): quiet, and not searched
KNOWN_LOGGERS = (
    "uvicorn", "uvicorn.error", "uvicorn.access", "uvicorn.asgi", "fastapi", "starlette", "mentorat",
    "mentorat.api", "mentorat.access", "mentorat.projections", "eventsourcing", "psycopg", "psycopg.pool",
    "asyncio", "anyio",
)  # fmt: skip
FORMATTER = logging.Formatter("%(name)s %(levelname)s %(message)s")
LATE_MEETING = "2026-01-04T15:00:00+00:00"  # past and left open: an agenda for it is too late
NEXT_MEETING = "2026-02-03T15:00:00+00:00"
RESCHEDULED = "2026-01-21T15:00:00+00:00"
# Where the journal shows a note or a comment: its entry's type.
CANCELLED, CONSULTED, ENDED, SATISFACTION = (
    "MeetingCancelled", "CoordinatorConsulted", "RelationshipEnded", "SatisfactionReported",
)  # fmt: skip


# -- markers ----------------------------------------------------------------------------------------------------


@dataclass
class Marks:
    """The two markers of a run: one prefixes every content text, the other every name and e-mail."""

    content: str = field(default_factory=lambda: "cf" + uuid.uuid4().hex)  # 34 characters: fits any query param
    personal: str = field(default_factory=lambda: "pd" + uuid.uuid4().hex)
    accepted: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # mentorship id -> (place, text)

    def text(self, label: str) -> str:
        return f"{self.content}-{label}-"

    def name(self, who: str) -> str:
        return f"{self.personal}-name-{who}-"

    def email(self, who: str) -> str:
        return f"{self.personal}-mail-{who}@example.org"

    def written(self, mentorship_id: str, place: str, label: str) -> str:
        """A text that an accepted command stores in this mentorship's events, and where its journal shows it."""
        value = self.text(label)
        self.accepted.setdefault(mentorship_id, []).append((place, value))
        return value

    def texts(self, mentorship_id: str) -> list[str]:
        """The texts of a mentorship's accepted commands."""
        return [value for _, value in self.accepted[mentorship_id]]

    def found_in(self, text: str, allowed: Iterable[str] = ()) -> list[str]:
        """The markers in `text` once the allowed strings are taken out."""
        for value in allowed:
            text = text.replace(value, "")
        return [marker for marker in (self.content, self.personal) if marker in text]


# -- logs -------------------------------------------------------------------------------------------------------


class Collector(logging.Handler):
    """Keeps every record it sees."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@contextmanager
def every_log_record() -> Iterator[Collector]:
    """Every logger at DEBUG (but the test client's own), every record (propagating or not) kept; levels restored."""
    names = {"", *KNOWN_LOGGERS, *logging.root.manager.loggerDict}
    saved = {name: logging.getLogger(name).level for name in names}
    collector = Collector()
    logging.root.addHandler(collector)
    hooked = []
    for name in names:
        logger = logging.getLogger(name)
        logger.setLevel(logging.WARNING if name.startswith(CLIENT_LOGGERS) else logging.DEBUG)
        if name and not logger.propagate:
            logger.addHandler(collector)
            hooked.append(logger)
    try:
        yield collector
    finally:
        logging.root.removeHandler(collector)
        for logger in hooked:
            logger.removeHandler(collector)
        for name, level in saved.items():
            logging.getLogger(name).setLevel(level)


def record_text(record: logging.LogRecord) -> str:
    """All a record could print: formatted message, exception text, stack, arguments and extra attributes."""
    text = FORMATTER.format(record)
    extras = {k: v for k, v in vars(record).items() if k not in ("exc_info", "msg", "args")}
    return "\n".join([text, record.exc_text or "", record.stack_info or "", repr(record.args), repr(extras)])


# -- the HTTP session -------------------------------------------------------------------------------------------


@dataclass
class Session:
    """A client of the served app that checks every answer for markers as it comes."""

    client: httpx.Client
    marks: Marks
    app: Any = None  # the served app: its mail sink holds the invitations' codes
    answers: int = 0

    def send(
        self,
        method: str,
        path: str,
        who: dict[str, str] | None,
        body: Any = None,
        *,
        expect: int | tuple[int, ...] = 201,
        slug: str | None = None,
        content: bytes | None = None,
        headers: dict[str, str] | None = None,
        params: dict[str, Any] | None = None,
        allowed: Sequence[str] = (),
    ) -> httpx.Response:
        """Send, check the status (and the problem's slug), and that no marker is in the answer but `allowed`."""
        request_headers = {**(who or {}), **(headers or {})}
        if method == "POST":  # every command also leaves an idempotency record, which must hold no marker either
            request_headers.setdefault("Idempotency-Key", f"confidentiality-{self.answers}")
        if body is not None:
            content = json.dumps(body).encode()
        if content is not None:
            request_headers.setdefault("Content-Type", "application/json")
        response = self.client.request(method, path, headers=request_headers, content=content, params=params)
        self.answers += 1
        where = f"{method} {path} {params or ''}"
        statuses = (expect,) if isinstance(expect, int) else expect
        assert response.status_code in statuses, (where, response.status_code, response.text[:300])
        if response.status_code >= 400:
            assert response.headers["content-type"] == PROBLEM_JSON, (where, response.headers)
            if slug is not None:
                assert response.json()["type"].endswith("/" + slug), (where, response.text[:300])
        leaks = self.marks.found_in(response.text, allowed)
        assert not leaks, (where, response.status_code, leaks, response.text[:500])
        for key, value in response.headers.items():
            assert not self.marks.found_in(f"{key}: {value}"), (where, key, value)
        return response

    def post(self, path: str, who: dict[str, str] | None, body: Any = None, **kw: Any) -> dict[str, Any]:
        """A command; its JSON answer."""
        answer: dict[str, Any] = self.send("POST", path, who, body, **kw).json()
        return answer

    def get(self, path: str, who: dict[str, str] | None, **kw: Any) -> httpx.Response:
        kw.setdefault("expect", 200)
        return self.send("GET", path, who, **kw)


def no_delay() -> httpx.HTTPTransport:
    """A transport sending each request at once (Nagle's delay would cost ~40 ms a request on loopback)."""
    return httpx.HTTPTransport(socket_options=[(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)])


# -- the scenario -----------------------------------------------------------------------------------------------


@dataclass
class World:
    """Ids and tokens of the walk."""

    pid: str
    other_pid: str
    ids: dict[str, str]  # who -> participant id
    tokens: dict[str, dict[str, str]]  # who -> auth header
    programme_people: list[str]  # who, of the first programme
    a: str = ""  # active: meetings, disputes, a consultation, satisfaction, a disclosure
    b: str = ""  # ended early, after a consultation; satisfaction after the end
    c: str = ""  # awaiting signatures
    meetings: dict[str, str] = field(default_factory=dict)
    disputes: dict[str, str] = field(default_factory=dict)
    objective: str = ""
    position: int = 0

    def parties(self, mentorship_id: str) -> tuple[str, str]:
        return {
            self.a: ("mentor", "mentee"),
            self.b: ("othermentor", "othermentee"),
            self.c: ("mentor", "thirdmentee"),
        }[mentorship_id]


def enrol(s: Session, w: World, who: str, role: str) -> None:
    """Register (name and e-mail are markers), invite and redeem (an auditor: the operator registers and invites)."""
    coordinator = w.tokens["coordinator"]
    if role == "auditor":
        people = s.app.state.service.participants
        registered = people.register_as_operator(UUID(w.pid), role, s.marks.name(who), s.marks.email(who), "en")
        participant_id = str(registered.aggregate_id)
        code = people.invite_as_operator(registered.aggregate_id).data["code"]
    else:
        body = {"role": role, "name": s.marks.name(who), "email": s.marks.email(who), "language": "en"}
        participant_id = s.post(f"/v1/programmes/{w.pid}/participants", coordinator, body)["id"]
        s.post(f"/v1/participants/{participant_id}/invitations", coordinator)
        code = mailed(s.app, s.marks.email(who))
    redeemed = s.post("/v1/invitations/redemption", None, {"code": code})
    w.ids[who], w.tokens[who] = participant_id, bearer(redeemed["token"])
    w.programme_people.append(who)


def build(s: Session, service: MentoratService) -> World:
    """The accepted commands: every content field, on three mentorships in three states."""
    marks = s.marks
    first = service.participants.create_programme(
        "Programme", marks.name("coordinator"), marks.email("coordinator")
    )  # what `mentorat programme create --coordinator-name --coordinator-email` does
    second = service.participants.create_programme(
        "Other programme", marks.name("othercoordinator"), marks.email("othercoordinator")
    )
    w = World(
        pid=first["programme_id"],
        other_pid=second["programme_id"],
        ids={"coordinator": first["coordinator_id"], "othercoordinator": second["coordinator_id"]},
        tokens={
            "coordinator": bearer(first["coordinator_token"]),
            "othercoordinator": bearer(second["coordinator_token"]),
        },
        programme_people=["coordinator"],
    )
    for who, role in (
        ("mentor", "mentor"), ("mentee", "mentee"), ("auditor", "auditor"), ("othermentor", "mentor"),
        ("othermentee", "mentee"), ("thirdmentee", "mentee"), ("leaver", "mentee"),
    ):  # fmt: skip
        enrol(s, w, who, role)
    t, coordinator = w.tokens, w.tokens["coordinator"]
    s.post(f"/v1/participants/{w.ids['leaver']}/deactivation", coordinator)

    def draft(mentor: str, mentee: str) -> str:
        body = {"mentor_id": w.ids[mentor], "mentee_id": w.ids[mentee], "starts_on": START}
        return str(s.post(f"/v1/programmes/{w.pid}/mentorships", coordinator, body)["id"])

    # A: active, with every kind of text.
    w.a = draft("mentor", "mentee")
    a = f"/v1/mentorships/{w.a}"
    w.objective = s.post(f"{a}/objectives", t["mentor"], {"text": marks.written(w.a, "text", "a-objective-mentor")})[
        "objective_id"
    ]
    s.post(f"{a}/objectives", t["mentee"], {"text": marks.written(w.a, "text", "a-objective-mentee")})
    s.post(f"{a}/signatures", t["mentor"])
    assert s.post(f"{a}/signatures", t["mentee"])["status"] == "active"
    upcoming = s.post(f"{a}/meetings", t["mentee"], {"scheduled_for": FUTURE_MEETING})["meeting_id"]
    s.post(f"{a}/meetings/{upcoming}/agenda", t["mentee"], {"agenda": marks.written(w.a, "agenda", "a-agenda")})
    s.post(f"{a}/meetings/{upcoming}/reschedule", t["mentor"], {"scheduled_for": RESCHEDULED})
    past = s.post(f"{a}/meetings", t["mentee"], {"scheduled_for": PAST_MEETING})["meeting_id"]
    held = {"duration_minutes": 75, "notes": marks.written(w.a, "notes", "a-notes"), "next_meeting_for": NEXT_MEETING}
    following = s.post(f"{a}/meetings/{past}/held", t["mentor"], held)["next_meeting_id"]
    cancellation = {"unavoidable": False, "note": marks.written(w.a, CANCELLED, "a-cancellation-note")}
    s.post(f"{a}/meetings/{following}/cancellation", t["mentee"], cancellation)
    late = s.post(f"{a}/meetings", t["mentor"], {"scheduled_for": LATE_MEETING})["meeting_id"]
    w.meetings = {"upcoming": upcoming, "held": past, "cancelled": following, "late": late}
    s.post(f"{a}/objectives/{w.objective}/assessments", t["mentee"], {"status": "attained"})
    for who, score in (("mentor", 4), ("mentee", 2)):
        comment = marks.written(w.a, SATISFACTION, f"a-comment-{who}")
        s.post(f"{a}/satisfaction", t[who], {"score": score, "comment": comment})
    settled = s.post(f"{a}/disputes", t["mentee"], {"summary": marks.written(w.a, "summary", "a-dispute-settled")})
    still_open = s.post(f"{a}/disputes", t["mentor"], {"summary": marks.written(w.a, "summary", "a-dispute-open")})
    w.disputes = {"settled": settled["dispute_id"], "open": still_open["dispute_id"]}
    consultation = {
        "topic": "dispute", "dispute_id": w.disputes["settled"], "outcome": "not_reconciled",
        "note": marks.written(w.a, CONSULTED, "a-consultation-note"),
    }  # fmt: skip
    s.post(f"{a}/consultations", coordinator, consultation)
    s.post(f"{a}/disputes/{w.disputes['settled']}/settlement", t["mentor"])
    s.post(f"{a}/disclosures", t["mentor"], {"basis": "danger_to_self_or_others", "authority": "police"})

    # B: ended early after a consultation about ending; a satisfaction report after the end.
    w.b = draft("othermentor", "othermentee")
    b = f"/v1/mentorships/{w.b}"
    s.post(f"{b}/objectives", t["othermentee"], {"text": marks.written(w.b, "text", "b-objective")})
    s.post(f"{b}/signatures", t["othermentee"])
    s.post(f"{b}/signatures", t["othermentor"])
    note = marks.written(w.b, CONSULTED, "b-consultation-note")
    early_end = {"topic": "early_end", "outcome": "ending_agreed", "note": note}
    s.post(f"{b}/consultations", coordinator, early_end)
    ending = {"reason": "relational_difficulties", "note": marks.written(w.b, ENDED, "b-end-note")}
    s.post(f"{b}/end", t["othermentee"], ending)
    after_end = {"score": 3, "comment": marks.written(w.b, SATISFACTION, "b-comment")}
    s.post(f"{b}/satisfaction", t["othermentor"], after_end)

    # C: awaiting signatures.
    w.c = draft("mentor", "thirdmentee")
    s.post(f"/v1/mentorships/{w.c}/objectives", t["thirdmentee"], {"text": marks.written(w.c, "text", "c-objective")})
    w.position = service.store.position()
    return w


@dataclass(frozen=True)
class Field:
    """A content field of a command: where it goes, who may send it, the rest of a valid body, a mistyped field."""

    name: str
    path: str
    who: str
    base: dict[str, Any]
    mistyped: dict[str, Any]
    wrong_role: str  # a role that sees the mentorship but may not send this: 403
    refused_by_rule: tuple[str, str, dict[str, Any], str]  # path, who, rest of the body, slug of the 409


def content_fields(w: World) -> list[Field]:
    a, b, c = (f"/v1/mentorships/{m}" for m in (w.a, w.b, w.c))
    meetings = {name: f"{a}/meetings/{mid}" for name, mid in w.meetings.items()}
    dispute = {"topic": "dispute", "dispute_id": w.disputes["open"], "outcome": "reconciled"}
    closed_dispute = {**dispute, "dispute_id": w.disputes["settled"]}
    return [
        Field(
            "text", f"{a}/objectives", "mentor", {}, {"text": 5}, "auditor",
            (f"{b}/objectives", "othermentor", {}, "relationship-ended"),
        ),
        Field(
            "agenda", f"{meetings['upcoming']}/agenda", "mentee", {}, {"agenda": []}, "mentor",
            (f"{meetings['late']}/agenda", "mentee", {}, "agenda-too-late"),
        ),
        Field(
            "summary", f"{a}/disputes", "mentee", {}, {"summary": {}}, "coordinator",
            (f"{b}/disputes", "othermentee", {}, "relationship-ended"),
        ),
        Field(
            "notes", f"{meetings['late']}/held", "mentor", {"duration_minutes": 60}, {"duration_minutes": "sixty"},
            "auditor", (f"{meetings['held']}/held", "mentee", {"duration_minutes": 60}, "meeting-already-closed"),
        ),
        Field(
            "note", f"{meetings['late']}/cancellation", "mentee", {"unavoidable": True}, {"unavoidable": "yes"},
            "coordinator",
            (f"{meetings['cancelled']}/cancellation", "mentor", {"unavoidable": True}, "meeting-already-closed"),
        ),
        Field(
            "note", f"{a}/consultations", "coordinator", dispute, {"outcome": 3}, "mentor",
            (f"{a}/consultations", "coordinator", closed_dispute, "dispute-not-open"),
        ),
        Field(
            "note", f"{a}/end", "mentee", {"reason": "other"}, {"reason": ["other"]}, "auditor",
            (f"{a}/end", "mentor", {"reason": "no_longer_needed"}, "coordinator-consultation-required"),
        ),
        Field(
            "comment", f"{a}/satisfaction", "mentor", {"score": 4}, {"score": "4"}, "coordinator",
            (f"{c}/satisfaction", "thirdmentee", {"score": 5}, "convention-not-signed"),
        ),
    ]  # fmt: skip


def refuse_everything(s: Session, w: World) -> None:
    """Requests carrying markers that are refused: they store nothing and echo nothing."""
    t, marker = w.tokens, s.marks.text("refused")
    for f in content_fields(w):
        body = {**f.base, f.name: marker}
        mine = t[f.who]
        rule_path, rule_who, rule_base, rule_slug = f.refused_by_rule
        cases: list[tuple[str, dict[str, str] | None, Any, dict[str, Any], int, str]] = [
            (f.path, mine, {**f.base, f.name: marker + "x" * 10_000}, {}, 422, "validation-error"),
            (f.path, mine, {**body, **f.mistyped}, {}, 422, "validation-error"),
            (f.path, mine, {**body, marker: marker}, {}, 422, "validation-error"),
            (f.path, mine, body, {"If-Match": '"1"'}, 412, "precondition-failed"),
            (f.path, t[f.wrong_role], body, {}, 403, "forbidden"),
            (f.path, t["othermentor"], body, {}, 404, "not-found"),
            (f.path, t["othercoordinator"], body, {}, 404, "not-found"),
            (f.path, bearer(marker), body, {}, 401, "unauthenticated"),
            (f.path.replace(w.a, marker), mine, body, {}, 404, "not-found"),
            (rule_path, t[rule_who], {**rule_base, f.name: marker}, {}, 409, rule_slug),
        ]
        for path, who, sent, headers, status, slug in cases:
            s.send("POST", path, who, sent, headers=headers, expect=status, slug=slug)
    f = content_fields(w)[0]
    plain = {"Content-Type": "text/plain"}
    s.send("POST", f.path, t[f.who], content=marker.encode(), headers=plain, expect=415, slug="unsupported-media-type")
    truncated = json.dumps({f.name: marker}).encode()[:-2]
    s.send("POST", f.path, t[f.who], content=truncated, expect=422, slug="validation-error")
    s.send("POST", f.path, None, {f.name: marker}, expect=401, slug="unauthenticated")
    # After the end of B, texts are refused by the rules too.
    b = f"/v1/mentorships/{w.b}"
    s.send(
        "POST", f"{b}/end", t["othermentor"], {"reason": "other", "note": marker}, expect=409, slug="relationship-ended"
    )
    # Personal data in refused registrations, and a code nobody issued.
    people = f"/v1/programmes/{w.pid}/participants"
    person = {"role": "mentee", "name": s.marks.name("refused"), "email": s.marks.email("refused"), "language": "en"}
    for who, sent, status in (
        (t["coordinator"], {**person, "language": "de"}, 422),
        (t["coordinator"], {**person, "email": s.marks.name("refused")}, 422),
        (t["coordinator"], {**person, "name": s.marks.name("refused") + "x" * 300}, 422),
        (t["coordinator"], {**person, s.marks.name("refused"): 1}, 422),
        (t["mentor"], person, 403),
        (t["othercoordinator"], person, 404),
        (None, person, 401),
    ):
        s.send("POST", people, who, sent, expect=status)
    s.send("POST", "/v1/invitations/redemption", None, {"code": marker}, expect=404, slug="not-found")


# -- the reads --------------------------------------------------------------------------------------------------


def read_everything(s: Session, w: World) -> None:
    """Every query endpoint, by every role, with what each answer may carry."""
    t, marks, after = w.tokens, s.marks, {"after": w.position}
    everyone = [who for who in t if who != "leaver"]  # a deactivated participant's token no longer works
    programme_roles = {"coordinator", "auditor", "othercoordinator"}

    for who in everyone:
        me = s.get("/v1/me", t[who], allowed=[marks.name(who)])
        assert me.json()["name"] == marks.name(who)
    s.get("/v1/me", t["leaver"], expect=401)

    for mid in (w.a, w.b, w.c):
        m = f"/v1/mentorships/{mid}"
        parties = w.parties(mid)
        outsiders = [who for who in everyone if who not in (*parties, "coordinator", "auditor")]
        callers = everyone if mid == w.a else [*parties, "coordinator", "auditor", outsiders[0], "othercoordinator"]
        for who in callers:
            sees = who in parties or who in ("coordinator", "auditor")
            status = 200 if sees else 404
            summary = s.get(m, t[who], params=after, expect=status)
            history = s.get(f"{m}/history", t[who], params=after, expect=status)
            if sees:
                assert summary.json()["id"] == mid
                assert history.json()["items"]
            journal_status = 200 if who in parties else 403 if sees else 404
            journal = s.get(f"{m}/journal", t[who], expect=journal_status, allowed=marks.texts(mid))
            if journal_status == 200:
                missing = set(marks.accepted[mid]) - journal_places(journal.json())
                assert not missing, ("the journal lacks accepted texts where they belong", missing)
    a = f"/v1/mentorships/{w.a}"
    s.get(a, t["coordinator"], params={"after": marks.content}, expect=422, slug="validation-error")
    s.get(f"{a}/history", t["auditor"], params={"after": -1}, expect=422, slug="validation-error")
    for path in ("", "/history", "/journal"):
        s.get(a + path, None, expect=401, slug="unauthenticated")
        s.get(a + path, bearer(marks.content), expect=401, slug="unauthenticated")
        s.get(f"/v1/mentorships/{marks.content}{path}", t["mentor"], expect=404)
        s.get(f"/v1/mentorships/{uuid.uuid4()}{path}", t["mentor"], expect=404)

    for who in everyone:
        mine = s.get("/v1/me/mentorships", t[who], params=after, expect=403 if who in programme_roles else 200)
        if who == "mentor":
            assert {item["id"] for item in mine.json()["items"]} == {w.a, w.c}

    p = f"/v1/programmes/{w.pid}"
    for who in everyone:
        overseer = who in ("coordinator", "auditor")
        outsider = who == "othercoordinator"
        coordinator = who == "coordinator"
        denied = 404 if outsider else 403
        pages(s, f"{p}/mentorships", t[who], after, 200 if overseer else denied, ())
        listed = [marks.name(x) for x in w.programme_people] + [marks.email(x) for x in w.programme_people]
        people = pages(s, f"{p}/participants", t[who], after, 200 if coordinator else denied, listed)
        if coordinator:
            absent = [value for value in listed if value not in people]
            assert not absent, ("the participants list lacks names or e-mails", absent)
        s.get(f"{p}/worklist", t[who], params=after, expect=200 if coordinator else denied)
        pages(s, f"{p}/access-log", t[who], after, 200 if who == "auditor" else denied, ())
        if not overseer:
            s.get(f"{p}/report", t[who], params={**after, "format": "csv"}, expect=denied)
            continue
        for query in (
            {},
            {"format": "csv"},
            {"format": "json"},
            {"from": "2026-01-01", "to": "2026-02-01"},
            {"from": "2026-01-01", "to": "2026-02-01", "format": "csv"},
            {"from": "2026-01-01T00:00:00-05:00", "to": "2026-03-01T00:00:00-05:00", "format": "csv"},
            {"to": "2026-01-04"},
        ):
            report = s.get(f"{p}/report", t[who], params={**after, **query})
            if query.get("format") == "csv":
                assert report.headers["content-type"].startswith("text/csv")
                assert report.text.startswith("metric,value\n")
            else:
                assert report.json()["meetings_held"] == 1  # the scene's one meeting held, in every window here
    worklist = s.get(f"{p}/worklist", t["coordinator"]).json()["items"]
    assert w.a in {item["mentorship_id"] for item in worklist}
    for path in ("mentorships", "participants", "worklist", "report", "access-log"):
        s.get(f"{p}/{path}", None, expect=401)
        s.get(f"/v1/programmes/{marks.content}/{path}", t["coordinator"], expect=404)
    for query in (
        {"from": marks.content},
        {"to": marks.content},
        {"from": "2026-01-01", "to": marks.content[:10]},
        {"from": "2026-01-01T00:00:00", "to": "2026-02-01"},
        {"from": "2026-02-01", "to": "2026-01-01"},
        {"format": marks.content},
    ):
        s.get(f"{p}/report", t["coordinator"], params=query, expect=422, slug="validation-error")
    for query in ({"cursor": marks.content}, {"limit": marks.content}, {"limit": "101"}):
        s.get(f"{p}/mentorships", t["coordinator"], params=query, expect=422, slug="validation-error")
        s.get(f"{p}/participants", t["coordinator"], params=query, expect=422, slug="validation-error")
        s.get(f"{p}/access-log", t["auditor"], params=query, expect=422, slug="validation-error")
    # A position beyond the store's: refused at once, and the refusal echoes nothing
    s.get(f"{p}/worklist", t["coordinator"], params={"after": 2**40}, expect=422, slug="validation-error")

    for subject, callers in (
        ("mentee", everyone),
        ("coordinator", ["coordinator", "auditor", "mentor", "othercoordinator"]),
        ("leaver", ["coordinator", "auditor", "mentee", "othercoordinator"]),
        ("othercoordinator", ["othercoordinator", "coordinator", "auditor", "mentor"]),
    ):
        h = f"/v1/participants/{w.ids[subject]}/history"
        for who in callers:
            if who == subject:
                expect: int | tuple[int, ...] = 200
            elif "othercoordinator" in (who, subject):
                expect = 404  # another programme: out of scope
            elif who in ("coordinator", "auditor"):
                expect = 200
            else:
                expect = (403, 404)  # a fellow participant: whether they "see" each other is the contract's call
            history = s.get(h, t[who], params=after, expect=expect)
            if history.status_code == 200:
                assert history.json()["items"]
    s.get(f"/v1/participants/{marks.content}/history", t["coordinator"], expect=404)
    s.get(f"/v1/participants/{w.ids['mentee']}/history", None, expect=401)


def journal_places(journal: dict[str, Any]) -> set[tuple[str, str]]:
    """Each text of a journal with its place: the field of a meeting, objective or dispute, or the entry's type."""
    places = set()
    for meeting in journal["meetings"]:
        places |= {("agenda", meeting["agenda"]), ("notes", meeting["notes"])}
    places |= {("text", objective["text"]) for objective in journal["objectives"]}
    places |= {("summary", dispute["summary"]) for dispute in journal["disputes"]}
    places |= {(entry["type"], entry["text"]) for entry in journal["entries"]}
    return places


def pages(
    s: Session, path: str, who: dict[str, str], after: dict[str, int], status: int, allowed: Sequence[str]
) -> str:
    """Every page of a list, three items at a time; their texts joined."""
    texts, params = [], {**after, "limit": 3}
    while True:
        response = s.get(path, who, params=params, expect=status, allowed=allowed)
        texts.append(response.text)
        cursor = response.json().get("next_cursor") if status == 200 else None
        if cursor is None:
            return "\n".join(texts)
        params = {"limit": 3, "cursor": cursor}


# -- the read models --------------------------------------------------------------------------------------------


# the store's own
STORE_TABLES = {IDEMPOTENCY_TABLE, CHAIN, CHECKPOINTS, VERIFICATIONS, OUTBOX, RECENT_READS, WEB_SESSIONS, *INDEX_TABLES}


def dump(read_side: ReadSide, events_table: str) -> dict[str, list[str]]:
    """Every row of every table of the store but the events': the read models', the idempotency records, the chain."""
    listed = {table.name for view in read_side.views.values() for table in view.model.tables}
    listed |= {view.tracking_table for view in read_side.views.values()}
    view = read_side.views[NAMES[0]]
    if read_side.postgres:
        found = view.query(
            "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema()"
        )
    else:
        found = view.query("SELECT name FROM sqlite_master WHERE type = 'table'")
    names = {str(row["name"]) for row in found} - {events_table}
    assert names - STORE_TABLES == listed, ("tables outside the read models' lists", names ^ listed)
    return {
        name: sorted(json.dumps(row, sort_keys=True, default=str) for row in view.query(f"SELECT * FROM {name}"))
        for name in sorted(names)
    }


def assert_tables_clean(tables: dict[str, list[str]], marks: Marks, w: World) -> None:
    leaks = {name: [row for row in rows if marks.found_in(row)] for name, rows in tables.items()}
    assert not any(leaks.values()), leaks
    assert len(tables["summary_mentorship"]) == 3
    assert len(tables["directory_participant"]) == len(w.programme_people) + 1  # and the other coordinator
    assert len(tables["timeline_entry"]) > 50
    empty = [name for name, rows in tables.items() if not rows and name not in STORE_TABLES]
    assert not empty, empty  # every read model's table was exercised (checkpoints may not be written yet)


# -- the test ---------------------------------------------------------------------------------------------------


def test_markers_reach_the_journal_and_nothing_else_of_the_read_side(settings: Settings, clock: FakeClock) -> None:
    settings = settings.model_copy(update={"read_wait_seconds": 0.5})  # no probe waits longer
    marks = Marks()
    app = create_app(settings, ports(clock))
    with every_log_record() as logs:
        with serve(app) as base, httpx.Client(base_url=base, timeout=30, transport=no_delay()) as client:
            s = Session(client, marks, app)
            service: MentoratService = app.state.service
            read_side: ReadSide = app.state.read_side
            w = build(s, service)
            refuse_everything(s, w)
            assert service.store.position() == w.position, "a refused request stored something"
            assert read_side.wait_for(w.position, NAMES, 20), read_side.failures
            events_table = str(vars(service.store.recorder)["events_table_name"]).rpartition(".")[2]
            assert_tables_clean(dump(read_side, events_table), marks, w)
            read_everything(s, w)
            # Whatever the reads may have recorded, projected too: the tables the rebuild must reproduce.
            assert read_side.wait_for(service.store.position(), NAMES, 20), read_side.failures
            incremental = dump(read_side, events_table)
            assert_tables_clean(incremental, marks, w)
            assert not read_side.failures
        # `mentorat projections rebuild`: a fresh write side and read side over the same store, as the CLI builds them.
        service = build_service(settings, ports(clock))
        read_side = ReadSide(service.store, settings)
        try:
            positions = read_side.rebuild()
            assert positions == dict.fromkeys(NAMES, service.store.position())
            rebuilt = dump(read_side, events_table)
        finally:
            read_side.close()
            service.close()
        assert_tables_clean(rebuilt, marks, w)
        assert rebuilt == incremental, "a rebuild differs from the incrementally maintained read models"
    records = [r for r in logs.records if not r.name.startswith(CLIENT_LOGGERS)]
    assert any(r.name == "mentorat.access" for r in records), "the server's records were not captured"
    leaks = [f"[{r.threadName}] {record_text(r)[:300]}" for r in records if marks.found_in(record_text(r))]
    assert not leaks, leaks
    assert s.answers > 250
