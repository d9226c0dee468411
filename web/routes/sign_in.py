"""Signing in with an invitation's code (`/sign-in#code=…` from the e-mail) and signing out.

The code reaches the form only by the person: the page's script copies the link's fragment into the field
(the fragment never reaches the server), and the form is sent on their click, never on GET (mail scanners
follow links). Before a session exists, the form's CSRF token is the value of a short-lived HttpOnly
cookie (`SameSite=Strict`, path `/sign-in`): another site can neither read it nor send it.

The page's second form asks for a code by e-mail (`POST /sign-in/email`), as `POST /v1/sign-in` does: the address
is handed to the sign-in worker and the answer is the same page whatever the address (no enumeration).
"""

from __future__ import annotations

import secrets
from contextlib import suppress
from dataclasses import replace

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from application.errors import NotFound, Unauthenticated
from application.web_sessions import LANGUAGES
from bootstrap.sign_in import SignInQueue
from web.forms import check_csrf, posted
from web.rendering import HEADERS, render
from web.visits import SESSION_COOKIE, Visitor, service_of

router = APIRouter(include_in_schema=False)
SIGN_IN_COOKIE = "mentorat_sign_in"
SIGN_IN_SECONDS = 3600
MAX_ADDRESS = 320  # longer is no address: nothing to hand over (the answer is the same)


def secure(request: Request) -> bool:
    """Whether cookies are `Secure`: the app's public address is https."""
    return str(request.app.state.settings.public_url).startswith("https://")


def sign_in_page(
    request: Request, visitor: Visitor, nonce: str, status: int = 200, error: bool = False, sent: bool = False
) -> Response:
    """The sign-in forms, their CSRF cookie set (or renewed); `sent`: the e-mail form's answer."""
    page = render(
        "sign_in.html", visitor.language, "/sign-in", status, csrf=nonce, error=error, sent=sent, chosen=visitor.chosen
    )
    page.set_cookie(
        SIGN_IN_COOKIE, nonce, max_age=SIGN_IN_SECONDS, path="/sign-in", secure=secure(request), httponly=True,
        samesite="strict",
    )  # fmt: skip
    return page


@router.get("/sign-in")
def sign_in_form(request: Request, visitor: Visitor) -> Response:
    """The form taking the code; nothing is redeemed on GET."""
    nonce = request.cookies.get(SIGN_IN_COOKIE) or secrets.token_urlsafe(32)
    return sign_in_page(request, visitor, nonce)


@router.post("/sign-in")
async def sign_in(request: Request, visitor: Visitor) -> Response:
    """Redeem the code as `POST /v1/invitations/redemption` does; the token becomes the session's cookie."""
    form = await posted(request)
    check_csrf(form, request.cookies.get(SIGN_IN_COOKIE))
    code = form.get("code", "").strip()
    try:
        opened = await run_in_threadpool(service_of(request).sessions.open, code)
    except NotFound:  # a used, expired or unknown code: the same answer for each, in the language chosen
        chosen = form.get("lang")
        if chosen in LANGUAGES:
            visitor = replace(visitor, language=chosen, chosen=chosen)
        return sign_in_page(request, visitor, secrets.token_urlsafe(32), status=400, error=True)
    chosen = form.get("lang")
    if chosen in LANGUAGES and chosen != opened.state.language:  # chosen on the sign-in page: kept
        await run_in_threadpool(service_of(request).sessions.choose_language, opened.token, chosen)
    answer = RedirectResponse("/", status_code=303, headers=HEADERS)
    seconds = max(0, int((opened.expires_at - service_of(request).ports.clock()).total_seconds()))
    answer.set_cookie(
        SESSION_COOKIE, opened.token, max_age=seconds, path="/", secure=secure(request), httponly=True,
        samesite="lax",
    )  # fmt: skip
    answer.delete_cookie(SIGN_IN_COOKIE, path="/sign-in", secure=secure(request), httponly=True, samesite="strict")
    return answer


@router.post("/sign-in/email")
async def sign_in_by_email(request: Request, visitor: Visitor) -> Response:
    """Ask for a code by e-mail as `POST /v1/sign-in` does: the same page whatever the address.

    The address goes to the sign-in worker (each active participant holding it is e-mailed a code, at most 5 per
    address per hour); known, unknown or inactive, the answer is the same status and the same body, given before
    any work.
    """
    form = await posted(request)
    nonce = request.cookies.get(SIGN_IN_COOKIE)
    check_csrf(form, nonce)
    assert nonce is not None  # checked above
    address = form.get("email", "").strip()
    if 0 < len(address) <= MAX_ADDRESS:
        sign_ins: SignInQueue = request.app.state.sign_ins
        sign_ins.submit(address)
    chosen = form.get("lang")
    if chosen in LANGUAGES:
        visitor = replace(visitor, language=chosen, chosen=chosen)
    return sign_in_page(request, visitor, nonce, sent=True)


@router.post("/sign-out")
async def sign_out(request: Request, visitor: Visitor) -> Response:
    """Revoke the session (its token stops working, here and in the API) and clear the cookie."""
    form = await posted(request)
    if visitor.session is not None and visitor.token is not None:
        check_csrf(form, visitor.session.csrf)
        with suppress(Unauthenticated):  # deactivated or erased meanwhile: the token already stopped working
            await run_in_threadpool(service_of(request).sessions.close, visitor.token)
    answer = RedirectResponse("/sign-in", status_code=303, headers=HEADERS)
    answer.delete_cookie(SESSION_COOKIE, path="/", secure=secure(request), httponly=True, samesite="lax")
    return answer
