"""The guard around the app, over inner apps of our own: what every answer gets, and a failure mid-answer."""

from __future__ import annotations

import asyncio
import json
import logging

import pytest
from starlette.types import Message, Receive, Scope, Send

from api.edge import Guard
from api.problems import INTERNAL_DETAIL


def http_scope(path: str, headers: list[tuple[bytes, bytes]] | None = None) -> Scope:
    return {"type": "http", "method": "POST", "path": path, "headers": headers or [], "query_string": b""}


def run(app: Guard, scope: Scope) -> list[Message]:
    """Call the guard once; the messages it sent."""
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    return sent


def headers_of(start: Message) -> dict[bytes, bytes]:
    return dict(start["headers"])


async def failing_before(scope: Scope, receive: Receive, send: Send) -> None:
    raise RuntimeError("a message quoting input")


async def failing_after(scope: Scope, receive: Receive, send: Send) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    raise RuntimeError("a message quoting input")


def test_an_unexpected_error_before_the_answer_is_the_bare_500_with_no_store(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    start, body = run(Guard(failing_before), http_scope("/v1/anything"))
    assert start["status"] == 500
    assert headers_of(start)[b"cache-control"] == b"no-store"
    internal = {"type": "/problems/internal-error", "title": "Internal error", "status": 500, "detail": INTERNAL_DETAIL}
    assert json.loads(body["body"]) == internal
    assert "quoting input" not in caplog.text
    assert "POST (no route) 500" in caplog.text


def test_an_error_after_the_answer_started_is_logged_without_its_message_and_re_raised(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    with pytest.raises(RuntimeError):
        run(Guard(failing_after), http_scope("/healthz"))
    assert "unexpected RuntimeError" in caplog.text
    assert "quoting input" not in caplog.text
    assert "POST (no route) 200" in caplog.text


def test_a_declared_body_over_256_kib_is_refused_before_the_app_runs() -> None:
    start, _ = run(Guard(failing_before), http_scope("/v1/participants", [(b"content-length", b"262145")]))
    assert start["status"] == 413
    assert headers_of(start)[b"cache-control"] == b"no-store"


def test_answers_outside_v1_are_not_marked_no_store() -> None:
    async def hello(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": [(b"cache-control", b"max-age=60")]})
        await send({"type": "http.response.body", "body": b"ok"})

    start, _ = run(Guard(hello), http_scope("/healthz"))
    assert headers_of(start)[b"cache-control"] == b"max-age=60"
    start, _ = run(Guard(hello), http_scope("/v1/x"))
    assert start["headers"] == [(b"cache-control", b"no-store")]
