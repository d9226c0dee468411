"""Errors that say why (issue 13, item 2): each 422 item names the field, where it was and a documented reason.

Every reason the code can produce is met here over a real socket, with the right `field`, `location` and
`reason`; the documented list (the `Reason` schema of `/openapi.json`, the README) is exactly the set the code can
produce; no refused value comes back; a refused request stores nothing.
"""

from __future__ import annotations

import ast
import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx
import pytest

from api.app import create_app
from api.field_errors import FALLBACK, MEANINGS, PYDANTIC_REASONS, reasons_markdown
from application.ports import Ports
from bootstrap.settings import Settings
from domain.errors import InvalidValue, Reason
from domain.programme import Programme
from domain.values import Actor
from tests.api.conftest import PROBLEM_JSON, World, build_world, serve, service_of
from tests.store_tables import table_counts
from tests.support import FakeClock, IssuedSecrets

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ("domain", "application", "api", "projections", "infrastructure", "bootstrap", "cli")
MARK = "why5e0c9d"  # every refused value carries it: it must never come back
NOT_OVER_HTTP: set[Reason] = set()  # reasons no HTTP request can meet (none: a new one needs a case here)


class PinnedIds:
    """The id source of the app under test: fresh ids, or once the id the test pins (a fault of the id source)."""

    def __init__(self) -> None:
        self.pinned: UUID | None = None

    def __call__(self) -> UUID:
        pinned, self.pinned = self.pinned, None
        return pinned or uuid.uuid4()


@dataclass
class Served:
    """The app over a real socket, its world and its pinned id source."""

    client: httpx.Client
    world: World
    ids: PinnedIds
    settings: Settings
    app: Any


@pytest.fixture
def served(settings: Settings) -> Iterator[Served]:
    """The app over the store under test, served on a real socket, with its world and pinned ids."""
    ids = PinnedIds()
    app = create_app(settings, Ports(clock=FakeClock(), new_id=ids, new_secret=IssuedSecrets()))
    with serve(app) as base, httpx.Client(base_url=base, timeout=30) as client:
        yield Served(client, build_world(client, service_of(app), app), ids, settings, app)


@dataclass(frozen=True)
class Case:
    """One refused request and the items its 422 must carry: (field, location, reason), in any order."""

    label: str
    method: str
    path: str
    who: str
    body: Any = None
    raw: bytes | None = None
    query: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    items: tuple[tuple[str | None, str, Reason], ...] = ()
    slug: str = "validation-error"
    before: Callable[[Served], None] | None = None  # what the case needs first (outside its own check)


def body(name: str | None, reason: Reason) -> tuple[tuple[str | None, str, Reason], ...]:
    """One refused field of the body."""
    return ((name, "body", reason),)


def query(name: str, reason: Reason) -> tuple[tuple[str | None, str, Reason], ...]:
    """One refused query parameter."""
    return ((name, "query", reason),)


def cases(w: World) -> list[Case]:
    """One case (or more) per reason, each refusing a value that carries `MARK`."""
    m = f"/v1/mentorships/{w.mentorship_id}"
    meeting = f"{m}/meetings/{w.meeting_id}"
    drafts = f"/v1/programmes/{w.programme_id}/mentorships"
    draft = {"mentor_id": w.other_mentor_id, "mentee_id": w.other_mentee_id, "starts_on": "2026-01-01"}
    report = f"/v1/programmes/{w.programme_id}/report"
    other = f"/v1/mentorships/{w.other_mentorship_id}/objectives"
    R = Reason
    return [
        Case(
            "a missing score", "POST", f"{m}/satisfaction", "mentor", {"comment": MARK}, items=body("score", R.MISSING)
        ),
        Case(
            "an unknown field",
            "POST",
            f"{m}/satisfaction",
            "mentor",
            {"score": 4, MARK: 1},
            items=body(None, R.UNKNOWN_FIELD),
        ),
        Case(
            "a score as text", "POST", f"{m}/satisfaction", "mentor", {"score": MARK}, items=body("score", R.WRONG_TYPE)
        ),
        Case(
            "a malformed id",
            "POST",
            drafts,
            "coordinator",
            {**draft, "mentor_id": MARK},
            items=body("mentor_id", R.MALFORMED),
        ),
        Case(
            "a body not JSON",
            "POST",
            f"{m}/objectives",
            "mentor",
            raw=b'{"' + MARK.encode(),
            items=body(None, R.MALFORMED_JSON),
        ),
        Case(
            "an end reason not listed",
            "POST",
            f"{m}/end",
            "mentor",
            {"reason": MARK},
            items=body("reason", R.NOT_AN_ENUM_VALUE),
        ),
        Case(
            "a score of 6",
            "POST",
            f"{m}/satisfaction",
            "mentee",
            {"score": 6, "comment": MARK},
            items=body("score", R.OUT_OF_RANGE),
        ),
        Case("?limit=500", "GET", drafts, "coordinator", query={"limit": 500}, items=query("limit", R.OUT_OF_RANGE)),
        Case("?after=-1", "GET", m, "mentor", query={"after": -1}, items=query("after", R.OUT_OF_RANGE)),
        Case(
            "a text too long",
            "POST",
            f"{m}/objectives",
            "mentor",
            {"text": MARK + "x" * 10_000},
            items=body("text", R.TOO_LONG),
        ),
        Case(
            "a cursor too long",
            "GET",
            drafts,
            "coordinator",
            query={"cursor": MARK * 8},
            items=query("cursor", R.TOO_LONG),
        ),
        Case("an empty text", "POST", f"{m}/disputes", "mentor", {"summary": ""}, items=body("summary", R.TOO_SHORT)),
        Case("a blank text", "POST", f"{m}/disputes", "mentor", {"summary": " \n "}, items=body("summary", R.BLANK)),
        Case(
            "a name of two lines",
            "POST",
            f"/v1/programmes/{w.programme_id}/participants",
            "coordinator",
            {"role": "mentee", "name": MARK + "\nBcc: x", "email": "two@example.org", "language": "fr"},
            items=body("name", R.NOT_ONE_LINE),
        ),
        Case(
            "a time without an offset",
            "POST",
            f"{m}/meetings",
            "mentee",
            {"scheduled_for": "2026-02-01T10:00:00"},
            items=body("scheduled_for", R.TIMEZONE_REQUIRED),
        ),
        Case(
            "?from without an offset",
            "GET",
            report,
            "coordinator",
            query={"from": "2026-01-01T00:00:00"},
            items=query("from", R.TIMEZONE_REQUIRED),
        ),
        Case("?from=yesterday", "GET", report, "coordinator", query={"from": MARK}, items=query("from", R.MALFORMED)),
        Case(
            "?cursor of nothing",
            "GET",
            drafts,
            "coordinator",
            query={"cursor": MARK},
            items=query("cursor", R.MALFORMED),
        ),
        Case(
            "?format=xml",
            "GET",
            report,
            "coordinator",
            query={"format": MARK},
            items=query("format", R.NOT_AN_ENUM_VALUE),
        ),
        Case(
            "?to at the calendar's end",
            "GET",
            report,
            "coordinator",
            query={"to": "9999-12-31T23:00:00-14:00"},
            items=query("to", R.OUTSIDE_CALENDAR),
        ),
        Case(
            "held at the calendar's end",
            "POST",
            f"{meeting}/held",
            "mentor",
            {"held_at": "9999-12-31T23:00:00-14:00", "duration_minutes": 60, "notes": MARK},
            items=body("held_at", R.OUTSIDE_CALENDAR),
        ),
        Case(
            "held in the future",
            "POST",
            f"{meeting}/held",
            "mentor",
            {"held_at": "2026-02-01T10:00:00+00:00", "duration_minutes": 60, "notes": MARK},
            items=body("held_at", R.IN_FUTURE),
        ),
        Case(
            "scheduled before the start",
            "POST",
            f"{m}/meetings",
            "mentee",
            {"scheduled_for": "2025-12-01T10:00:00+00:00"},
            items=body("scheduled_for", R.BEFORE_START),
        ),
        Case(
            "an unknown time zone",
            "PATCH",
            f"/v1/programmes/{w.programme_id}",
            "coordinator",
            {"time_zone": MARK + "/Nowhere"},
            items=body("time_zone", R.UNKNOWN_TIME_ZONE),
        ),
        Case(
            "a meeting target of 90-60 minutes",
            "PATCH",
            f"/v1/programmes/{w.programme_id}",
            "coordinator",
            {"meeting_minutes": {"min": 90, "max": 60}},
            items=body("meeting_minutes", R.MIN_ABOVE_MAX),
        ),
        Case(
            "?to before ?from",
            "GET",
            report,
            "coordinator",
            query={"from": "2026-02-01", "to": "2026-01-01"},
            items=query("to", R.NOT_AFTER_FROM),
        ),
        Case(
            "the mentor as mentee",
            "POST",
            drafts,
            "coordinator",
            {**draft, "mentee_id": w.other_mentor_id},
            items=(("mentor_id", "body", R.SAME_PERSON), ("mentee_id", "body", R.SAME_PERSON)),
        ),
        Case(
            "a mentor of nobody",
            "POST",
            drafts,
            "coordinator",
            {**draft, "mentor_id": str(uuid.uuid4())},
            items=body("mentor_id", R.UNKNOWN_ID),
        ),
        Case(
            "a dispute of nobody",
            "POST",
            f"{m}/consultations",
            "coordinator",
            {"topic": "dispute", "dispute_id": str(uuid.uuid4()), "outcome": "reconciled", "note": MARK},
            items=body("dispute_id", R.UNKNOWN_ID),
        ),
        Case(
            "a mentor for mentee",
            "POST",
            drafts,
            "coordinator",
            {**draft, "mentee_id": w.mentor_id},
            items=body("mentee_id", R.WRONG_ROLE),
        ),
        Case(
            "a mentor of another programme",
            "POST",
            drafts,
            "coordinator",
            {**draft, "mentor_id": w.other_coordinator_id},
            items=body("mentor_id", R.WRONG_PROGRAMME),
        ),
        Case(
            "a dispute for an early-end consultation",
            "POST",
            f"{m}/consultations",
            "coordinator",
            {"topic": "early_end", "dispute_id": w.dispute_id, "outcome": "reconciled", "note": MARK},
            items=body("dispute_id", R.NOT_APPLICABLE),
        ),
        Case(
            "ending_agreed about a dispute",
            "POST",
            f"{m}/consultations",
            "coordinator",
            {"topic": "dispute", "dispute_id": w.dispute_id, "outcome": "ending_agreed", "note": MARK},
            items=body("outcome", R.NOT_APPLICABLE),
        ),
        Case(
            "a 21st objective",
            "POST",
            other,
            "other_mentor",
            {"text": MARK},
            items=body("text", R.TOO_MANY_OBJECTIVES),
            before=twenty_objectives,
        ),
        Case(
            "a new dispute given an old id",
            "POST",
            f"{m}/disputes",
            "mentor",
            {"summary": MARK},
            items=body("dispute_id", R.ID_REUSED),
            before=lambda s: setattr(s.ids, "pinned", UUID(s.world.dispute_id)),
        ),
        Case(
            "an invitation for a participant without an address",
            "POST",
            f"/v1/participants/{w.other_coordinator_id}/invitations",
            "other_coordinator",
            items=(("email", "path", R.NO_EMAIL_ADDRESS),),
        ),
        Case(
            "?after beyond the store",
            "GET",
            m,
            "mentor",
            query={"after": 2**62},
            items=query("after", R.BEYOND_STORE_POSITION),
        ),
        Case(
            "a malformed Idempotency-Key",
            "POST",
            f"{m}/satisfaction",
            "mentor",
            {"score": 4},
            headers={"Idempotency-Key": MARK + " x"},
            items=(("Idempotency-Key", "header", R.MALFORMED),),
        ),
        Case(
            "an Idempotency-Key reused with another body",
            "POST",
            f"{m}/satisfaction",
            "mentor",
            {"score": 5, "comment": MARK},
            headers={"Idempotency-Key": "reused-" + MARK},
            items=(("Idempotency-Key", "header", R.KEY_REUSED),),
            slug="idempotency-key-reused",
            before=lambda s: first_use_of_key(s, "reused-" + MARK),
        ),
    ]


def twenty_objectives(s: Served) -> None:
    """The other pair's draft holds the most objectives a convention may have."""
    for number in range(20):
        answer = s.client.post(
            f"/v1/mentorships/{s.world.other_mentorship_id}/objectives",
            json={"text": f"Objective {number}"},
            headers=s.world.other_mentor,
        )
        assert answer.status_code == 201, answer.text


def first_use_of_key(s: Served, key: str) -> None:
    """A first satisfaction report under this key."""
    answer = s.client.post(
        f"/v1/mentorships/{s.world.mentorship_id}/satisfaction",
        json={"score": 4},
        headers={**s.world.mentor, "Idempotency-Key": key},
    )
    assert answer.status_code == 201, answer.text


def written_tables(settings: Settings) -> dict[str, int]:
    """The row counts of every table but the read models' (each has a `<name>_tracking` table beside its own)."""
    counts = table_counts(settings)
    models = {name.rsplit("_tracking", 1)[0] + "_" for name in counts if name.endswith("_tracking")}
    return {name: count for name, count in counts.items() if not any(name.startswith(model) for model in models)}


def send(s: Served, case: Case) -> httpx.Response:
    """The case's request, with the caller's token."""
    headers = {**s.world.headers(case.who), **case.headers}
    params = {k: v for k, v in case.query.items() if v is not None}
    if case.raw is not None:
        headers["Content-Type"] = "application/json"
        return s.client.request(case.method, case.path, content=case.raw, headers=headers, params=params)
    return s.client.request(case.method, case.path, json=case.body, headers=headers, params=params)


def failures_of(s: Served, case: Case) -> list[str]:
    """What departs from the contract in the answer to one case (empty when it keeps it)."""
    if case.before is not None:
        case.before(s)
    before = written_tables(s.settings)
    response = send(s, case)
    found = []
    if written_tables(s.settings) != before:
        found.append("something was stored")
    if response.status_code != 422 or response.headers["content-type"].split(";")[0] != PROBLEM_JSON:
        return [*found, f"answered {response.status_code}: {response.text[:300]}"]
    problem = response.json()
    if MARK in response.text or any(MARK in value for value in response.headers.values()):
        found.append("the refused value came back")
    if problem["type"] != f"/problems/{case.slug}" or not isinstance(problem.get("detail"), str):
        found.append(f"type or detail: {problem}")
    given = sorted((e["field"], e["location"], e["reason"]) for e in problem["errors"])
    wanted = sorted((name, where, reason.value) for name, where, reason in case.items)
    if given != wanted:
        found.append(f"items {given} != {wanted}")
    return found


def test_every_reason_is_met_over_http_with_its_field_and_location(served: Served) -> None:
    all_cases = cases(served.world)
    met = {reason for case in all_cases for _, _, reason in case.items}
    assert met == set(Reason) - NOT_OVER_HTTP, f"reasons without a case: {sorted(set(Reason) - NOT_OVER_HTTP - met)}"
    failures = [f"{case.label}: {failure}" for case in all_cases for failure in failures_of(served, case)]
    assert not failures, "\n".join(failures)


def test_an_unknown_time_zone_is_its_own_reason() -> None:
    with pytest.raises(InvalidValue) as refused:
        Programme.launch(uuid.uuid4(), "Programme", Actor.operator(), FakeClock()(), time_zone=MARK + "/Nowhere")
    assert (refused.value.fields, refused.value.reason) == (("time_zone",), Reason.UNKNOWN_TIME_ZONE)


# The documented list is the produced list ----------------------------------------------------------------------


def reasons_in_code() -> set[Reason]:
    """Every reason the code can give: each `Reason.X` the sources name, and what pydantic's errors map to.

    `api/field_errors.py` documents every member (`MEANINGS`); its mapping is read from the module instead.
    """
    named: set[Reason] = {FALLBACK, *PYDANTIC_REASONS.values()}
    for package in SOURCES:
        for path in (ROOT / package).rglob("*.py"):
            if path == ROOT / "api" / "field_errors.py":
                continue
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "Reason":
                    named.add(Reason[node.attr])
    return named


def answers(document: Any) -> Iterator[dict[str, Any]]:
    """Every response object of an OpenAPI document (the shared components and each operation's own)."""
    yield from document.get("components", {}).get("responses", {}).values()
    for operations in document["paths"].values():
        for operation in operations.values():
            yield from (a for a in operation.get("responses", {}).values() if "$ref" not in a)


def documented_in_readme() -> set[str]:
    """The reasons the README's list names (the bullets of its section on errors)."""
    text = (ROOT / "README.md").read_text()
    section = text.split("### Errors that say why", 1)[1].split("\n### ", 1)[0]
    return set(re.findall(r"^- `([a-z_]+)`", section, flags=re.MULTILINE))


def test_the_documented_reasons_are_exactly_those_the_code_can_give(tmp_path: Path) -> None:
    """A new reason cannot be raised without being documented, nor documented without being raised."""
    document = create_app(Settings(data_dir=tmp_path)).openapi()
    schemas = document["components"]["schemas"]
    answers_422 = [a for a in answers(document) if "`reason`" in a.get("description", "")]
    assert answers_422 and all(reasons_markdown() in a["description"] for a in answers_422)  # the 422 lists them
    in_schema = set(schemas["Reason"]["enum"])
    field_schema = schemas["FieldError"]["properties"]["reason"]
    assert field_schema["$ref"].endswith("/Reason")
    assert set(re.findall(r"^- `([a-z_]+)`", field_schema["description"], flags=re.MULTILINE)) == in_schema
    assert {reason.value for reason in reasons_in_code()} == in_schema == {r.value for r in Reason}
    assert set(MEANINGS) == set(Reason)
    assert documented_in_readme() == in_schema
    assert set(schemas["FieldError"]["properties"]["location"]["enum"]) == {"body", "query", "path", "header"}
    assert set(schemas["FieldError"]["required"]) == {"field", "code", "location", "reason"}
    problems = [schema for name, schema in schemas.items() if re.fullmatch(r"Problem[0-9]{3}", name)]
    assert problems and all("detail" in schema["required"] for schema in problems)


def test_every_kind_of_problem_has_a_detail_and_no_request_text(served: Served) -> None:
    """401, 403, 404, 405, 409, 412, 415 and 422 (body and query) each carry one fixed sentence as `detail`."""
    w, c = served.world, served.client
    m = f"/v1/mentorships/{w.mentorship_id}"
    answers = [
        c.get(f"{m}?{MARK}=1"),  # 401
        c.post(f"{m}/disputes", json={"summary": MARK}, headers=w.auditor),  # 403
        c.get(f"/v1/{MARK}", headers=w.mentor),  # 404 of the router
        c.get(f"/v1/mentorships/{MARK}", headers=w.mentor),  # 404 of a malformed id
        c.put(m, headers=w.mentor),  # 405
        c.post(f"{m}/signatures", headers=w.mentor),  # 409
        c.post(f"{m}/satisfaction", json={"score": 4}, headers={**w.mentor, "If-Match": '"1"'}),  # 412
        c.post(f"{m}/objectives", content=MARK, headers={**w.mentor, "Content-Type": "text/plain"}),  # 415
        c.post(f"{m}/objectives", json={"text": 5, "note": MARK}, headers=w.mentor),  # 422 of the body
        c.get(f"{m}/history?after={MARK}", headers=w.mentor),  # 422 of the query
    ]
    assert [a.status_code for a in answers] == [401, 403, 404, 404, 405, 409, 412, 415, 422, 422]
    for answer in answers:
        problem = answer.json()
        assert isinstance(problem["detail"], str) and problem["detail"].endswith("."), problem
        assert MARK not in answer.text
    assert answers[-2].json()["detail"] != answers[-1].json()["detail"]  # a query problem says so
    assert "query" in answers[-1].json()["detail"] and answers[-1].json()["errors"][0]["location"] == "query"
