"""`install(app)`: the web app's pages, their static assets and their error pages, in the API's FastAPI app."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from web.forms import CsrfRefused
from web.rendering import HEADERS, render
from web.routes import audit, convention, dashboard, meetings, pages, participants, programme, sign_in
from web.visits import SignInRequired

STATIC = Path(__file__).resolve().parent / "static"


async def to_sign_in(request: Request, error: Exception) -> Response:
    """A page for the signed-in, without a session: to the sign-in page, in the language asked for."""
    wanted = request.query_params.get("lang")
    target = f"/sign-in?lang={wanted}" if wanted in ("fr", "en") else "/sign-in"
    return RedirectResponse(target, status_code=303, headers=HEADERS)


async def csrf_refused(request: Request, error: Exception) -> Response:
    """A form without its session's CSRF token: refused, and nothing is done."""
    language = request.query_params.get("lang") or "fr"
    return render("error.html", language if language in ("fr", "en") else "fr", request.url.path, 403, problem="csrf")


def install(app: FastAPI) -> None:
    """Add the pages, `/static/…` (every asset is ours: no CDN) and the web app's error answers."""
    app.include_router(sign_in.router)
    app.include_router(pages.router)
    app.include_router(convention.router)
    app.include_router(audit.router)
    app.include_router(meetings.router)
    app.include_router(participants.router)
    app.include_router(programme.router)
    app.include_router(dashboard.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.add_exception_handler(SignInRequired, to_sign_in)
    app.add_exception_handler(CsrfRefused, csrf_refused)
