"""The served `/openapi.json` as the programs that read it meet it: validators, redocly, a generated client.

One server for the module (a real uvicorn on a socket, over SQLite), one generation of the client: the document
validates (`openapi-spec-validator`), `redocly lint` passes with its recommended rules (required on CI),
`openapi-python-client` generates without a warning, and the generated package, imported as generated, walks a
convention and parses problems. The document's own rules (names, descriptions, links) are walked here too, so a
future route that breaks them fails.
"""

from __future__ import annotations

import importlib
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from openapi_spec_validator import validate

from api.app import create_app
from bootstrap.settings import Settings
from tests.api.conftest import mailed, serve, service_of

REDOCLY = "@redocly/cli@2.77.0"  # pinned: a newer rule set must not fail an unchanged document
PUBLIC_URL = "https://mentorat.example.org"
TAGS = {"system", "programmes", "participants", "invitations", "mentorships", "meetings", "objectives", "disputes"}
TAGS |= {"reports", "audit"}
CAMEL_CASE = re.compile(r"^[a-z]+(?:[A-Z][a-z]+)*$")
PUBLIC = {("get", "/healthz"), ("post", "/v1/invitations/redemption"), ("post", "/v1/sign-in")}
PACKAGE = "mentorat_client"
Document = dict[str, Any]


@dataclass(frozen=True)
class Served:
    """The running server, its document, and the programme its operator launched."""

    app: Any
    base: str
    document: Document
    programme_id: str
    coordinator_token: str


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """`mentorat`'s app under a real server on a free port, and a programme with its coordinator's token."""
    data = tmp_path_factory.mktemp("openapi") / "var"
    app = create_app(Settings(data_dir=data, database_url=None, public_url=PUBLIC_URL))
    with serve(app) as base:
        launched = service_of(app).participants.create_programme("Programme", "Coordinator", None)
        document = httpx.get(f"{base}/openapi.json").json()
        yield Served(app, base, document, launched["programme_id"], launched["coordinator_token"])


@pytest.fixture(scope="module")
def generated(served: Served, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    """`openapi-python-client generate` on the served document: the generated package, imported; once."""
    out = tmp_path_factory.mktemp("client")
    tools = str(Path(sys.executable).parent)  # its ruff post-hooks come from the same environment
    env = {**os.environ, "PATH": tools + os.pathsep + os.environ.get("PATH", "")}
    generate = [f"{tools}/openapi-python-client", "generate", "--url", f"{served.base}/openapi.json"]
    ran = subprocess.run(
        [*generate, "--meta", "none", "--output-path", str(out / PACKAGE)], env=env, capture_output=True, text=True
    )
    printed = ran.stdout + ran.stderr
    assert ran.returncode == 0, printed
    assert "warning" not in printed.lower(), printed  # a dropped answer or schema is announced as a warning
    sys.path.insert(0, str(out))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(out))
        for name in [name for name in sys.modules if name.split(".")[0] == PACKAGE]:
            del sys.modules[name]


# -- the document as validators read it -------------------------------------------------------------------------


def test_the_served_document_is_valid_openapi(served: Served) -> None:
    validate(served.document)
    assert served.document["servers"] == [{"url": PUBLIC_URL, "description": "This server (`MENTORAT_PUBLIC_URL`)."}]
    assert served.document["info"]["license"]["identifier"] == "LicenseRef-Proprietary"


def test_redocly_lint_passes_with_its_recommended_rules(served: Served, tmp_path: Path) -> None:
    npx = shutil.which("npx")
    if npx is None:
        if os.environ.get("MENTORAT_TEST_REQUIRE_POSTGRES") == "1":  # CI: every tool of the suite is required
            pytest.fail("npx is required on CI to run redocly lint")
        pytest.skip("npx not found: redocly lint needs Node.js (required on CI)")
    spec = tmp_path / "openapi.json"
    spec.write_bytes(httpx.get(f"{served.base}/openapi.json").content)
    lint = [npx, "--yes", REDOCLY, "lint", "--format=json", "openapi.json"]
    ran = subprocess.run(lint, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert "using built in recommended configuration" in ran.stderr, ran.stderr  # no configuration file relaxes them
    found = json.loads(ran.stdout)
    rules = [(problem["severity"], problem["ruleId"]) for problem in found["problems"]]
    assert ran.returncode == 0 and found["totals"] == {"errors": 0, "warnings": 0, "ignored": 0}, rules


def operations(document: Document) -> Iterator[tuple[str, str, Document]]:
    """Every (method, path, operation) of the document."""
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            yield method, path, operation


def test_operation_ids_are_plain_camel_case_words_and_tags_are_the_resources(served: Served) -> None:
    ids = [operation["operationId"] for _, _, operation in operations(served.document)]
    assert len(ids) == len(set(ids)), ids
    assert [name for name in ids if not CAMEL_CASE.fullmatch(name)] == []
    assert {"registerParticipant", "recordMeetingHeld", "getMentorship", "getProgrammeReport"} <= set(ids)
    summaries = {op["operationId"]: op["summary"] for _, _, op in operations(served.document)}
    assert summaries["recordMeetingHeld"] == "Record meeting held"  # words, not the function's name
    for method, path, operation in operations(served.document):
        assert len(operation.get("tags", [])) == 1 and set(operation["tags"]) <= TAGS, (method, path)
    assert {tag["name"] for tag in served.document["tags"]} == TAGS
    assert all(tag["description"] for tag in served.document["tags"])


def undescribed(node: Any, where: str) -> Iterator[str]:
    """Every schema property, parameter or header under `node` without a description, by where it is."""
    if isinstance(node, list):
        for index, item in enumerate(node):
            yield from undescribed(item, f"{where}/{index}")
        return
    if not isinstance(node, dict):
        return
    for name, child in node.get("properties", {}).items():
        if not (isinstance(child, dict) and child.get("description")):
            yield f"{where}/properties/{name}"
    for name, header in node.get("headers", {}).items():
        if not header.get("description"):
            yield f"{where}/headers/{name}"
    for parameter in node.get("parameters", []) if isinstance(node.get("parameters"), list) else []:
        if not parameter.get("description"):
            yield f"{where}/parameters/{parameter.get('name')}"
    for key, child in node.items():
        yield from undescribed(child, f"{where}/{key}")


def test_every_operation_parameter_header_schema_and_property_is_described(served: Served) -> None:
    document = served.document
    missing = list(undescribed(document, "#"))
    missing += [f"{method} {path}" for method, path, op in operations(document) if not op.get("description")]
    missing += [name for name, schema in document["components"]["schemas"].items() if not schema.get("description")]
    assert missing == []


def test_public_operations_say_they_need_no_token(served: Served) -> None:
    public = set()
    for method, path, operation in operations(served.document):
        bearer: list[dict[str, list[str]]] = [{"bearer": []}] if "401" in operation["responses"] else []
        assert operation["security"] == bearer, (method, path)  # said on each operation, never left to a default
        public |= set() if bearer else {(method, path)}
    assert public >= PUBLIC


def test_each_problem_has_a_plain_schema_of_its_status(served: Served) -> None:
    schemas = served.document["components"]["schemas"]
    for name, response in served.document["components"]["responses"].items():
        schema = schemas[response["content"]["application/problem+json"]["schema"]["$ref"].rsplit("/", 1)[1]]
        status = schema["properties"]["status"]["const"]
        assert "allOf" not in str(schema) and schema["title"] == f"Problem{status}", name
        assert schema["properties"]["type"]["examples"], name  # the slugs of that status
        assert ("errors" in schema["properties"]) == (status == 422), name
    assert "/problems/already-signed" in schemas["Problem409"]["properties"]["type"]["examples"]


def test_every_created_id_links_to_the_operations_that_use_it(served: Served) -> None:
    by_id = {operation["operationId"]: operation for _, _, operation in operations(served.document)}
    created_ids = set()
    for _, _, operation in operations(served.document):
        created = operation["responses"].get("201", {})
        schema = created.get("content", {}).get("application/json", {}).get("schema", {})
        model = served.document["components"]["schemas"].get(str(schema.get("$ref", "")).rsplit("/", 1)[-1], {})
        if any(
            f.get("format") == "uuid" or "uuid" in str(f.get("anyOf")) for f in model.get("properties", {}).values()
        ):
            assert created.get("links"), operation["operationId"]  # a new id no operation is linked from
            created_ids.add(operation["operationId"])
    assert {"registerParticipant", "draftConvention", "scheduleMeeting", "addObjective"} <= created_ids
    assert {"raiseDispute", "redeemInvitation", "recordMeetingHeld"} <= created_ids
    links = by_id["scheduleMeeting"]["responses"]["201"]["links"]
    assert links["recordMeetingHeld"] == {
        "operationId": "recordMeetingHeld",
        "parameters": {"mentorship_id": "$request.path.mentorship_id", "meeting_id": "$response.body#/meeting_id"},
        "description": "`meeting_id` of this answer is the `meeting_id` of `recordMeetingHeld`.",
    }
    drafted = by_id["draftConvention"]["responses"]["201"]["links"]
    assert {"signConvention", "getMentorship", "addObjective", "scheduleMeeting"} <= set(drafted)
    assert "recordMeetingHeld" not in drafted  # it needs a meeting id the draft does not give
    for link in (
        link
        for op in by_id.values()
        for answer in op["responses"].values()
        for link in answer.get("links", {}).values()
    ):
        assert link["operationId"] in by_id


def test_a_405_allows_every_method_its_path_serves(served: Served) -> None:
    participants = f"{served.base}/v1/programmes/{served.programme_id}/participants"
    refused = httpx.delete(participants)
    assert refused.status_code == 405, refused.text
    assert refused.headers["allow"] == "GET, POST"  # two routes of one path: both methods
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert httpx.put(f"{served.base}/v1/me").headers["allow"] == "GET"


# -- the generated client, as generated ----------------------------------------------------------------------------


def call(tag: str, operation: str, **arguments: Any) -> Any:
    """Call a generated operation (`api/<tag>/<operation>.py`) and answer its parsed body, asserting the status."""
    module = importlib.import_module(f"{PACKAGE}.api.{tag}.{operation}")
    answer = module.sync_detailed(**arguments)
    assert 200 <= answer.status_code < 300, (operation, answer.status_code, answer.content[:300])
    return answer.parsed


def model(name: str) -> Any:
    """A generated model class."""
    return getattr(importlib.import_module(f"{PACKAGE}.models"), name)


def test_the_generated_client_walks_a_convention_and_parses_problems(served: Served, generated: ModuleType) -> None:
    base, pid = served.base, served.programme_id
    strict = {"base_url": base, "raise_on_unexpected_status": True}  # a status the document omits raises
    coordinator = generated.AuthenticatedClient(token=served.coordinator_token, **strict)
    anyone = generated.Client(**strict)
    tokens, ids = {}, {}
    # The coordinator registers and invites a mentor and a mentee, who redeem their e-mailed codes
    for role in ("mentor", "mentee"):
        body = model("ParticipantIn")(
            role=model("ParticipantInRole")(role),
            name=f"A {role}",
            email=f"{role}@example.org",
            language=model("ParticipantInLanguage")("en"),
        )
        ids[role] = call("participants", "register_participant", programme_id=pid, client=coordinator, body=body).id
        call("invitations", "invite_participant", participant_id=str(ids[role]), client=coordinator)
        code = mailed(served.app, f"{role}@example.org")
        redeemed = call("invitations", "redeem_invitation", client=anyone, body=model("RedemptionIn")(code=code))
        assert redeemed.participant_id == ids[role]
        tokens[role] = generated.AuthenticatedClient(token=redeemed.token, **strict)
    # The coordinator drafts the convention; the mentor adds an objective; both sign
    today = datetime.now(ZoneInfo("America/Toronto")).date()  # the programme's time zone
    convention = model("MentorshipIn")(mentor_id=ids["mentor"], mentee_id=ids["mentee"], starts_on=today)
    mid = str(call("mentorships", "draft_convention", programme_id=pid, client=coordinator, body=convention).id)
    objective = model("ObjectiveIn")(text="An objective")
    call("objectives", "add_objective", mentorship_id=mid, client=tokens["mentor"], body=objective)
    call("mentorships", "sign_convention", mentorship_id=mid, client=tokens["mentor"])
    signed = call("mentorships", "sign_convention", mentorship_id=mid, client=tokens["mentee"])
    assert signed.status.value == "active"
    # A meeting is scheduled (a late record) and recorded held
    when = model("ScheduleIn")(scheduled_for=datetime.now(UTC))
    meeting = call("meetings", "schedule_meeting", mentorship_id=mid, client=tokens["mentor"], body=when)
    held = model("HeldIn")(duration_minutes=75)
    done = call(
        "meetings",
        "record_meeting_held",
        mentorship_id=mid,
        meeting_id=str(meeting.meeting_id),
        client=tokens["mentee"],
        body=held,
    )
    # The report, as JSON and as CSV, once the read models include the meeting
    report = call("reports", "get_programme_report", programme_id=pid, client=coordinator, after=done.position)
    assert (report.meetings_held, report.mentorships_active) == (1, 1)
    csv = call("reports", "get_programme_report_csv", programme_id=pid, client=coordinator, after=done.position)
    assert csv.splitlines()[0] == "metric,value" and "meetings_held,1" in csv.splitlines()
    # A second signature is a 409, a 37-month convention a 422: both parsed as their problems
    signing = importlib.import_module(f"{PACKAGE}.api.mentorships.sign_convention")
    conflict = signing.sync_detailed(mentorship_id=mid, client=tokens["mentee"])
    assert conflict.status_code == 409 and isinstance(conflict.parsed, model("Problem409"))
    assert conflict.parsed.type_ == "/problems/already-signed"
    drafting = importlib.import_module(f"{PACKAGE}.api.mentorships.draft_convention")
    too_long = model("MentorshipIn")(mentor_id=ids["mentor"], mentee_id=ids["mentee"], starts_on=today, months=37)
    invalid = drafting.sync_detailed(programme_id=pid, client=coordinator, body=too_long)
    assert invalid.status_code == 422 and isinstance(invalid.parsed, model("Problem422"))
    assert [error.field for error in invalid.parsed.errors] == ["months"]
