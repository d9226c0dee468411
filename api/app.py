"""`create_app(settings)`: the HTTP application; it connects to the store at start-up, never at import."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi_offline import FastAPIOffline

from api import openapi, problems
from api.body import MAX_BODY_BYTES
from api.idempotency import idempotent
from api.routes import meetings, mentorships, participants, reads, system
from application.ports import Ports
from application.service import MentoratService
from bootstrap.background import Background
from bootstrap.mail import build_delivery
from bootstrap.read_side import ReadSide
from bootstrap.service import build_idempotency_records, build_service
from bootstrap.settings import Settings

access_logger = logging.getLogger("mentorat.access")


def log_access(request: Request, status: int, seconds: float) -> None:
    """One line per request naming the route's template, never the raw path or query (they are input)."""
    route = request.scope.get("route")
    template = getattr(route, "path", None) or "(no route)"
    access_logger.info("%s %s %d %.1fms", request.method, template, status, seconds * 1000)


def documented_app(docs: bool, **kwargs: Any) -> FastAPI:
    """The app with `/docs` served from assets of its own (no CDN: it works offline), or without docs pages.

    `/openapi.json` stays in both cases: integrators generate their clients from it.
    """
    if docs:
        return FastAPIOffline(docs_url="/docs", redoc_url="/redoc", **kwargs)
    return FastAPI(docs_url=None, redoc_url=None, **kwargs)


def create_app(settings: Settings | None = None, ports: Ports | None = None) -> FastAPI:
    """The FastAPI app over the configured store; the service is built in the lifespan."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        service: MentoratService = build_service(settings, ports)
        app.state.service = service
        app.state.settings = settings
        app.state.idempotency = build_idempotency_records(service, settings)
        app.state.read_side = read_side = ReadSide(service.store, settings)
        app.state.delivery = delivery = build_delivery(service.store, settings)  # with or without projections
        background = Background(read_side, settings)
        delivery.start()
        if settings.projections:
            background.start()
        try:
            yield
        finally:
            background.stop()
            delivery.stop()
            read_side.close()
            service.close()

    app = documented_app(settings.docs, title="Mentorat", version="1", lifespan=lifespan)
    problems.install(app)

    @app.middleware("http")
    async def guard(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        """413 for bodies over 256 KiB before anything else; a bare 500 for anything unexpected.

        Catching here, not with an `Exception` handler, keeps Starlette from re-raising the error to
        the server, whose traceback log would print the exception's message (which may quote input).
        """
        started = time.perf_counter()
        length = request.headers.get("content-length", "")
        if length.isdigit() and int(length) > MAX_BODY_BYTES:
            response: Response = problems.problem(413, "payload-too-large", "Payload too large")
        else:
            try:
                response = await idempotent(request, call_next)
            except Exception as error:
                response = problems.unexpected(error)
        if request.url.path.startswith("/v1/"):
            response.headers["Cache-Control"] = "no-store"  # answers carry tokens, codes, content or personal data
        log_access(request, response.status_code, time.perf_counter() - started)
        return response

    routers = [module.router for module in (system, participants, mentorships, meetings, reads)]
    for router in routers:
        app.include_router(router)
    openapi.document(app, routers)
    return app
