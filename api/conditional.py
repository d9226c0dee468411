"""Conditional reads (RFC 9110, section 13): a read's `ETag` and `If-None-Match`, answered 304 when it matches.

Starlette has no conditional-request support for JSON answers (only for static files), and the tag here is the
read model's version, not a hash of the body, so the small comparison is our own.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Header
from fastapi.responses import Response

from api.deps import etag

IF_NONE_MATCH_DESCRIPTION = (
    'The `ETag`s the caller holds (`"7"`, a comma-separated list, or `*`): when one is the current version, '
    "the answer is 304 with no body. Scope comes first: outside it, the answer is 404 as without the header."
)
ETAG_DESCRIPTION = (
    'The mentorship\'s version (as `version` in the summary) as a strong entity tag (`"7"`), for `If-Match`.'
)
ETAG_HEADER: dict[str, Any] = {
    "description": ETAG_DESCRIPTION,
    "required": True,
    "schema": {"type": "string", "pattern": '^"[0-9]+"$'},
}
NOT_MODIFIED: dict[int | str, dict[str, Any]] = {
    200: {"headers": {"ETag": ETAG_HEADER}},
    304: {
        "description": "Not modified: the `If-None-Match` tag is the current version; no body.",
        "headers": {"ETag": ETAG_HEADER},
    },
}

IfNoneMatch = Annotated[str | None, Header(alias="If-None-Match", description=IF_NONE_MATCH_DESCRIPTION)]


def matches(if_none_match: str | None, current: str) -> bool:
    """Whether `If-None-Match` names the current tag: `*`, or one of a list; weak comparison, as RFC 9110 says."""
    if if_none_match is None:
        return False
    tags = [tag.strip() for tag in if_none_match.split(",")]
    return any(tag == "*" or tag.removeprefix("W/") == current for tag in tags)


def conditional(body: dict[str, Any], version: int, if_none_match: str | None, response: Response) -> Any:
    """The body with its `ETag`, or a bare 304 carrying the same `ETag` when the caller's tag is current."""
    current = etag(version)
    if matches(if_none_match, current):
        return Response(status_code=304, headers={"ETag": current})
    response.headers["ETag"] = current
    return body
