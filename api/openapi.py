"""The app's OpenAPI document: what every operation may answer, so clients and fuzzers can rely on it.

FastAPI documents each route's 2xx answer from its response model. This module completes the document from
each operation's own shape: the bearer scheme (`security: []` on public operations), the problems (RFC 9457) it
may answer, one plain schema per status with its slugs (generators cannot merge `allOf`), the `ETag` of command
answers, the `Idempotency-Key` and `If-Match` request headers, and `links` from each answer that creates
something to the operations that use its id (stateful testers follow them). Tags, `servers` and the licence too.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from pydantic.json_schema import models_json_schema

from api import field_errors, problems
from api.idempotency import NEVER_REPLAYED
from api.openapi_links import link_created_ids
from api.schemas import Problem
from domain.errors import DomainError, RuleViolation
from domain.permissions import ALLOWED, EVERYONE, Action

Document = dict[str, Any]
SCHEMAS = "#/components/schemas/"
RESPONSES = "#/components/responses/"
BEARER: list[dict[str, list[str]]] = [{"bearer": []}]
ABSTRACT_ERRORS = (DomainError, RuleViolation)  # never raised themselves
# Answered by the idempotency middleware (contract v1, section 5), beside the errors of the domain.
IDEMPOTENCY_SLUGS = {409: ["idempotency-key-in-use"], 422: ["idempotency-key-reused"]}
Actions = dict[tuple[str, str], Action]  # (method, path) -> the action its scope dependency checks
PROBLEMS: dict[int, tuple[str, str]] = {
    401: ("Unauthenticated", "No valid bearer token."),
    403: ("Forbidden", "This role may not do this on a resource it can see."),
    404: ("NotFound", "Nothing of that id within the caller's scope, as if it did not exist (a malformed id too)."),
    409: (
        "Conflict",
        "A rule refuses the command now; another command changed the same aggregate first (`version-conflict`); "
        "or a request with the same `Idempotency-Key` is still running (`idempotency-key-in-use`).",
    ),
    412: ("PreconditionFailed", "The `If-Match` version is not the current one: nothing changed."),
    413: ("PayloadTooLarge", "The body is over 256 KiB (checked before anything else)."),
    415: ("UnsupportedMediaType", "Bodies are JSON."),
    422: (
        "ValidationError",
        "A value is refused: each item of `errors` names a field, its `location` (body, query, path or header) "
        "and a stable `reason` (the `Reason` schema lists them all), never its value; or the `Idempotency-Key` "
        "was used with another body (`idempotency-key-reused`, reason `key_reused`). The reasons:\n\n"
        + field_errors.reasons_markdown(),
    ),
    500: ("InternalError", "An unexpected error: one fixed `detail`, nothing of the error itself."),
    503: (
        "Unavailable",
        "Retry after `Retry-After` seconds: the read models do not include `?after` yet (`not-ready`), or the "
        "database cannot be reached or did not answer in time (`unavailable`, with one fixed `detail`).",
    ),
}
RETRY_AFTER = {"description": "Seconds to wait before retrying.", "schema": {"type": "string", "pattern": "^[0-9]+$"}}
CHALLENGE = "`Bearer`: the scheme to authenticate with."
HEADERS: dict[int, dict[str, Any]] = {
    401: {
        "WWW-Authenticate": {
            "description": CHALLENGE,
            "required": True,
            "schema": {"type": "string", "pattern": "^Bearer"},
        }
    },
    409: {"Retry-After": {**RETRY_AFTER, "required": False}},  # with `idempotency-key-in-use`
    503: {"Retry-After": {**RETRY_AFTER, "required": True}},
}
REPLAYED = {
    "description": "`true` when this is the stored answer of an earlier request with the same `Idempotency-Key`.",
    "required": False,
    "schema": {"type": "string", "enum": ["true"]},
}
ETAG = {
    "description": 'The version of the changed aggregate, as a strong entity tag (`"7"`), for `If-Match`.',
    "required": True,
    "schema": {"type": "string", "pattern": '^"[0-9]+"$'},
}
IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": "A retry with the same key and body answers the first 2xx again and records nothing "
    "(scoped to the caller, method and path; kept at least 24 hours).",
    "schema": {"type": "string", "pattern": "^[!-~]{1,255}$"},  # 1 to 255 visible ASCII characters
}
IF_MATCH_DESCRIPTION = 'The expected version, `"<version>"` as the `ETag` gave it: a stale one answers 412.'
TAGS = [
    {"name": "system", "description": "The process itself: liveness, without a token."},
    {"name": "programmes", "description": "A programme: the frame of its participants and mentorships."},
    {
        "name": "participants",
        "description": "Mentors, mentees, coordinators and auditors of a programme, and the caller.",
    },
    {"name": "invitations", "description": "One-time codes e-mailed to participants, exchanged for bearer tokens."},
    {"name": "mentorships", "description": "Conventions between a mentor and a mentee: drafted, signed, ended."},
    {"name": "meetings", "description": "A mentorship's meetings: scheduled, moved, held or cancelled."},
    {"name": "objectives", "description": "The objectives a pair sets and assesses."},
    {"name": "disputes", "description": "Disputes between the parties, settled or taken to the coordinator."},
    {"name": "reports", "description": "Figures for the coordinator and the auditor: the report, the worklist."},
    {"name": "audit", "description": "Timelines without content and the access log."},
]
LICENSE = {"name": "Proprietary: all rights reserved", "identifier": "LicenseRef-Proprietary"}


def document(app: FastAPI, routers: Iterable[APIRouter], public_url: str) -> None:
    """Complete the generated OpenAPI document of the app and its routers (called once by `create_app`)."""
    actions = route_actions(routers)
    generate = app.openapi

    def openapi() -> Document:
        if app.openapi_schema is None:  # completed in place: FastAPI keeps the dict it generated and answers it again
            doc = generate()
            complete(doc, actions)
            describe(doc, public_url)
        return generate()

    app.openapi = openapi  # type: ignore[method-assign]


def route_actions(routers: Iterable[APIRouter]) -> Actions:
    """Each route's action, read from the scope dependency that checks it (`api/deps.py`): one table, no copy."""
    found: Actions = {}
    for router in routers:
        for route in router.routes:
            action = action_of(route.dependant) if isinstance(route, APIRoute) else None
            if isinstance(route, APIRoute) and action is not None:
                found.update(((method.lower(), route.path), action) for method in route.methods or ())
    return found


def action_of(dependant: Dependant) -> Action | None:
    """The action of the first dependency that declares one, at any depth."""
    for dependency in dependant.dependencies:
        action = getattr(dependency.call, "action", None)
        if isinstance(action, Action):
            return action
        deeper = action_of(dependency)
        if deeper is not None:
            return deeper
    return None


def complete(doc: Document, actions: Actions) -> None:
    """Add the shared components, then complete every operation."""
    components = doc.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    for unused in ("HTTPValidationError", "ValidationError"):  # FastAPI's 422, replaced by the problem
        schemas.pop(unused, None)
    schemas.update(problem_schemas())
    components["responses"] = problem_responses()
    components["securitySchemes"] = {"bearer": {"type": "http", "scheme": "bearer"}}
    for path, operations in doc["paths"].items():
        for method, operation in operations.items():
            complete_operation(method, path, operation, actions.get((method, path)))
            name_request_body(operation, schemas)
    link_created_ids(doc)


def name_request_body(operation: Document, schemas: Document) -> None:
    """A command's body schema (`api.body.body_schema`, inline) moved to the components under its model's name.

    Generated clients then share one model per body (`Empty`, `ScheduleIn`) instead of one per operation.
    """
    media = operation.get("requestBody", {}).get("content", {}).get("application/json")
    if media is None or "$ref" in media["schema"]:
        return
    schema = rerooted(media["schema"])
    for name, nested in schema.pop("$defs", {}).items():  # nested models (a merge patch's parts) become components
        assert schemas.setdefault(name, nested) == nested, f"two models named {name}"
    assert schemas.setdefault(schema["title"], schema) == schema, f"two body models named {schema['title']}"
    media["schema"] = {"$ref": SCHEMAS + schema["title"]}


def rerooted(schema: Any) -> Any:
    """The schema with its local references (`#/$defs/X`) pointed at the components (`#/components/schemas/X`)."""
    if isinstance(schema, dict):
        local = schema.get("$ref")
        if isinstance(local, str) and local.startswith("#/$defs/"):
            return {**schema, "$ref": SCHEMAS + local.removeprefix("#/$defs/")}
        return {key: rerooted(value) for key, value in schema.items()}
    if isinstance(schema, list):
        return [rerooted(item) for item in schema]
    return schema


def describe(doc: Document, public_url: str) -> None:
    """What the document says of itself: its tags, where the API is served, and its licence."""
    doc["tags"] = TAGS
    doc["servers"] = [{"url": public_url.rstrip("/"), "description": "This server (`MENTORAT_PUBLIC_URL`)."}]
    doc["info"]["license"] = LICENSE


def problem_schemas() -> dict[str, Any]:
    """One plain problem schema per status (`Problem409`...), made from `Problem`, and the models they use."""
    _, defs = models_json_schema([(Problem, "serialization")], ref_template=SCHEMAS + "{model}")
    found: dict[str, Any] = defs["$defs"]
    base = found.pop("Problem")
    slugs = slugs_by_status()
    for status, (_, description) in PROBLEMS.items():
        found[f"Problem{status}"] = status_problem(base, status, description, slugs[status])
    return found


def status_problem(base: Document, status: int, description: str, slugs: list[str]) -> Document:
    """`Problem` for one status: `status` a constant, the slugs listed, `errors` on 422 only.

    The slugs are listed in the description and as examples, not as an `enum`: a client generated from this
    document keeps parsing the problems of a later version that adds a slug (an extension of the contract).
    """
    schema = copy.deepcopy(base)
    schema["title"] = f"Problem{status}"
    schema["description"] = f"{description} (RFC 9457 problem details.)"
    properties = schema["properties"]
    properties["status"] = {"type": "integer", "const": status, "description": f"Always {status}."}
    listed = ", ".join(f"`{slug}`" for slug in slugs)
    properties["type"] = {**properties["type"], "examples": slugs}
    properties["type"]["description"] += f" For {status}: {listed}."
    if status != 422:
        del properties["errors"]
    return schema


def problem_responses() -> dict[str, Any]:
    """One reusable response per error status: problem+json of that status's own schema."""
    responses = {}
    for status, (name, description) in PROBLEMS.items():
        responses[name] = {
            "description": description,
            "content": {problems.PROBLEM_JSON: {"schema": {"$ref": SCHEMAS + f"Problem{status}"}}},
        }
        if status in HEADERS:
            responses[name]["headers"] = HEADERS[status]
    return responses


def slugs_by_status() -> dict[int, list[str]]:
    """The problem types each status may carry: the mapped errors' slugs, HTTP's own and the idempotency ones."""
    found: dict[int, set[str]] = {status: set(IDEMPOTENCY_SLUGS.get(status, ())) for status in PROBLEMS}
    for error_class in subclasses(DomainError):
        mapped = problems.status_of(error_class)
        if mapped is not None and error_class not in ABSTRACT_ERRORS:
            found[mapped[0]].add(error_class.slug)
    for status, slug in problems.HTTP_SLUGS.items():
        if status in found:
            found[status].add(slug)
    found[500].add("internal-error")
    found[503].add(problems.UNAVAILABLE)
    return {status: sorted(problems.TYPE_BASE + slug for slug in slugs) for status, slugs in found.items()}


def subclasses(cls: type[DomainError]) -> list[type[DomainError]]:
    """Every class derived from `cls`, at any depth."""
    direct = cls.__subclasses__()
    return [*direct, *(deeper for sub in direct for deeper in subclasses(sub))]


def complete_operation(method: str, path: str, operation: Document, action: Action | None) -> None:
    """Its summary, security, the roles that may call it, request headers and every status it may answer."""
    operation["summary"] = summary_of(operation["operationId"])
    parameters = operation.get("parameters", [])
    authenticated = any(is_authorization(p) for p in parameters)
    operation["parameters"] = [p for p in parameters if not is_authorization(p)]
    operation["security"] = BEARER if authenticated else []  # `[]`: public, said so (not left to a default)
    if action is not None:
        operation["x-roles"] = sorted(ALLOWED[action])  # the roles that may call it on what they can see
    for parameter in operation["parameters"]:
        if parameter["in"] == "header" and parameter["name"] == "If-Match":
            parameter.update(description=IF_MATCH_DESCRIPTION, schema={"type": "string"})
    if method == "post" and path not in NEVER_REPLAYED:
        operation["parameters"].append(dict(IDEMPOTENCY_KEY))
        for status, answer in operation["responses"].items():
            if status.startswith("2"):
                answer.setdefault("headers", {}).update({"ETag": dict(ETAG), "Idempotent-Replayed": dict(REPLAYED)})
    elif method in ("post", "patch"):  # a PATCH is a command too (`updateProgramme`), never replayed
        for status, answer in operation["responses"].items():
            if status.startswith("2") and status != "202":  # 202: nothing stored yet, no version (`requestSignIn`)
                answer.setdefault("headers", {}).update({"ETag": dict(ETAG)})
    statuses = declared_errors(operation) | error_statuses(method, operation, authenticated, action)
    for status in sorted(statuses):
        operation["responses"][str(status)] = {"$ref": RESPONSES + PROBLEMS[status][0]}


def summary_of(operation_id: str) -> str:
    """`recordMeetingHeld` as words, `Record meeting held` (FastAPI's default comes from the function's name)."""
    words = re.sub(r"(?<!^)([A-Z])", r" \1", operation_id).lower()
    return words.capitalize().replace(" csv", " CSV")


def declared_errors(operation: Document) -> set[int]:
    """The error statuses the route declared (`responses=`), taken out to be documented as problems.

    FastAPI's own 422, added to any operation with parameters, is dropped: `error_statuses` knows when one comes.
    """
    responses = operation["responses"]
    errors = {int(status) for status in responses if int(status) >= 400}
    for status in errors:
        del responses[str(status)]
    return errors - {422}


def is_authorization(parameter: Document) -> bool:
    """FastAPI's `Authorization` header parameter, documented as the bearer scheme instead."""
    return bool(parameter["in"] == "header" and parameter["name"].lower() == "authorization")


def error_statuses(method: str, operation: Document, authenticated: bool, action: Action | None) -> set[int]:
    """The problems an operation may answer, read from its method, security, roles and parameters."""
    names = {(p["in"], p["name"]) for p in operation["parameters"]}
    found = {413, 500}  # the size guard runs before routing; anything may fail unexpectedly
    if authenticated:
        # Roles outside the table's answer 403; where every role may call it (on what is in its scope), none does
        found |= {401} if action is None or ALLOWED[action] == EVERYONE else {401, 403}
    if any(where == "path" for where, _ in names):
        found.add(404)
    if method in ("post", "patch"):
        found |= {409, 415, 422}  # every command reads a JSON body and may meet the rules or a racing command
    if any(where == "query" for where, _ in names):
        found.add(422)
    if ("header", "If-Match") in names:
        found.add(412)
    if authenticated or method == "post":
        found.add(503)  # every call that reaches the store (`/healthz` does not) may find it unavailable
    return found
