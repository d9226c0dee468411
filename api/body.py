"""Reading a command's JSON body after authentication and scope, as the contract orders the checks.

FastAPI parses declared bodies before running dependencies, so a malformed body would answer 422
before a missing token could answer 401; a dependency that reads the body itself keeps the order.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from fastapi import Request
from pydantic import BaseModel, ValidationError

from api.field_errors import from_pydantic
from api.problems import PayloadTooLarge, RequestInvalid, UnsupportedMediaType

MAX_BODY_BYTES = 256 * 1024
M = TypeVar("M", bound=BaseModel)


def is_json(content_type: str) -> bool:
    """`application/json` or a `+json` media type, any parameters."""
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or (media.startswith("application/") and media.endswith("+json"))


async def read_capped(request: Request) -> bytes:
    """The body, refused as soon as it passes 256 KiB (a chunked upload has no Content-Length to check first)."""
    received = bytearray()
    async for chunk in request.stream():
        received += chunk
        if len(received) > MAX_BODY_BYTES:
            raise PayloadTooLarge
    return bytes(received)


def json_body(model: type[M]) -> Callable[[Request], Awaitable[M]]:
    """A dependency answering the validated body (an empty body is `{}`)."""

    async def parse(request: Request) -> M:
        raw = await read_capped(request)
        if not raw.strip():
            raw = b"{}"
        elif not is_json(request.headers.get("content-type", "")):
            raise UnsupportedMediaType
        try:
            return model.model_validate_json(raw)
        except ValidationError as error:
            raise RequestInvalid(from_pydantic(error.errors(include_input=False, include_url=False))) from None

    return parse


def body_schema(model: type[BaseModel]) -> dict[str, Any]:
    """The OpenAPI `requestBody` for a model read by `json_body`."""
    schema = model.model_json_schema()
    required = bool(schema.get("required"))
    return {"requestBody": {"required": required, "content": {"application/json": {"schema": schema}}}}
