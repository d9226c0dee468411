"""A posted HTML form (`application/x-www-form-urlencoded`) and its CSRF token.

Parsed with the standard library's `parse_qsl`: Starlette's `request.form()` needs `python-multipart`, a
dependency for file uploads the pages never take.
"""

from __future__ import annotations

import hmac
from urllib.parse import parse_qsl

from fastapi import Request

MAX_FORM_BYTES = 16_384  # the pages' forms are small; the guard's own limit stops anything far larger


class CsrfRefused(Exception):
    """A form posted without the CSRF token of its session (a 403 page)."""


async def posted(request: Request) -> dict[str, str]:
    """The form's fields (the last value of a repeated field); empty when it is no URL-encoded form."""
    if not request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        return {}
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        return {}
    return dict(parse_qsl(body.decode("utf-8", errors="replace"), keep_blank_values=True))


def check_csrf(form: dict[str, str], expected: str | None) -> None:
    """The form carries the expected CSRF token (compared in constant time), else `CsrfRefused`."""
    given = form.get("csrf", "")
    if not expected or not hmac.compare_digest(given.encode(), expected.encode()):
        raise CsrfRefused
