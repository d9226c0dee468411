"""Response models per audience, read from the app's own OpenAPI document (MISSION sections 3 and 5).

Nothing a reader may not see is ever serialised for them: the content fields exist only in the parties' journal,
and personal data only in the caller's own identity and the coordinator's list of participants. The schemas are
walked with their `$ref`s resolved, so a field added to any nested model is caught. Who may read which query is
the access table of `test_permissions`, which proves it against the running app.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from api.app import create_app
from bootstrap.settings import Settings
from tests.api.test_permissions import CALLERS, TABLE

CONTENT = frozenset({"notes", "agenda", "text", "summary", "note", "comment"})
PERSONAL = frozenset({"name", "email"})
JOURNAL = ("get", "/v1/mentorships/{mentorship_id}/journal")
OWN_IDENTITY = ("get", "/v1/me")
PARTICIPANTS = ("get", "/v1/programmes/{programme_id}/participants")
Document = dict[str, Any]


def document() -> Document:
    """The app's OpenAPI document (no lifespan: nothing is connected)."""
    doc: Document = create_app(Settings(database_url=None)).openapi()
    return doc


def field_names(doc: Document, node: Any, seen: set[str] | None = None) -> Iterator[str]:
    """Every property name in a schema, at any depth, its `$ref`s resolved (each component once)."""
    seen = set() if seen is None else seen
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str):
            if ref in seen:
                return
            seen.add(ref)
            yield from field_names(doc, follow(doc, ref), seen)
            return
        yield from node.get("properties", {})
        for key, value in node.items():
            if key != "properties":
                yield from field_names(doc, value, seen)
        for value in node.get("properties", {}).values():
            yield from field_names(doc, value, seen)
    elif isinstance(node, list):
        for item in node:
            yield from field_names(doc, item, seen)


def follow(doc: Document, ref: str) -> Any:
    """The node a local `$ref` names."""
    node: Any = doc
    for part in ref.removeprefix("#/").split("/"):
        node = node[part]
    return node


def answered_fields(doc: Document) -> dict[tuple[str, str], set[str]]:
    """For every operation, the field names of every answer it documents (2xx and problems alike)."""
    return {
        (method, path): set(field_names(doc, operation["responses"]))
        for path, operations in doc["paths"].items()
        for method, operation in operations.items()
    }


def readable(who: str) -> set[tuple[str, str]]:
    """The operations whose answers this caller may read (a 2xx cell in the access table)."""
    column = CALLERS.index(who)
    return {(row.method.lower(), row.path) for row in TABLE if 200 <= row.statuses[column] < 300}


def test_the_walk_sees_nested_fields() -> None:
    fields = answered_fields(document())
    assert {"meetings", "agenda", "notes", "entries", "text"} <= fields[JOURNAL]
    summaries = fields[("get", "/v1/programmes/{programme_id}/mentorships")]
    assert {"items", "next_cursor", "mentor_id", "meetings_held"} <= summaries
    assert {"errors", "field", "code"} <= summaries  # its 422's problem
    assert {"name", "type", "title", "status"} <= fields[OWN_IDENTITY]  # problems too


def test_coordinators_and_auditors_are_never_answered_content() -> None:
    fields = answered_fields(document())
    for who in ("coordinator", "auditor"):
        operations = readable(who)
        assert operations, who
        assert JOURNAL not in operations, who
        leaks = {operation: fields[operation] & CONTENT for operation in operations if fields[operation] & CONTENT}
        assert not leaks, (who, leaks)


def test_the_journal_is_the_only_answer_with_content() -> None:
    fields = answered_fields(document())
    carrying = {operation for operation, names in fields.items() if names & CONTENT}
    assert carrying == {JOURNAL}, carrying


def test_personal_data_only_in_ones_own_identity_and_the_coordinators_list() -> None:
    fields = answered_fields(document())
    carrying = {operation for operation, names in fields.items() if names & PERSONAL}
    assert carrying == {OWN_IDENTITY, PARTICIPANTS}, carrying
    assert PARTICIPANTS in readable("coordinator")
    assert not any(PARTICIPANTS in readable(who) for who in ("mentor", "mentee", "auditor"))
