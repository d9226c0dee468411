"""`Idempotency-Key` on POST commands (contract v1): a retry returns the first answer and records nothing.

How it holds (written here because no library couples the key's record to the event store's own
transaction, which is what makes a crash between commit and answer harmless):
- A request with the header first *claims* its record: a row holding a lease. A second request with
  the same key finds it held and gets 409 `idempotency-key-in-use`; after a crash the lease runs out.
- The command's answer is written into the record by the recorder (`infrastructure/recorders.py`) inside the
  transaction that stores the command's events, so either both commit or neither does.
- The stored answer is sealed (AES-GCM) under a key derived from the Idempotency-Key and the deployment's
  secret. A redemption's answer is a bearer token: it is never stored, and the key is ignored there (a retry
  is an ordinary used code, 404). The record is found by a keyed hash; the header's value is never stored or logged.
"""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import Request, Response
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api import problems
from api.body import read_capped
from api.deps import bearer_token, etag
from api.field_errors import item
from api.problems import PayloadTooLarge
from application.errors import Unauthenticated
from application.idempotency import IdempotencyKeyInUse, IdempotencyRecords, MalformedKey, current_claim
from application.service import MentoratService
from domain.errors import Reason

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255
ANONYMOUS = "anonymous"  # the caller of a route that takes no token
# Answers holding a bearer secret are never stored for replay: the key is ignored, a retry is an ordinary request.
# A sign-in request stores nothing in its answer's time (its work comes after), and answers the same whatever it did.
NEVER_REPLAYED = frozenset({"/v1/invitations/redemption", "/v1/sign-in"})


def well_formed(key: str) -> bool:
    """1 to 255 visible ASCII characters."""
    return 0 < len(key) <= MAX_KEY_LENGTH and all(33 <= ord(c) <= 126 for c in key)


def caller_of(service: MentoratService, request: Request) -> str:
    """Whose key this is: the token's participant; anonymous without a valid token (the route answers 401)."""
    token = bearer_token(request.headers.get("authorization"))
    if token is None:
        return ANONYMOUS
    try:
        caller = service.participants.authenticate(token)
    except Unauthenticated:
        return ANONYMOUS
    request.state.caller = caller  # the route's `get_caller` takes it from here instead of authenticating again
    return str(caller.id)


def replay(answer: dict[str, Any]) -> Response:
    """The first answer again, marked as a replay."""
    headers = {"ETag": etag(answer["version"]), "Idempotent-Replayed": "true"}
    return JSONResponse(answer, status_code=201, headers=headers)


class Idempotent:
    """Run a POST once per Idempotency-Key; other requests pass straight through (pure ASGI, see `api/edge.py`)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Claim the key, replay its first answer, or refuse it; the command runs holding the claim."""
        key = header(scope, b"idempotency-key") if scope["type"] == "http" and scope["method"] == "POST" else None
        if key is None or scope["path"] in NEVER_REPLAYED:
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive)
        if not well_formed(key):
            await refuse_at_commit(self.app, scope, receive, send)
            return
        try:
            body = await read_capped(request)  # never more than 256 KiB in memory, chunked or not
        except PayloadTooLarge:
            await problems.too_large()(scope, receive, send)
            return
        service: MentoratService = request.app.state.service
        records: IdempotencyRecords = request.app.state.idempotency  # built by bootstrap over the store's ledger
        caller = await run_in_threadpool(caller_of, service, request)
        claim, found = await run_in_threadpool(records.claim, caller, request.method, request.url.path, key, body)
        if found.outcome == "replay" and found.sealed is not None:
            answer: Response = replay(records.opened(claim, found.sealed))
        elif found.outcome == "reused":
            answer = reused()
        elif found.outcome != "claimed":
            answer = in_use()
        else:
            renewing = renew_while_running(records, claim)
            try:
                await run_claimed(self.app, scope, replaying(body, receive), send, records, claim)
            finally:
                renewing.cancel()
            return
        await answer(scope, receive, send)


def header(scope: Scope, name: bytes) -> str | None:
    """The first value of a request header, as Starlette's `request.headers.get` reads it."""
    return next((value.decode("latin-1") for key, value in scope["headers"] if key == name), None)


def replaying(body: bytes, receive: Receive) -> Receive:
    """The request's `receive` with its already-read body given again, once, to the route."""
    pending = True

    async def receive_again() -> Message:
        nonlocal pending
        if pending:
            pending = False
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()  # a disconnect, when the client goes

    return receive_again


async def refuse_at_commit(app: ASGIApp, scope: Scope, receive: Receive, send: Send) -> None:
    """A malformed key is refused (422) where the command would commit: 401, 404 and 403 still come first."""
    token = current_claim.set(MalformedKey())
    try:
        await app(scope, receive, send)
    except MalformedKey:
        refused = [item(HEADER, "invalid", "header", Reason.MALFORMED)]
        await problems.invalid(refused)(scope, receive, send)
    finally:
        current_claim.reset(token)


def reused() -> Response:
    """422 for a key already used with another body: not a validation error, yet its `errors` say why."""
    detail = "This `Idempotency-Key` was used before with another request: use a new key for a new request."
    refused = [item(HEADER, "reused", "header", Reason.KEY_REUSED)]
    title = "Idempotency-Key reused with another request"
    return problems.problem(422, "idempotency-key-reused", title, detail, errors=refused)


def in_use() -> Response:
    """409 while another request holds the key."""
    detail = "A request with this `Idempotency-Key` is still running: retry after `Retry-After` seconds."
    response = problems.problem(409, "idempotency-key-in-use", "Idempotency-Key in use", detail)
    response.headers["Retry-After"] = "1"
    return response


def renew_while_running(records: IdempotencyRecords, claim: Any) -> asyncio.Task[None]:
    """Keep the claim's lease alive while its command runs: the key is held as long as the request runs."""

    async def renew() -> None:
        while True:
            await asyncio.sleep(records.lease_seconds / 3)
            await run_in_threadpool(records.renew, claim)

    return asyncio.get_running_loop().create_task(renew())


async def run_claimed(
    app: ASGIApp, scope: Scope, receive: Receive, send: Send, records: IdempotencyRecords, claim: Any
) -> None:
    """Run the command holding the claim; a command that did not succeed frees the key before its answer leaves."""
    started = False

    async def settling_send(message: Message) -> None:
        nonlocal started
        if message["type"] == "http.response.start" and not started:
            started = True
            if not 200 <= message["status"] < 300:
                await run_in_threadpool(records.release, claim)
        await send(message)

    token = current_claim.set(claim)  # the recorder sees it: the route runs in this task, its threads copy the context
    try:
        await app(scope, receive, settling_send)
    except IdempotencyKeyInUse:  # its lease ran out and another request took the key: nothing was stored
        if started:
            raise
        await in_use()(scope, receive, send)
    except BaseException:
        if not started:  # once the answer has started, the key was kept or freed by its status
            await run_in_threadpool(records.release, claim)
        raise
    finally:
        current_claim.reset(token)
