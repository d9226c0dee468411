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
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import Request, Response
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from api import problems
from api.body import read_capped
from api.deps import bearer_token, etag
from api.problems import PayloadTooLarge
from application.errors import Unauthenticated
from application.idempotency import IdempotencyKeyInUse, IdempotencyRecords, MalformedKey, current_claim
from application.service import MentoratService

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255
ANONYMOUS = "anonymous"  # the caller of a route that takes no token
# Answers holding a bearer secret are never stored for replay: the key is ignored, a retry is an ordinary request.
NEVER_REPLAYED = frozenset({"/v1/invitations/redemption"})


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


async def idempotent(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
    """Run a POST once per Idempotency-Key; other requests pass straight through."""
    key = request.headers.get(HEADER)
    if request.method != "POST" or key is None or request.url.path in NEVER_REPLAYED:
        return await call_next(request)
    if not well_formed(key):
        return await refuse_at_commit(request, call_next)
    try:
        body = await read_capped(request)  # never more than 256 KiB in memory, chunked or not
    except PayloadTooLarge:
        return problems.problem(413, "payload-too-large", "Payload too large")
    request._body = body  # Starlette's middleware request replays a read body to the route from `_body`
    service: MentoratService = request.app.state.service
    records: IdempotencyRecords = request.app.state.idempotency  # built by bootstrap over the store's ledger
    caller = await run_in_threadpool(caller_of, service, request)
    claim, found = await run_in_threadpool(records.claim, caller, request.method, request.url.path, key, body)
    if found.outcome == "replay" and found.sealed is not None:
        return replay(records.opened(claim, found.sealed))
    if found.outcome == "reused":
        return problems.problem(422, "idempotency-key-reused", "Idempotency-Key reused with another request")
    if found.outcome != "claimed":
        return in_use()
    renewing = renew_while_running(records, claim)
    try:
        return await run_claimed(request, call_next, records, claim)
    finally:
        renewing.cancel()


async def refuse_at_commit(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
    """A malformed key is refused (422) where the command would commit: 401, 404 and 403 still come first."""
    token = current_claim.set(MalformedKey())
    try:
        return await call_next(request)
    except MalformedKey:
        refused = [{"field": HEADER, "code": "invalid"}]
        return problems.problem(422, "validation-error", "Validation error", errors=refused)
    finally:
        current_claim.reset(token)


def in_use() -> Response:
    """409 while another request holds the key."""
    response = problems.problem(409, "idempotency-key-in-use", "Idempotency-Key in use")
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
    request: Request, call_next: Callable[[Request], Awaitable[Response]], records: IdempotencyRecords, claim: Any
) -> Response:
    """Run the command holding the claim; a command that did not succeed frees the key."""
    token = current_claim.set(claim)
    try:
        response = await call_next(request)
    except IdempotencyKeyInUse:  # its lease ran out and another request took the key: nothing was stored
        return in_use()
    except BaseException:
        await run_in_threadpool(records.release, claim)
        raise
    finally:
        current_claim.reset(token)
    if not 200 <= response.status_code < 300:
        await run_in_threadpool(records.release, claim)
    return response
