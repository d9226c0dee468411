"""The one place errors become HTTP: RFC 9457 problem+json with stable slugs and no request content."""

from __future__ import annotations

import logging
import traceback
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from api import field_errors
from api.allow import allowed_methods
from application.errors import PreconditionFailed, Unauthenticated
from bootstrap.faults import unavailable
from domain.errors import DomainError, Forbidden, InvalidValue, NotFound, Reason, RuleViolation

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
    """The request does not match the operation's schema: `errors` says where and why."""

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        super().__init__(*(str(e["field"]) for e in errors), reason=Reason(errors[0]["reason"]))
        self.errors = errors

    @classmethod
    def query(cls, field: str, code: str, reason: Reason) -> RequestInvalid:
        """One refused query parameter."""
        return cls([field_errors.item(field, code, "query", reason)])


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
HTTP_DETAILS = {
    401: Unauthenticated.__doc__,
    404: NotFound.__doc__,
    405: "This path does not take this method: `Allow` lists those it takes.",
    413: PayloadTooLarge.__doc__,
}
HTTP_DETAIL = "The request was refused."  # any other status Starlette itself might answer
INTERNAL_DETAIL = "An unexpected error; it was logged, without the request."
UNAVAILABLE_DETAIL = "The database cannot be reached or did not answer in time; retry after `Retry-After` seconds."


def problem(status: int, slug: str, title: str, detail: str, **extra: Any) -> JSONResponse:
    """A problem+json response; `detail` is always our own fixed sentence, never request text."""
    body: dict[str, Any] = {"type": TYPE_BASE + slug, "title": title, "status": status, "detail": detail}
    body.update(extra)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else {"Retry-After": "1"} if status == 503 else None
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def too_large() -> JSONResponse:
    """The 413, answered before the body is read (by the edge, or by the idempotency middleware)."""
    return problem(413, PayloadTooLarge.slug, "Payload too large", PayloadTooLarge.__doc__ or "")


def status_of(error_class: type[DomainError]) -> tuple[int, str] | None:
    """The status and title of an error class (None: it is unexpected, a 500)."""
    return next(((status, title) for cls, status, title in STATUS if issubclass(error_class, cls)), None)


def domain_problem(error: DomainError) -> JSONResponse:
    """Map a refused command to its status and slug."""
    mapped = status_of(type(error))
    if mapped is None:
        return internal_error(error)
    status, title = mapped
    if isinstance(error, InvalidValue):
        return invalid(error.errors if isinstance(error, RequestInvalid) else field_errors.from_invalid_value(error))
    return problem(status, error.slug, title, type(error).__doc__ or title)


def invalid(errors: list[dict[str, Any]]) -> JSONResponse:
    """The 422 `validation-error`: each refused field, where it was and why (`api/field_errors.py`)."""
    return problem(422, "validation-error", "Validation error", field_errors.detail_of(errors), errors=errors)


def internal_error(error: BaseException) -> JSONResponse:
    """A 500 whose detail is one fixed sentence, nothing of the error. The log names the exception type and
    where it was raised, never its message (a driver's message can quote the values it was given)."""
    logger.error("unexpected %s at %s", type(error).__name__, raised_at(error))
    return problem(500, "internal-error", "Internal error", INTERNAL_DETAIL)


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
    return problem(503, UNAVAILABLE, "Service unavailable", UNAVAILABLE_DETAIL)


def install(app: FastAPI) -> None:
    """Register the handlers on the app."""

    async def on_domain_error(_: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, DomainError)
        return domain_problem(error)

    async def on_request_validation(_: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, RequestValidationError)
        return invalid(field_errors.from_pydantic(error.errors()))

    async def on_http_error(request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, StarletteHTTPException)
        slug = HTTP_SLUGS.get(error.status_code, "http-error")
        detail = HTTP_DETAILS.get(error.status_code) or HTTP_DETAIL
        response = problem(error.status_code, slug, slug.replace("-", " ").capitalize(), detail)
        response.headers.update(error.headers or {})  # the `Allow` of a 405: of the first route that matched
        methods = allowed_methods(request.app, request.url.path) if error.status_code == 405 else []
        if methods:
            response.headers["Allow"] = ", ".join(methods)  # every route of the path
        return response

    app.add_exception_handler(DomainError, on_domain_error)
    app.add_exception_handler(RequestValidationError, on_request_validation)
    app.add_exception_handler(StarletteHTTPException, on_http_error)
