"""`create_app(settings)`: the HTTP application; it connects to the store at start-up, never at import."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi_offline import FastAPIOffline

from api import openapi, problems
from api.edge import Guard
from api.idempotency import Idempotent
from api.metrics import Measured, Metrics
from api.routes import meetings, mentorships, observability, participants, programmes, reads, sign_in, system
from application.ports import Ports
from application.service import MentoratService
from bootstrap.background import Background
from bootstrap.mail import build_delivery
from bootstrap.observation import StoreObservation
from bootstrap.read_side import ReadSide
from bootstrap.service import build_idempotency_records, build_service
from bootstrap.settings import Settings
from bootstrap.sign_in import SignInQueue
from web.app import install as install_web


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
    metrics = Metrics()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        service: MentoratService = build_service(settings, ports)
        app.state.service = service
        app.state.settings = settings
        app.state.idempotency = build_idempotency_records(service, settings)
        app.state.read_side = read_side = ReadSide(service.store, settings)
        app.state.observation = observation = StoreObservation(read_side)  # /readyz and the store's gauges
        metrics.watch(observation)
        app.state.delivery = delivery = build_delivery(service.store, settings)  # with or without projections
        background = Background(read_side, settings)
        app.state.sign_ins = sign_ins = SignInQueue(service.sign_in.request)  # the answer never waits for it
        sign_ins.start()
        delivery.start()
        if settings.projections:
            background.start()
        try:
            yield
        finally:
            background.stop()
            sign_ins.stop()
            delivery.stop()
            read_side.close()
            service.close()

    app = documented_app(settings.docs, title="Mentorat", version="1", lifespan=lifespan)
    app.state.metrics = metrics
    problems.install(app)

    app.add_middleware(Idempotent)  # inside the guard: its 409, 422 and replays get `no-store` and a log line
    app.add_middleware(Guard)  # 413 comes before anything else the app does
    if settings.metrics:
        app.add_middleware(Measured, metrics=metrics)  # the last added is the outermost: it sees the guard's answers

    modules = (system, observability, participants, sign_in, mentorships, meetings, reads, programmes)
    routers = [module.router for module in modules]
    if settings.metrics:
        routers.append(observability.metrics_router)
    for router in routers:
        app.include_router(router)
        metrics.routes.extend(router.routes)
    openapi.document(app, routers, settings.public_url)
    install_web(app)  # the web app's pages (`web/`): outside the OpenAPI document, under the same guard
    return app
