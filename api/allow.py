"""The `Allow` header of a 405: every method the requested path serves, read from the app's OpenAPI document.

Starlette's router answers a 405 from the first route whose path matched, so a path served by a GET route and
a POST route would allow only one of the two; the document lists every operation of every path template.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import FastAPI
from starlette.routing import compile_path

Templates = list[tuple[re.Pattern[str], list[str]]]


def allowed_methods(app: FastAPI, path: str) -> list[str]:
    """The methods of every documented path template that matches `path` (none for an undocumented path)."""
    templates: Templates | None = getattr(app.state, "allow_templates", None)
    if templates is None:  # built on the first 405: the document is complete by then
        templates = app.state.allow_templates = path_templates(app.openapi())
    return sorted({method for pattern, methods in templates if pattern.match(path) for method in methods})


def path_templates(document: dict[str, Any]) -> Templates:
    """Each documented path as a regular expression (Starlette's own compiler), with its methods."""
    return [(compile_path(path)[0], [m.upper() for m in operations]) for path, operations in document["paths"].items()]
