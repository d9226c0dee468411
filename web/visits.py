"""Who is visiting: the session of the cookie (authenticated as the API authenticates a bearer token), and the language.

The language is `?lang=fr|en` when given (remembered in the session), else the session's (the participant's
recorded language when they signed in), else French.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from application.errors import Unauthenticated
from application.service import MentoratService
from application.web_sessions import LANGUAGES, Session
from bootstrap.read_side import ReadSide
from domain.programme_settings import DEFAULT_TIME_ZONE
from projections import summary

SESSION_COOKIE = "mentorat_session"


class SignInRequired(Exception):
    """A page for the signed-in, visited without a session: the visitor is sent to `/sign-in`."""


@dataclass(frozen=True)
class Visit:
    """One request's visitor: their session (if signed in), its token, and the page's language."""

    session: Session | None
    token: str | None
    language: str
    chosen: str | None  # `?lang=` as given, when it names a language we speak


@dataclass(frozen=True)
class Programme:
    """What every signed-in page shows of the programme: its name, and the time zone dates are shown in."""

    name: str | None
    time_zone: str


def service_of(request: Request) -> MentoratService:
    """The write side built at start-up."""
    service: MentoratService = request.app.state.service
    return service


async def visit(request: Request) -> Visit:
    """The visitor of this request; a `?lang=` choice is remembered in their session."""
    service = service_of(request)
    token = request.cookies.get(SESSION_COOKIE)
    wanted = request.query_params.get("lang")
    chosen = wanted if wanted in LANGUAGES else None
    session = None
    if token:
        try:
            session = await run_in_threadpool(service.sessions.find, token)
        except Unauthenticated:
            session = None
    if session is not None and token and chosen and chosen != session.language:
        await run_in_threadpool(service.sessions.choose_language, token, chosen)
    language = chosen or (session.language if session else LANGUAGES[0])
    return Visit(session, token if session else None, language, chosen)


Visitor = Annotated[Visit, Depends(visit)]


def signed_in(visitor: Visitor) -> Session:
    """The visitor's session, or `SignInRequired`."""
    if visitor.session is None:
        raise SignInRequired
    return visitor.session


def programme_of(request: Request, session: Session) -> Programme:
    """The visitor's programme as the summary read model keeps it (no aggregate is replayed)."""
    read_side: ReadSide = request.app.state.read_side
    row = summary.programme(read_side.view("summary"), str(session.caller.programme_id))
    if row is None:  # not projected yet: a programme just launched
        return Programme(None, DEFAULT_TIME_ZONE)
    return Programme(row["name"], row["time_zone"])
