"""Signing in without a password: `POST /v1/sign-in` asks for a code by e-mail (no token)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from api.body import body_schema, json_body
from api.schemas import SignInAccepted, SignInIn
from bootstrap.sign_in import SignInQueue

router = APIRouter(prefix="/v1")
ACCEPTED = {"status": "accepted"}


def sign_in_queue(request: Request) -> SignInQueue:
    """The app's sign-in worker, started in the lifespan."""
    found: SignInQueue = request.app.state.sign_ins
    return found


@router.post(
    "/sign-in",
    status_code=202,
    response_model=SignInAccepted,
    openapi_extra=body_schema(SignInIn),
    operation_id="requestSignIn",
    tags=["invitations"],
    responses={202: {"description": "Accepted: the same answer whatever the address."}},
)
def request_sign_in(
    body: Annotated[SignInIn, Depends(json_body(SignInIn))],
    sign_ins: Annotated[SignInQueue, Depends(sign_in_queue)],
) -> dict[str, str]:
    """Anyone asks for a sign-in code for an address: 202, the same answer whether or not anyone holds it.

    Each active participant with that address is e-mailed a one-time code valid 15 minutes, in the invitation's
    form (`<MENTORAT_PUBLIC_URL>/sign-in#code=<code>` and the code alone on a line), redeemed at
    `POST /v1/invitations/redemption`. At most 5 codes per address per hour: beyond, nothing is sent, and the
    answer is the same. The work is done after the answer, so its time says nothing either. A malformed address,
    an unknown field or a body that is not JSON: 422, and nothing is stored. An `Idempotency-Key` is ignored.
    """
    sign_ins.submit(body.email)
    return dict(ACCEPTED)
