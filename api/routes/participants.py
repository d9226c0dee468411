"""Participants, invitations, redemption and deactivation."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response

from api.body import body_schema, json_body
from api.deps import (
    ExpectedVersion,
    InProgramme,
    NoBody,
    OfParticipant,
    ParticipantScope,
    ProgrammeScope,
    Service,
    committed,
)
from api.schemas import Committed, Empty, IdOut, InvitationOut, ParticipantIn, RedemptionIn, TokenOut
from domain.permissions import Action

router = APIRouter(prefix="/v1")


@router.post(
    "/programmes/{programme_id}/participants",
    status_code=201,
    response_model=IdOut,
    openapi_extra=body_schema(ParticipantIn),
    operation_id="registerParticipant",
    tags=["participants"],
)
def register_participant(
    scope: Annotated[InProgramme, Depends(ProgrammeScope(Action.REGISTER_PARTICIPANT))],
    body: Annotated[ParticipantIn, Depends(json_body(ParticipantIn))],
    service: Service,
    response: Response,
) -> dict[str, object]:
    """A coordinator registers a mentor, mentee or coordinator; an auditor is the operator's to register (403)."""
    caller, programme_id = scope
    result = service.participants.register(caller, programme_id, body.role, body.name, body.email, body.language)
    return committed(response, result)


@router.post(
    "/participants/{participant_id}/invitations",
    status_code=201,
    response_model=InvitationOut,
    openapi_extra=body_schema(Empty),
    operation_id="inviteParticipant",
    tags=["invitations"],
)
def invite(
    scope: Annotated[OfParticipant, Depends(ParticipantScope(Action.INVITE_PARTICIPANT))],
    _: NoBody,
    expected: ExpectedVersion,
    service: Service,
    response: Response,
) -> dict[str, object]:
    """A coordinator has a one-time code (valid 7 days) e-mailed to the participant; the answer never holds it.

    An auditor is invited by the operator only (`mentorat participant invite`): 403 here.
    """
    caller, participant = scope
    return committed(response, service.participants.invite(caller, participant, expected))


@router.post(
    "/invitations/redemption",
    status_code=201,
    response_model=TokenOut,
    responses={404: {"description": "A used, expired or unknown code"}},
    openapi_extra=body_schema(RedemptionIn),
    operation_id="redeemInvitation",
    tags=["invitations"],
)
def redeem(
    body: Annotated[RedemptionIn, Depends(json_body(RedemptionIn))], service: Service, response: Response
) -> dict[str, object]:
    """Anyone exchanges a valid invitation or sign-in code for a bearer token (used, expired or unknown codes: 404).

    The answer holds a bearer secret and is never stored for replay: an `Idempotency-Key` is ignored here,
    and a retry is an ordinary used code (404).
    """
    return committed(response, service.participants.redeem(body.code))


@router.post(
    "/participants/{participant_id}/deactivation",
    status_code=201,
    response_model=Committed,
    openapi_extra=body_schema(Empty),
    operation_id="deactivateParticipant",
    tags=["participants"],
)
def deactivate(
    scope: Annotated[OfParticipant, Depends(ParticipantScope(Action.DEACTIVATE_PARTICIPANT))],
    _: NoBody,
    expected: ExpectedVersion,
    service: Service,
    response: Response,
) -> dict[str, object]:
    """A coordinator deactivates a participant; their tokens stop working (an auditor: the operator's, 403)."""
    caller, participant = scope
    return committed(response, service.participants.deactivate(caller, participant, expected))
