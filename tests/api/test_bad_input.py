"""Bad input on every POST endpoint of contract v1: the right 4xx, problem+json, a stable slug, nothing stored.

The table `ROUTES` names every POST route of the app; `test_every_post_route_is_in_the_table_and_never_answers_5xx`
fails when a route is added without its row, so no new endpoint escapes these checks.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from bootstrap.settings import Settings
from domain.errors import Reason
from tests.api.conftest import (
    FUTURE_MEETING,
    PAST_MEETING,
    PROBLEM_JSON,
    START,
    World,
    bearer,
    mailed,
    service_of,
)
from tests.api.routes import app_routes
from tests.store_tables import table_counts

pytestmark = pytest.mark.write_only  # commands only: no read model is read here

ECHO = "echo7d1c0b"  # every string of a bad input starts with this: it must never come back
LONG_TEXT = ECHO + "x" * 10_000  # 10,010 characters: over the limit, far under 256 KiB
TOO_LARGE = 256 * 1024 + 1
NOBODY = "00000000-0000-4000-8000-00000000dead"  # well-formed, names nothing
MALFORMED_ID = "not-a-uuid"
ITEM_KEYS = {"field", "code", "location", "reason"}
REASONS = {reason.value for reason in Reason}


class Raw(bytes):
    """A body sent as these exact bytes (with a JSON content type unless the case sets one)."""


NO_BODY: Any = object()  # send no body at all
VALID: Any = object()  # the route's valid body


@dataclass(frozen=True)
class Bad:
    """One bad request and what the contract answers to it."""

    label: str
    body: Any = VALID
    status: int = 422
    slug: str = "validation-error"
    fields: tuple[str | None, ...] = ()  # fields the 422 must name (None: an unknown field, a body not JSON)
    reason: str | None = None  # the reason (`domain.errors.Reason`) the items naming those fields give
    who: str | None = "default"  # whose token; "default" is the route's actor, None no token
    headers: dict[str, str] = field(default_factory=dict)
    path: dict[str, str] = field(default_factory=dict)  # path parameters replaced


@dataclass(frozen=True)
class Route:
    """A POST route: who may call it, a valid body, and its own bad inputs."""

    actor: str | None  # None: no token needed (redemption)
    valid: Callable[[World], dict[str, Any]]
    bad: Callable[[World], list[Bad]]
    scope: str  # mentorship-{parties,mentee,coordinator,any}, programme, participant or none


def empty(_: World) -> dict[str, Any]:
    return {}


def no_own_cases(_: World) -> list[Bad]:
    return [Bad("a field of an empty command", {"status": ECHO})]


NAIVE = "timezone_required"
UNKNOWN = "unknown_id"
ROLE = "wrong_role"
NOT_LISTED = "not_an_enum_value"


def without(body: dict[str, Any], name: str) -> dict[str, Any]:
    """The body without one of its fields."""
    return {k: v for k, v in body.items() if k != name}


def text_cases(name: str, base: dict[str, Any], required: bool) -> list[Bad]:
    """Bad values of a (confidential) text field."""
    cases = [
        Bad(f"{name} over 10,000 characters", {**base, name: LONG_TEXT}, fields=(name,), reason="too_long"),
        Bad(f"{name} an int", {**base, name: 42}, fields=(name,), reason="wrong_type"),
        Bad(f"{name} a list", {**base, name: [ECHO]}, fields=(name,), reason="wrong_type"),
        Bad(f"{name} an object", {**base, name: {"text": ECHO}}, fields=(name,), reason="wrong_type"),
    ]
    if required:
        cases += [
            Bad(f"{name} null", {**base, name: None}, fields=(name,), reason="wrong_type"),
            Bad(f"{name} empty", {**base, name: ""}, fields=(name,), reason="too_short"),
            Bad(f"{name} blank", {**base, name: " \n\t "}, fields=(name,), reason="blank"),
            Bad(f"{name} missing", without(base, name), fields=(name,), reason="missing"),
        ]
    return cases


def time_cases(name: str, base: dict[str, Any], required: bool) -> list[Bad]:
    """Bad values of a time field: no offset, a date, text, a number."""
    cases = [
        Bad(f"{name} without an offset", {**base, name: "2026-02-01T10:00:00"}, fields=(name,), reason=NAIVE),
        Bad(f"{name} a date", {**base, name: "2026-02-01"}, fields=(name,), reason="malformed"),
        Bad(f"{name} text", {**base, name: ECHO + "-tomorrow"}, fields=(name,), reason="malformed"),
        Bad(
            f"{name} an impossible time",
            {**base, name: "2026-02-30T10:00:00+00:00"},
            fields=(name,),
            reason="malformed",
        ),
        Bad(f"{name} a number", {**base, name: 1_767_225_600}, fields=(name,), reason="wrong_type"),
        Bad(f"{name} a list", {**base, name: [FUTURE_MEETING]}, fields=(name,), reason="wrong_type"),
        Bad(
            f"{name} at the calendar's start",
            {**base, name: "0001-01-01T00:00:00+14:00"},
            fields=(name,),
            reason="outside_calendar",
        ),
        Bad(
            f"{name} at the calendar's end",
            {**base, name: "9999-12-31T23:00:00-14:00"},
            fields=(name,),
            reason="outside_calendar",
        ),
    ]
    if required:
        cases += [
            Bad(f"{name} null", {**base, name: None}, fields=(name,), reason="wrong_type"),
            Bad(f"{name} missing", without(base, name), fields=(name,), reason="missing"),
        ]
    return cases


def enum_cases(name: str, base: dict[str, Any], required: bool = True) -> list[Bad]:
    """Bad values of an enumerated field."""
    cases = [
        Bad(f"{name} not listed", {**base, name: ECHO}, fields=(name,), reason=NOT_LISTED),
        Bad(f"{name} upper case", {**base, name: str(base.get(name, "x")).upper()}, fields=(name,), reason=NOT_LISTED),
        Bad(f"{name} an int", {**base, name: 1}, fields=(name,), reason=NOT_LISTED),
        Bad(f"{name} an object", {**base, name: {"value": ECHO}}, fields=(name,), reason=NOT_LISTED),
    ]
    if required:
        cases += [
            Bad(f"{name} null", {**base, name: None}, fields=(name,), reason=NOT_LISTED),
            Bad(f"{name} missing", without(base, name), fields=(name,), reason="missing"),
        ]
    return cases


def int_cases(name: str, base: dict[str, Any], low: int, high: int, required: bool = True) -> list[Bad]:
    """Out-of-range and mistyped values of an integer field."""
    cases = [
        Bad(f"{name} {low - 1}", {**base, name: low - 1}, fields=(name,), reason="out_of_range"),
        Bad(f"{name} {high + 1}", {**base, name: high + 1}, fields=(name,), reason="out_of_range"),
        Bad(f"{name} -1", {**base, name: -1}, fields=(name,), reason="out_of_range"),
        Bad(f"{name} huge", {**base, name: 10**30}, fields=(name,), reason="out_of_range"),
        Bad(f"{name} a string", {**base, name: str(low)}, fields=(name,), reason="wrong_type"),
        Bad(f"{name} a float", {**base, name: low + 0.5}, fields=(name,), reason="wrong_type"),
        Bad(f"{name} a bool", {**base, name: True}, fields=(name,), reason="wrong_type"),
    ]
    if required:
        cases += [
            Bad(f"{name} null", {**base, name: None}, fields=(name,), reason="wrong_type"),
            Bad(f"{name} missing", without(base, name), fields=(name,), reason="missing"),
        ]
    return cases


def uuid_cases(name: str, base: dict[str, Any]) -> list[Bad]:
    """Mistyped ids in a body."""
    return [
        Bad(f"{name} malformed", {**base, name: ECHO}, fields=(name,), reason="malformed"),
        Bad(f"{name} an int", {**base, name: 123}, fields=(name,), reason="wrong_type"),
        Bad(f"{name} a list", {**base, name: [NOBODY]}, fields=(name,), reason="wrong_type"),
    ]


# Per-route valid bodies and own bad cases ------------------------------------------------------------------------


def participant_valid(_: World) -> dict[str, Any]:
    return {"role": "mentor", "name": "Newcomer", "email": "newcomer@example.org", "language": "en"}


def participant_bad(w: World) -> list[Bad]:
    base = participant_valid(w)
    return [
        *enum_cases("role", base),
        *enum_cases("language", base),
        Bad("name an int", {**base, "name": 5}, fields=("name",), reason="wrong_type"),
        Bad("name null", {**base, "name": None}, fields=("name",), reason="wrong_type"),
        Bad("name empty", {**base, "name": ""}, fields=("name",), reason="too_short"),
        Bad("name blank", {**base, "name": "   "}, fields=("name",), reason="blank"),
        Bad("name of two lines", {**base, "name": ECHO + "\nBcc: x"}, fields=("name",), reason="not_one_line"),
        Bad("name over 200 characters", {**base, "name": ECHO * 30}, fields=("name",), reason="too_long"),
        Bad("email without @", {**base, "email": ECHO}, fields=("email",), reason="malformed"),
        Bad("email an int", {**base, "email": 5}, fields=("email",), reason="wrong_type"),
        Bad("email missing", without(base, "email"), fields=("email",), reason="missing"),
    ]


def redemption_valid(_: World) -> dict[str, Any]:
    return {"code": ECHO + "-unknown-code"}


def sign_in_valid(_: World) -> dict[str, Any]:
    return {"email": ECHO + "@example.org"}


def sign_in_bad(_: World) -> list[Bad]:
    email, malformed = ("email",), "malformed"
    return [
        Bad("email an int", {"email": 5}, fields=("email",), reason="wrong_type"),
        Bad("email null", {"email": None}, fields=("email",)),
        Bad("email empty", {"email": ""}, fields=("email",), reason="too_short"),
        Bad("email over 320 characters", {"email": ECHO * 40 + "@example.org"}, fields=("email",), reason="too_long"),
        Bad("email missing", {}, fields=("email",), reason="missing"),
        Bad("email without @", {"email": ECHO}, fields=email, reason=malformed),
        Bad("email with two @", {"email": ECHO + "@a@b"}, fields=email, reason=malformed),
        Bad("email with a space inside", {"email": ECHO + " x@example.org"}, fields=email, reason=malformed),
        Bad("email a list", {"email": [ECHO + "@example.org"]}, fields=("email",), reason="wrong_type"),
    ]


def redemption_bad(_: World) -> list[Bad]:
    return [
        Bad("an unknown code", status=404, slug="not-found"),
        Bad("code an int", {"code": 5}, fields=("code",)),
        Bad("code null", {"code": None}, fields=("code",)),
        Bad("code empty", {"code": ""}, fields=("code",)),
        Bad("code over 200 characters", {"code": ECHO * 25}, fields=("code",)),
        Bad("code missing", {}, fields=("code",)),
        Bad("code a list", {"code": [ECHO]}, fields=("code",)),
    ]


def draft_valid(w: World) -> dict[str, Any]:
    return {"mentor_id": w.other_mentor_id, "mentee_id": w.mentee_id, "starts_on": START}


def draft_bad(w: World) -> list[Bad]:
    base = draft_valid(w)
    return [
        *uuid_cases("mentor_id", base),
        *uuid_cases("mentee_id", base),
        Bad("mentor_id of nobody", {**base, "mentor_id": str(uuid.uuid4())}, fields=("mentor_id",), reason=UNKNOWN),
        Bad("mentee_id of nobody", {**base, "mentee_id": str(uuid.uuid4())}, fields=("mentee_id",), reason=UNKNOWN),
        Bad("mentor_id a mentee", {**base, "mentor_id": w.other_mentee_id}, fields=("mentor_id",), reason=ROLE),
        Bad("mentee_id a mentor", {**base, "mentee_id": w.mentor_id}, fields=("mentee_id",), reason=ROLE),
        Bad("mentor_id the auditor", {**base, "mentor_id": w.auditor_id}, fields=("mentor_id",), reason=ROLE),
        Bad(
            "mentor_id of another programme",
            {**base, "mentor_id": w.other_coordinator_id},
            fields=("mentor_id",),
            reason="wrong_programme",
        ),
        Bad("mentor_id a mentorship", {**base, "mentor_id": w.mentorship_id}, fields=("mentor_id",), reason=UNKNOWN),
        Bad(
            "mentor = mentee: one person holds one role",
            {**base, "mentor_id": w.mentee_id},
            fields=("mentor_id", "mentee_id"),
            reason="same_person",
        ),
        Bad("starts_on impossible", {**base, "starts_on": "2026-13-01"}, fields=("starts_on",), reason="malformed"),
        Bad("starts_on text", {**base, "starts_on": ECHO}, fields=("starts_on",), reason="malformed"),
        Bad("starts_on an int", {**base, "starts_on": 20260101}, fields=("starts_on",), reason="wrong_type"),
        Bad(
            "planned end past year 9999",
            {**base, "starts_on": "9999-06-01", "months": 36},
            fields=("starts_on", "months"),
            reason="outside_calendar",
        ),
        Bad("starts_on missing", without(base, "starts_on"), fields=("starts_on",), reason="missing"),
        *int_cases("months", base, 1, 36, required=False),
    ]


def objective_bad(_: World) -> list[Bad]:
    return text_cases("text", {"text": "An objective"}, required=True)


def assessment_bad(_: World) -> list[Bad]:
    return enum_cases("status", {"status": "attained"})


def satisfaction_bad(_: World) -> list[Bad]:
    base = {"score": 4, "comment": "fine"}
    return [*int_cases("score", base, 1, 5), *text_cases("comment", base, required=False)]


def dispute_bad(_: World) -> list[Bad]:
    return text_cases("summary", {"summary": "A dispute"}, required=True)


def consultation_valid(_: World) -> dict[str, Any]:
    return {"topic": "early_end", "outcome": "reconciled"}


def consultation_bad(w: World) -> list[Bad]:
    base = consultation_valid(w)
    about_dispute = {"topic": "dispute", "dispute_id": w.dispute_id, "outcome": "reconciled"}
    return [
        *enum_cases("topic", base),
        *enum_cases("outcome", base),
        *uuid_cases("dispute_id", about_dispute),
        *text_cases("note", base, required=False),
        Bad(
            "a dispute consultation without dispute_id",
            {**about_dispute, "dispute_id": None},
            fields=("dispute_id",),
            reason="missing",
        ),
        Bad(
            "dispute_id of nobody",
            {**about_dispute, "dispute_id": str(uuid.uuid4())},
            fields=("dispute_id",),
            reason=UNKNOWN,
        ),
        Bad(
            "dispute_id of another mentorship's kind",
            {**about_dispute, "dispute_id": w.meeting_id},
            fields=("dispute_id",),
            reason=UNKNOWN,
        ),
        Bad(
            "an early-end consultation naming a dispute",
            {**base, "dispute_id": w.dispute_id},
            fields=("dispute_id",),
            reason="not_applicable",
        ),
        Bad(
            "ending_agreed about a dispute",
            {**about_dispute, "outcome": "ending_agreed"},
            fields=("outcome",),
            reason="not_applicable",
        ),
    ]


def end_bad(_: World) -> list[Bad]:
    base = {"reason": "other"}
    return [*enum_cases("reason", base), *text_cases("note", base, required=False)]


def disclosure_bad(_: World) -> list[Bad]:
    base = {"basis": "required_by_law", "authority": "court"}
    return [
        *enum_cases("basis", base),
        *enum_cases("authority", base, required=False),
        Bad(
            "the mentor-only basis from the mentee, with a bad authority (validation first)",
            {"basis": "danger_to_self_or_others", "authority": ECHO},
            who="mentee",
            fields=("authority",),
        ),
        Bad(
            "the mentor-only basis from the mentee (403 after validation)",
            {"basis": "danger_to_self_or_others"},
            who="mentee",
            status=403,
            slug="forbidden",
        ),
    ]


def schedule_bad(_: World) -> list[Bad]:
    base = {"scheduled_for": FUTURE_MEETING}
    return [
        *time_cases("scheduled_for", base, required=True),
        Bad(
            "scheduled before the start date",
            {"scheduled_for": "2025-12-01T10:00:00+00:00"},
            fields=("scheduled_for",),
            reason="before_start",
        ),
    ]


def agenda_bad(_: World) -> list[Bad]:
    return text_cases("agenda", {"agenda": "An agenda"}, required=True)


def held_bad(_: World) -> list[Bad]:
    base = {"duration_minutes": 60, "held_at": PAST_MEETING, "notes": "notes"}
    return [
        *int_cases("duration_minutes", base, 1, 480),
        *time_cases("held_at", base, required=False),
        *time_cases("next_meeting_for", base, required=False),
        *text_cases("notes", base, required=False),
        Bad(
            "held at a future time",
            {**base, "held_at": "2026-02-01T10:00:00+00:00"},
            fields=("held_at",),
            reason="in_future",
        ),
        Bad(
            "held before the start date",
            {**base, "held_at": "2025-12-01T10:00:00+00:00"},
            fields=("held_at",),
            reason="before_start",
        ),
        Bad(
            "held by default at the (future) scheduled time",
            {"duration_minutes": 60},
            fields=("held_at",),
            reason="in_future",
        ),
        Bad(
            "next meeting before the start date",
            {**base, "next_meeting_for": "2025-06-01T10:00:00+00:00"},
            fields=("next_meeting_for",),
            reason="before_start",
        ),
    ]


def cancellation_bad(_: World) -> list[Bad]:
    base = {"unavoidable": True, "note": "a note"}
    return [
        Bad("unavoidable missing", {"note": "a note"}, fields=("unavoidable",), reason="missing"),
        Bad("unavoidable null", {**base, "unavoidable": None}, fields=("unavoidable",), reason="wrong_type"),
        Bad("unavoidable a string", {**base, "unavoidable": "yes"}, fields=("unavoidable",), reason="wrong_type"),
        Bad("unavoidable 'true'", {**base, "unavoidable": "true"}, fields=("unavoidable",), reason="wrong_type"),
        Bad("unavoidable an int", {**base, "unavoidable": 1}, fields=("unavoidable",), reason="wrong_type"),
        *text_cases("note", base, required=False),
    ]


P = "/v1/programmes/{programme_id}"
M = "/v1/mentorships/{mentorship_id}"
MEETING = M + "/meetings/{meeting_id}"

ROUTES: dict[str, Route] = {
    P + "/participants": Route("coordinator", participant_valid, participant_bad, "programme"),
    "/v1/participants/{participant_id}/invitations": Route("coordinator", empty, no_own_cases, "participant"),
    "/v1/invitations/redemption": Route(None, redemption_valid, redemption_bad, "none"),
    "/v1/sign-in": Route(None, sign_in_valid, sign_in_bad, "none"),
    "/v1/participants/{participant_id}/deactivation": Route("coordinator", empty, no_own_cases, "participant"),
    P + "/mentorships": Route("coordinator", draft_valid, draft_bad, "programme"),
    M + "/withdrawal": Route("coordinator", empty, no_own_cases, "mentorship-coordinator"),
    M + "/objectives": Route("mentor", lambda w: {"text": "An objective"}, objective_bad, "mentorship-parties"),
    M + "/signatures": Route("mentor", empty, no_own_cases, "mentorship-parties"),
    M + "/objectives/{objective_id}/assessments": Route(
        "mentor", lambda w: {"status": "attained"}, assessment_bad, "mentorship-parties"
    ),
    M + "/satisfaction": Route("mentor", lambda w: {"score": 4}, satisfaction_bad, "mentorship-parties"),
    M + "/disputes": Route("mentor", lambda w: {"summary": "A dispute"}, dispute_bad, "mentorship-parties"),
    M + "/disputes/{dispute_id}/settlement": Route("mentor", empty, no_own_cases, "mentorship-parties"),
    M + "/consultations": Route("coordinator", consultation_valid, consultation_bad, "mentorship-coordinator"),
    M + "/end": Route("mentor", lambda w: {"reason": "other"}, end_bad, "mentorship-any"),
    M + "/disclosures": Route("mentor", lambda w: {"basis": "required_by_law"}, disclosure_bad, "mentorship-parties"),
    M + "/meetings": Route("mentee", lambda w: {"scheduled_for": FUTURE_MEETING}, schedule_bad, "mentorship-parties"),
    MEETING + "/reschedule": Route(
        "mentee", lambda w: {"scheduled_for": FUTURE_MEETING}, schedule_bad, "mentorship-parties"
    ),
    MEETING + "/agenda": Route("mentee", lambda w: {"agenda": "An agenda"}, agenda_bad, "mentorship-mentee"),
    MEETING + "/held": Route("mentor", lambda w: {"duration_minutes": 60}, held_bad, "mentorship-parties"),
    MEETING + "/cancellation": Route("mentor", lambda w: {"unavoidable": True}, cancellation_bad, "mentorship-parties"),
}


# Generic bad inputs every route must refuse ---------------------------------------------------------------------


SCOPE_PARAMS = ("programme_id", "participant_id", "mentorship_id")


def path_params(template: str) -> list[str]:
    return re.findall(r"{(\w+)}", template)


def generic_cases(template: str, route: Route, w: World) -> list[Bad]:
    """Bad input any POST endpoint must refuse the same way."""
    valid = route.valid(w)
    valid_bytes = json.dumps(valid).encode()
    cases = [
        Bad("malformed JSON", Raw(b'{"' + ECHO.encode() + b'": '), reason="malformed_json", fields=(None,)),
        Bad("truncated JSON", Raw(valid_bytes[:-1] or b"{")),
        Bad("not UTF-8", Raw(b"\xff\xfe\x00")),
        Bad("deeply nested JSON", Raw(b"[" * 5000 + b"]" * 5000)),
        Bad("JSON null", None),
        Bad("a list for the object", [valid]),
        Bad("a string for the object", ECHO),
        Bad("a number for the object", 7),
        Bad("an unknown field", {**valid, "unexpected": ECHO}, reason="unknown_field", fields=(None,)),
        Bad("an unknown field named like content", {**valid, ECHO: 1}, reason="unknown_field", fields=(None,)),
        Bad("a non-JSON content type", Raw(valid_bytes), 415, "unsupported-media-type", headers=TEXT),
        Bad("a form body", Raw(b"a=" + ECHO.encode()), 415, "unsupported-media-type", headers=FORM),
        Bad("JSON sent as XML", Raw(valid_bytes), 415, "unsupported-media-type", headers=XML),
        Bad("a body over 256 KiB", Raw(b" " * TOO_LARGE + valid_bytes), 413, "payload-too-large"),
        Bad("a body over 256 KiB, not JSON", Raw(b"x" * TOO_LARGE), 413, "payload-too-large", headers=TEXT),
        Bad("a chunked body over 256 KiB", CHUNKED, 413, "payload-too-large"),
    ]
    if route.actor is not None:
        cases += [
            Bad("no token", status=401, slug="unauthenticated", who=None),
            Bad("no token, a malformed body", Raw(b"{"), 401, "unauthenticated", who=None),
            Bad("no token, a non-JSON body", Raw(b"x"), 401, "unauthenticated", who=None, headers=TEXT),
            Bad("a bad token", status=401, slug="unauthenticated", who="bad-token"),
            Bad("a bad token, a malformed body", Raw(b"["), 401, "unauthenticated", who="bad-token"),
            Bad("another scheme", status=401, slug="unauthenticated", who="basic"),
            Bad("an empty bearer", status=401, slug="unauthenticated", who="empty-bearer"),
        ]
    for param in path_params(template):
        cases += [
            Bad(f"{param} of nothing", status=404, slug="not-found", path={param: NOBODY}),
            Bad(f"{param} malformed", status=404, slug="not-found", path={param: MALFORMED_ID}),
            Bad(f"{param} malformed like content", status=404, slug="not-found", path={param: ECHO + "-id"}),
        ]
        if param in SCOPE_PARAMS:  # sub-resources (meeting, objective, dispute) have their own test below
            cases += [
                Bad(f"{param} of nothing, a bad body", Raw(b"{"), 404, "not-found", path={param: NOBODY}),
                Bad(f"{param} malformed, a bad body", Raw(b"{"), 404, "not-found", path={param: MALFORMED_ID}),
            ]
    cases += scope_cases(route)
    return cases


def scope_cases(route: Route) -> list[Bad]:
    """Scope (404) and role (403) come before the body: a bad body does not change them."""
    bad = Raw(b'{"' + ECHO.encode())
    if route.scope.startswith("mentorship"):
        cases = [
            Bad("a mentor of another pair, a bad body", bad, 404, "not-found", who="other_mentor"),
            Bad("a coordinator of another programme, a bad body", bad, 404, "not-found", who="other_coordinator"),
            Bad("the auditor, a bad body", bad, 403, "forbidden", who="auditor"),
            Bad("a mentor of another pair, a valid body", status=404, slug="not-found", who="other_mentor"),
            Bad("the auditor, a valid body", status=403, slug="forbidden", who="auditor"),
        ]
        if route.scope in ("mentorship-parties", "mentorship-mentee"):
            cases.append(
                Bad("the coordinator on a party command, a bad body", bad, 403, "forbidden", who="coordinator")
            )
        if route.scope == "mentorship-mentee":
            cases.append(Bad("the mentor on the mentee's command, a bad body", bad, 403, "forbidden", who="mentor"))
        if route.scope == "mentorship-coordinator":
            cases.append(Bad("a party on a coordinator command, a bad body", bad, 403, "forbidden", who="mentee"))
        return cases
    if route.scope in ("programme", "participant"):
        return [
            Bad("a coordinator of another programme, a bad body", bad, 404, "not-found", who="other_coordinator"),
            Bad("a mentor, a bad body", bad, 403, "forbidden", who="mentor"),
            Bad("the auditor, a bad body", bad, 403, "forbidden", who="auditor"),
        ]
    return []


TEXT = {"Content-Type": "text/plain"}
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
XML = {"Content-Type": "application/xml"}


class Chunked:
    """A body streamed without Content-Length (so only the body reader can refuse its size)."""


CHUNKED: Any = Chunked()


def chunks() -> Iterator[bytes]:
    for _ in range(TOO_LARGE // 4096 + 2):
        yield b" " * 4096
    yield b"{}"


# Sending and checking ------------------------------------------------------------------------------------------


def url(template: str, w: World, overrides: dict[str, str] | None = None) -> str:
    values = {
        "programme_id": w.programme_id,
        "participant_id": w.mentor_id,
        "mentorship_id": w.mentorship_id,
        "meeting_id": w.meeting_id,
        "objective_id": w.objective_id,
        "dispute_id": w.dispute_id,
        **(overrides or {}),
    }
    return template.format(**values)


def auth(w: World, who: str | None) -> dict[str, str]:
    if who is None:
        return {}
    if who == "bad-token":
        return bearer(ECHO + "-not-a-token")
    if who == "basic":
        return {"Authorization": "Basic " + ECHO}
    if who == "empty-bearer":
        return {"Authorization": "Bearer "}
    return w.headers(who)


def send(client: TestClient, template: str, route: Route, w: World, case: Bad) -> Any:
    """Send one case to its route."""
    who = route.actor if case.who == "default" else case.who
    headers = {**auth(w, who), **case.headers}
    path = url(template, w, case.path)
    body = route.valid(w) if case.body is VALID else case.body
    if body is NO_BODY:
        return client.post(path, headers=headers)
    if isinstance(body, Chunked):
        return client.post(path, content=chunks(), headers={"Content-Type": "application/json", **headers})
    if isinstance(body, Raw):
        return client.post(path, content=bytes(body), headers={"Content-Type": "application/json", **headers})
    return client.post(path, content=json.dumps(body).encode(), headers={"Content-Type": "application/json", **headers})


def problem_failures(response: Any, case: Bad) -> list[str]:
    """What is wrong with the answer to a bad request (empty when it follows the contract)."""
    failures = []
    if response.status_code != case.status:
        failures.append(f"status {response.status_code} != {case.status}: {response.text[:300]}")
    if response.headers.get("content-type", "").split(";")[0] != PROBLEM_JSON:
        failures.append(f"content type {response.headers.get('content-type')!r}")
    if ECHO in response.text or any(ECHO in v for v in response.headers.values()):
        failures.append("the answer echoes the input")
    try:
        body = response.json()
    except ValueError:
        return [*failures, "the body is not JSON"]
    if not str(body.get("type", "")).endswith("/" + case.slug):
        failures.append(f"type {body.get('type')!r} does not end with {case.slug!r}")
    if body.get("status") != response.status_code:
        failures.append(f"body status {body.get('status')!r}")
    if response.status_code == 422:
        errors = body.get("errors")
        if not isinstance(errors, list) or not errors:
            failures.append("a 422 without errors")
        else:
            named = {e.get("field") for e in errors}
            missing = set(case.fields) - named
            if missing:
                failures.append(f"fields {sorted(map(str, missing))} not named in {errors}")
            if any(set(e) != ITEM_KEYS for e in errors):
                failures.append(f"an error item says more or less than {sorted(ITEM_KEYS)}: {errors}")
            if any(e.get("location") != "body" or e.get("reason") not in REASONS for e in errors):
                failures.append(f"an error item is not a body field with a listed reason: {errors}")
            given = {e.get("reason") for e in errors if e.get("field") in case.fields}
            if case.reason is not None and given != {case.reason}:
                failures.append(f"reason {sorted(map(str, given))} != {case.reason!r}: {errors}")
    if not isinstance(body.get("detail"), str) or not body["detail"]:
        failures.append("a problem without a detail")
    return failures


def check_cases(client: TestClient, template: str, route: Route, w: World, cases: Iterable[Bad]) -> None:
    """Send every case (each with an Idempotency-Key of its own); collect every departure from the contract.

    Refused means nothing stored in any table: events, chain, idempotency records, outbox, data keys (the read
    models are not running here: `write_only`).
    """
    settings: Settings = client.app.state.settings  # type: ignore[attr-defined]
    failures = []
    for number, case in enumerate(cases):
        keyed = replace(case, headers={"Idempotency-Key": f"refused-{number}", **case.headers})
        before = table_counts(settings)
        response = send(client, template, route, w, keyed)
        problems = problem_failures(response, case)
        after = table_counts(settings)
        if after != before:
            changed = sorted(name for name in after if after[name] != before.get(name))
            problems.append(f"something was stored in {changed}")
        failures += [f"{case.label}: {p}" for p in problems]
    assert not failures, f"{template}:\n  " + "\n  ".join(failures)


# The tests ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("template", sorted(ROUTES))
def test_bad_input_is_refused_with_a_problem_and_stores_nothing(
    app_client: TestClient, world: World, template: str
) -> None:
    route = ROUTES[template]
    cases = [*route.bad(world), *generic_cases(template, route, world)]
    assert len(cases) >= 20
    check_cases(app_client, template, route, world, cases)


def post_routes(app: FastAPI) -> set[str]:
    """Every POST path of the app, from its routes (included routers walked) and from its OpenAPI document."""
    return {path for verb, path in app_routes(app) if verb == "POST"}


FUZZ_VALUES: list[Any] = [None, 0, -1, 10**30, 1.5, True, "", LONG_TEXT, ECHO, [], {}, [None], {"a": ECHO}]


def test_every_post_route_is_in_the_table_and_never_answers_5xx(app_client: TestClient, world: World) -> None:
    app = app_client.app
    assert isinstance(app, FastAPI)
    routes = post_routes(app)
    assert not routes - set(ROUTES), f"POST routes without a row in ROUTES: {sorted(routes - set(ROUTES))}"
    assert not set(ROUTES) - routes, f"rows of ROUTES that are no route: {sorted(set(ROUTES) - routes)}"
    answers: list[tuple[str, str, int]] = []
    for template in sorted(routes):
        route = ROUTES[template]
        valid = route.valid(world)
        cases = [*route.bad(world), *generic_cases(template, route, world)]
        for name in [*valid, "unexpected"]:
            cases += [Bad(f"{name}={value!r:.20}", {**valid, name: value}) for value in FUZZ_VALUES]
        for case in cases:
            answers.append((template, case.label, send(app_client, template, route, world, case).status_code))
    server_errors = [a for a in answers if a[2] >= 500]
    assert not server_errors, server_errors
    assert all(400 <= a[2] < 500 or a[2] == 201 for a in answers), [a for a in answers if not 400 <= a[2] < 500]


# Order of checks ------------------------------------------------------------------------------------------------


def test_no_token_and_a_malformed_body_is_401(app_client: TestClient, world: World) -> None:
    response = app_client.post(
        f"/v1/mentorships/{world.mentorship_id}/objectives",
        content=b"{not json",
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 401
    assert response.headers["content-type"] == PROBLEM_JSON
    assert response.json()["type"].endswith("/unauthenticated")
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_a_mentor_of_another_pair_with_a_bad_body_is_404(app_client: TestClient, world: World) -> None:
    before = service_of(app_client).store.position()
    response = app_client.post(
        f"/v1/mentorships/{world.mentorship_id}/satisfaction", json={"score": 0}, headers=world.other_mentor
    )
    assert response.status_code == 404
    assert response.json()["type"].endswith("/not-found")
    # ... exactly what an id that names nothing answers
    nothing = app_client.post(f"/v1/mentorships/{NOBODY}/satisfaction", json={"score": 0}, headers=world.other_mentor)
    assert nothing.status_code == 404
    assert nothing.json() == response.json()
    assert service_of(app_client).store.position() == before


def test_the_auditor_on_a_party_command_with_a_bad_body_is_403(app_client: TestClient, world: World) -> None:
    response = app_client.post(
        f"/v1/mentorships/{world.mentorship_id}/disputes", json={"summary": 5}, headers=world.auditor
    )
    assert response.status_code == 403
    assert response.headers["content-type"] == PROBLEM_JSON
    assert response.json()["type"].endswith("/forbidden")


def test_the_mentor_sending_an_agenda_with_a_bad_body_is_403(app_client: TestClient, world: World) -> None:
    """The agenda is the mentee's: the mentor's role is refused before the body, as the contract orders."""
    path = f"/v1/mentorships/{world.mentorship_id}/meetings/{world.meeting_id}/agenda"
    valid = app_client.post(path, json={"agenda": "An agenda"}, headers=world.mentor)
    assert valid.status_code == 403
    assert valid.json()["type"].endswith("/forbidden")
    response = app_client.post(path, json={"agenda": 5}, headers=world.mentor)
    assert response.status_code == 403, response.text
    assert response.json()["type"].endswith("/forbidden")


SUB_RESOURCE_ROUTES = sorted(t for t in ROUTES if set(path_params(t)) - set(SCOPE_PARAMS))


@pytest.mark.parametrize("template", SUB_RESOURCE_ROUTES)
def test_an_unknown_or_malformed_sub_resource_id_with_a_bad_body_is_404(
    app_client: TestClient, world: World, template: str
) -> None:
    """A meeting, objective or dispute that does not exist is outside the caller's scope: 404 comes before 422."""
    route = ROUTES[template]
    param = next(p for p in path_params(template) if p not in SCOPE_PARAMS)
    cases = [
        Bad(f"{param} of nothing, a malformed body", Raw(b"{"), 404, "not-found", path={param: NOBODY}),
        Bad(f"{param} malformed, a malformed body", Raw(b"{"), 404, "not-found", path={param: MALFORMED_ID}),
        Bad(f"{param} of nothing, an unknown field", {"unexpected": 1}, 404, "not-found", path={param: NOBODY}),
    ]
    check_cases(app_client, template, route, world, cases)


def etag_of(response: Any) -> str:
    """The strong ETag of a 2xx command answer, checked against its body."""
    body = response.json()
    assert isinstance(body["version"], int)
    assert isinstance(body["position"], int)
    etag = response.headers["ETag"]
    assert re.fullmatch(r'"\d+"', etag), etag
    assert etag == f'"{body["version"]}"'
    return str(etag)


def test_command_answers_carry_version_position_and_a_strong_etag(app_client: TestClient, world: World) -> None:
    service = service_of(app_client)
    mid = uuid.UUID(world.mentorship_id)
    response = app_client.post(
        f"/v1/mentorships/{world.mentorship_id}/satisfaction", json={"score": 4}, headers=world.mentee
    )
    assert response.status_code == 201
    assert etag_of(response) == f'"{service.mentorships.get(mid).version}"'
    assert response.json()["position"] == service.store.position()
    participant = app_client.post(
        f"/v1/programmes/{world.programme_id}/participants",
        json={"role": "mentee", "name": "New", "email": "new@example.org", "language": "fr"},
        headers=world.coordinator,
    )
    assert participant.status_code == 201
    assert etag_of(participant) == '"1"'
    assert participant.json()["position"] == service.store.position() > response.json()["position"]
    invitation = app_client.post(f"/v1/participants/{participant.json()['id']}/invitations", headers=world.coordinator)
    assert etag_of(invitation) == '"2"'
    redemption = app_client.post("/v1/invitations/redemption", json={"code": mailed(app_client, "new@example.org")})
    assert etag_of(redemption) == '"3"'
    assert redemption.json()["position"] == service.store.position()


def test_a_stale_if_match_is_412_and_the_etag_of_the_previous_answer_is_201(
    app_client: TestClient, world: World
) -> None:
    service = service_of(app_client)
    path = f"/v1/mentorships/{world.mentorship_id}/meetings"
    first = app_client.post(path, json={"scheduled_for": FUTURE_MEETING}, headers=world.mentee)
    assert first.status_code == 201
    etag = etag_of(first)
    version = int(etag.strip('"'))
    for stale in (f'"{version - 1}"', f'"{version + 1}"', '"0"', f"{version}", f"W/{etag}", "garbage"):
        before = service.store.position()
        response = app_client.post(
            path, json={"scheduled_for": FUTURE_MEETING}, headers={**world.mentee, "If-Match": stale}
        )
        assert response.status_code == 412, (stale, response.text)
        assert response.headers["content-type"] == PROBLEM_JSON
        assert response.json()["type"].endswith("/precondition-failed")
        assert service.store.position() == before
    second = app_client.post(path, json={"scheduled_for": FUTURE_MEETING}, headers={**world.mentee, "If-Match": etag})
    assert second.status_code == 201, second.text
    assert etag_of(second) == f'"{version + 1}"'
    assert second.json()["position"] == service.store.position()
    # and the ETag of that answer is good for the next one, on another command
    third = app_client.post(
        f"/v1/mentorships/{world.mentorship_id}/satisfaction",
        json={"score": 5},
        headers={**world.mentor, "If-Match": etag_of(second)},
    )
    assert third.status_code == 201, third.text


def test_a_stale_if_match_and_a_rule_violation_is_412(app_client: TestClient, world: World) -> None:
    service = service_of(app_client)
    path = f"/v1/mentorships/{world.mentorship_id}/signatures"
    version = service.mentorships.get(uuid.UUID(world.mentorship_id)).version
    before = service.store.position()
    stale = app_client.post(path, headers={**world.mentor, "If-Match": f'"{version - 1}"'})
    assert stale.status_code == 412, stale.text
    assert stale.json()["type"].endswith("/precondition-failed")
    current = app_client.post(path, headers={**world.mentor, "If-Match": f'"{version}"'})
    assert current.status_code == 409
    assert current.json()["type"].endswith("/already-signed")
    settle = f"/v1/mentorships/{world.mentorship_id}/disputes/{world.dispute_id}/settlement"
    assert app_client.post(settle, headers=world.mentee).status_code == 201
    again = app_client.post(settle, headers={**world.mentor, "If-Match": f'"{version}"'})
    assert again.status_code == 412
    assert app_client.post(settle, headers=world.mentor).json()["type"].endswith("/dispute-not-open")
    assert service.store.position() == before + 1


def test_a_stale_if_match_and_a_validation_error_is_422(app_client: TestClient, world: World) -> None:
    response = app_client.post(
        f"/v1/mentorships/{world.mentorship_id}/satisfaction",
        json={"score": 6},
        headers={**world.mentor, "If-Match": '"1"'},
    )
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "score", "code": "less_than_equal", "location": "body", "reason": "out_of_range"}
    ]


def test_if_match_on_a_participant_command(app_client: TestClient, world: World) -> None:
    path = f"/v1/participants/{world.other_mentee_id}/invitations"
    stale = app_client.post(path, headers={**world.coordinator, "If-Match": '"1"'})
    assert stale.status_code == 412
    assert stale.json()["type"].endswith("/precondition-failed")
    fresh = app_client.post(path, headers=world.coordinator)
    assert fresh.status_code == 201
    assert app_client.post(path, headers={**world.coordinator, "If-Match": etag_of(fresh)}).status_code == 201
