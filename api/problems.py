"""The one place errors become HTTP: RFC 9457 problem+json with stable slugs and no request content."""

from __future__ import annotations

import logging
import traceback
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.allow import allowed_methods
from application.errors import PreconditionFailed, Unauthenticated
from bootstrap.faults import unavailable
from domain.errors import DomainError, Forbidden, InvalidValue, NotFound, RuleViolation

logger = logging.getLogger("mentorat.api")
PROBLEM_JSON = "application/problem+json"
TYPE_BASE = "/problems/"


class PayloadTooLarge(DomainError):
    """The body is over 256 KiB."""

    slug = "payload-too-large"


class UnsupportedMediaType(DomainError):
    """Bodies are JSON."""

    slug = "unsupported-media-type"


class RequestInvalid(InvalidValue):
    """The body does not match the command's schema."""

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        super().__init__(*(str(e["field"]) for e in errors))
        self.errors = errors


class NotReady(DomainError):
    """The read models do not include the requested position yet; retry shortly."""

    slug = "not-ready"


STATUS: list[tuple[type[DomainError], int, str]] = [
    (Unauthenticated, 401, "Unauthenticated"),
    (NotFound, 404, "Not found"),
    (Forbidden, 403, "Forbidden"),
    (PayloadTooLarge, 413, "Payload too large"),
    (UnsupportedMediaType, 415, "Unsupported media type"),
    (InvalidValue, 422, "Validation error"),
    (PreconditionFailed, 412, "Precondition failed"),
    (RuleViolation, 409, "Conflict with the agreement's rules"),
    (NotReady, 503, "Not ready"),
]
UNAVAILABLE = "unavailable"  # the store cannot be reached or did not answer in time: retry after `Retry-After`
HTTP_SLUGS = {401: "unauthenticated", 404: "not-found", 405: "method-not-allowed", 413: "payload-too-large"}


def problem(status: int, slug: str, title: str, detail: str | None = None, **extra: Any) -> JSONResponse:
    """A problem+json response; `detail` is always our own fixed text."""
    body: dict[str, Any] = {"type": TYPE_BASE + slug, "title": title, "status": status}
    if detail:
        body["detail"] = detail
    body.update(extra)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else {"Retry-After": "1"} if status == 503 else None
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def status_of(error_class: type[DomainError]) -> tuple[int, str] | None:
    """The status and title of an error class (None: it is unexpected, a 500)."""
    return next(((status, title) for cls, status, title in STATUS if issubclass(error_class, cls)), None)


def domain_problem(error: DomainError) -> JSONResponse:
    """Map a refused command to its status and slug."""
    mapped = status_of(type(error))
    if mapped is None:
        return internal_error(error)
    status, title = mapped
    extra: dict[str, Any] = {}
    if isinstance(error, RequestInvalid):
        extra["errors"] = error.errors
    elif isinstance(error, InvalidValue):
        extra["errors"] = [{"field": f, "code": "invalid"} for f in error.fields]
    return problem(status, error.slug, title, type(error).__doc__, **extra)


def validation_errors(raw: list[Any]) -> list[dict[str, Any]]:
    """Field names and error codes only: pydantic's `input` and `msg` may echo the request."""
    errors = []
    for item in raw:
        loc = [str(part) for part in item.get("loc", ()) if part not in ("body", "query", "path", "header")]
        field = None if item.get("type") == "extra_forbidden" else ".".join(loc) or None
        errors.append({"field": field, "code": item.get("type", "invalid")})
    return errors


def internal_error(error: BaseException) -> JSONResponse:
    """A 500 with no detail. The log names the exception type and where it was raised, never its message
    (a driver's message can quote the values it was given)."""
    logger.error("unexpected %s at %s", type(error).__name__, raised_at(error))
    return problem(500, "internal-error", "Internal error")


def raised_at(error: BaseException) -> str:
    """Where an error was raised (file and line): what a log may say about it besides its type."""
    frame = traceback.extract_tb(error.__traceback__)[-1:] if error.__traceback__ else []
    return f"{frame[0].filename}:{frame[0].lineno}" if frame else "?"


def unexpected(error: BaseException) -> JSONResponse:
    """An error no handler mapped: 503 `unavailable` (with `Retry-After`, no detail) when the store cannot be
    reached or answer in time, which a retry may cure; otherwise the 500."""
    if not unavailable(error):
        return internal_error(error)
    logger.warning("store unavailable: %s at %s", type(error).__name__, raised_at(error))
    return problem(503, UNAVAILABLE, "Service unavailable")


def install(app: FastAPI) -> None:
    """Register the handlers on the app."""

    async def on_domain_error(_: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, DomainError)
        return domain_problem(error)

    async def on_request_validation(_: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, RequestValidationError)
        return problem(422, "validation-error", "Validation error", errors=validation_errors(list(error.errors())))

    async def on_http_error(request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, StarletteHTTPException)
        slug = HTTP_SLUGS.get(error.status_code, "http-error")
        response = problem(error.status_code, slug, slug.replace("-", " ").capitalize())
        response.headers.update(error.headers or {})  # the `Allow` of a 405: of the first route that matched
        methods = allowed_methods(request.app, request.url.path) if error.status_code == 405 else []
        if methods:
            response.headers["Allow"] = ", ".join(methods)  # every route of the path
        return response

    app.add_exception_handler(DomainError, on_domain_error)
    app.add_exception_handler(RequestValidationError, on_request_validation)
    app.add_exception_handler(StarletteHTTPException, on_http_error)
