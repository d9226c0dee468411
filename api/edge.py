"""The outermost guard: 413 before anything, a bare 500 for anything unexpected, `no-store` on `/v1/`, one access line.

Hand-written ASGI rather than `@app.middleware("http")`: Starlette's `BaseHTTPMiddleware` runs the app in
a task of its own and streams the answer through memory queues, which cost /healthz most of its speed.
"""

from __future__ import annotations

import logging
import time

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api import problems
from api.body import MAX_BODY_BYTES

access_logger = logging.getLogger("mentorat.access")


def log_access(scope: Scope, status: int, seconds: float) -> None:
    """One line per request naming the route's template, never the raw path or query (they are input)."""
    template = getattr(scope.get("route"), "path", None) or "(no route)"
    access_logger.info("%s %s %d %.1fms", scope["method"], template, status, seconds * 1000)


def declared_length(scope: Scope) -> int | None:
    """The request's Content-Length when it is a number (the first such header, as Starlette reads it)."""
    for name, value in scope["headers"]:
        if name == b"content-length":
            return int(value) if value.isdigit() else None
    return None


class Guard:
    """Wraps the app: what every HTTP request gets, whatever the routes do (only `api/metrics.py` is outside it)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer the request through the app, or with a problem of our own."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        private = scope["path"].startswith("/v1/")  # answers carry tokens, codes, content or personal data
        status = 0

        async def guarded_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                if private:
                    MutableHeaders(scope=message)["Cache-Control"] = "no-store"
            await send(message)

        length = declared_length(scope)
        try:
            if length is not None and length > MAX_BODY_BYTES:
                await problems.too_large()(scope, receive, guarded_send)
            else:
                await self.app(scope, receive, guarded_send)
        except Exception as error:
            # Caught here, not re-raised to the server, whose traceback log would print the message (it may
            # quote input). Once the answer has started it cannot become a 500: log as a 500 would and re-raise.
            if status:
                problems.internal_error(error)
                raise
            await problems.unexpected(error)(scope, receive, guarded_send)
        finally:
            log_access(scope, status, time.perf_counter() - started)
