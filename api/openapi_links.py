"""OpenAPI `links` from each answer that creates something to the operations that use its id.

Generic stateful testers (schemathesis) and readers of the document follow them: a drafted convention's `id`
is the `mentorship_id` of its signatures, meetings and objectives; a scheduled meeting's `meeting_id` that of
its agenda, record and cancellation.
"""

from __future__ import annotations

from typing import Any

Document = dict[str, Any]
# The operations whose 201 answer holds a new id: the path parameter it fills, and the answer's field that holds it.
CREATES: dict[str, tuple[str, str]] = {
    "registerParticipant": ("participant_id", "id"),
    "redeemInvitation": ("participant_id", "participant_id"),
    "draftConvention": ("mentorship_id", "id"),
    "scheduleMeeting": ("meeting_id", "meeting_id"),
    "recordMeetingHeld": ("meeting_id", "next_meeting_id"),
    "addObjective": ("objective_id", "objective_id"),
    "raiseDispute": ("dispute_id", "dispute_id"),
}


def link_created_ids(doc: Document) -> None:
    """`links` from each 201 answer that holds a new id to every operation whose path it completes.

    A target's other path parameters come from the creating request's own path (a meeting's mentorship).
    """
    operations = {op["operationId"]: op for ops in doc["paths"].values() for op in ops.values()}
    for creator, (parameter, field) in CREATES.items():
        operation = operations[creator]
        known = path_parameters(operation)
        links = {}
        for target, target_operation in sorted(operations.items()):
            wanted = path_parameters(target_operation)
            if parameter in wanted and wanted <= known | {parameter}:
                values = {name: f"$request.path.{name}" for name in sorted(wanted - {parameter})}
                links[target] = {
                    "operationId": target,
                    "parameters": {**values, parameter: f"$response.body#/{field}"},
                    "description": f"`{field}` of this answer is the `{parameter}` of `{target}`.",
                }
        created = next(answer for status, answer in operation["responses"].items() if status.startswith("2"))
        created["links"] = links


def path_parameters(operation: Document) -> set[str]:
    """The names of an operation's path parameters."""
    return {p["name"] for p in operation.get("parameters", []) if p["in"] == "path"}
