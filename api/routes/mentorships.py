"""Conventions: drafting, withdrawal, objectives, signatures, satisfaction, disputes, consultations, end."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response

from api.body import body_schema, json_body
from api.deps import (
    DisputeId,
    ExpectedVersion,
    InMentorship,
    InProgramme,
    MentorshipScope,
    NoBody,
    ObjectiveId,
    ProgrammeScope,
    Service,
    committed,
)
from api.schemas import (
    AssessmentIn,
    Committed,
    ConsultationIn,
    DisclosureIn,
    DisputeIn,
    DisputeOut,
    Empty,
    EndIn,
    MentorshipIn,
    MentorshipOut,
    ObjectiveIn,
    ObjectiveOut,
    SatisfactionIn,
    SignatureOut,
)
from domain.permissions import Action

router = APIRouter(prefix="/v1")
A = Action


@router.post(
    "/programmes/{programme_id}/mentorships",
    status_code=201,
    response_model=MentorshipOut,
    openapi_extra=body_schema(MentorshipIn),
    operation_id="draftConvention",
    tags=["mentorships"],
)
def draft(
    scope: Annotated[InProgramme, Depends(ProgrammeScope(A.DRAFT_CONVENTION))],
    body: Annotated[MentorshipIn, Depends(json_body(MentorshipIn))],
    service: Service,
    response: Response,
) -> dict[str, object]:
    """A coordinator drafts a convention for a pair."""
    caller, programme_id = scope
    result = service.mentorships.draft(
        caller, programme_id, body.mentor_id, body.mentee_id, body.starts_on, body.months
    )
    return committed(response, result)


@router.post(
    "/mentorships/{mentorship_id}/withdrawal",
    status_code=201,
    response_model=Committed,
    openapi_extra=body_schema(Empty),
    operation_id="withdrawConvention",
    tags=["mentorships"],
)
def withdraw(
    scope: Annotated[InMentorship, Depends(MentorshipScope(A.WITHDRAW_CONVENTION))],
    _: NoBody,
    expected: ExpectedVersion,
    service: Service,
    response: Response,
) -> dict[str, object]:
    """The coordinator withdraws a convention before it takes effect."""
    return committed(response, service.mentorships.withdraw(*scope, expected))


@router.post(
    "/mentorships/{mentorship_id}/objectives",
    status_code=201,
    response_model=ObjectiveOut,
    openapi_extra=body_schema(ObjectiveIn),
    operation_id="addObjective",
    tags=["objectives"],
)
def add_objective(
    scope: Annotated[InMentorship, Depends(MentorshipScope(A.ADD_OBJECTIVE))],
    body: Annotated[ObjectiveIn, Depends(json_body(ObjectiveIn))],
    expected: ExpectedVersion,
    service: Service,
    response: Response,
) -> dict[str, object]:
    """A party adds an objective."""
    return committed(response, service.mentorships.add_objective(*scope, body.text, expected))


@router.post(
    "/mentorships/{mentorship_id}/signatures",
    status_code=201,
    response_model=SignatureOut,
    openapi_extra=body_schema(Empty),
    operation_id="signConvention",
    tags=["mentorships"],
)
def sign(
    scope: Annotated[InMentorship, Depends(MentorshipScope(A.SIGN_CONVENTION))],
    _: NoBody,
    expected: ExpectedVersion,
    service: Service,
    response: Response,
) -> dict[str, object]:
    """A party signs; `active` once both have."""
    return committed(response, service.mentorships.sign(*scope, expected))


@router.post(
    "/mentorships/{mentorship_id}/objectives/{objective_id}/assessments",
    status_code=201,
    response_model=Committed,
    openapi_extra=body_schema(AssessmentIn),
    operation_id="assessObjective",
    tags=["objectives"],
)
def assess(
    scope: Annotated[InMentorship, Depends(MentorshipScope(A.ASSESS_OBJECTIVE))],
    objective_id: ObjectiveId,
    body: Annotated[AssessmentIn, Depends(json_body(AssessmentIn))],
    expected: ExpectedVersion,
    service: Service,
    response: Response,
) -> dict[str, object]:
    """A party assesses an objective."""
    result = service.mentorships.assess_objective(*scope, objective_id, body.status, expected)
    return committed(response, result)


@router.post(
    "/mentorships/{mentorship_id}/satisfaction",
    status_code=201,
    response_model=Committed,
    openapi_extra=body_schema(SatisfactionIn),
    operation_id="reportSatisfaction",
    tags=["mentorships"],
)
def report_satisfaction(
    scope: Annotated[InMentorship, Depends(MentorshipScope(A.REPORT_SATISFACTION))],
    body: Annotated[SatisfactionIn, Depends(json_body(SatisfactionIn))],
    expected: ExpectedVersion,
    service: Service,
    response: Response,
) -> dict[str, object]:
    """A party reports satisfaction 1-5."""
    return committed(response, service.mentorships.report_satisfaction(*scope, body.score, body.comment, expected))


@router.post(
    "/mentorships/{mentorship_id}/disputes",
    status_code=201,
    response_model=DisputeOut,
    openapi_extra=body_schema(DisputeIn),
    operation_id="raiseDispute",
    tags=["disputes"],
)
def raise_dispute(
    scope: Annotated[InMentorship, Depends(MentorshipScope(A.RAISE_DISPUTE))],
    body: Annotated[DisputeIn, Depends(json_body(DisputeIn))],
    expected: ExpectedVersion,
    service: Service,
    response: Response,
) -> dict[str, object]:
    """A party raises a dispute."""
    return committed(response, service.mentorships.raise_dispute(*scope, body.summary, expected))


@router.post(
    "/mentorships/{mentorship_id}/disputes/{dispute_id}/settlement",
    status_code=201,
    response_model=Committed,
    openapi_extra=body_schema(Empty),
    operation_id="settleDispute",
    tags=["disputes"],
)
def settle_dispute(
    scope: Annotated[InMentorship, Depends(MentorshipScope(A.SETTLE_DISPUTE))],
    dispute_id: DisputeId,
    _: NoBody,
    expected: ExpectedVersion,
    service: Service,
    response: Response,
) -> dict[str, object]:
    """One party's word settles a dispute amicably."""
    return committed(response, service.mentorships.settle_dispute(*scope, dispute_id, expected))


@router.post(
    "/mentorships/{mentorship_id}/consultations",
    status_code=201,
    response_model=Committed,
    openapi_extra=body_schema(ConsultationIn),
    operation_id="consultCoordinator",
    tags=["disputes"],
)
def consult(
    scope: Annotated[InMentorship, Depends(MentorshipScope(A.CONSULT_COORDINATOR))],
    body: Annotated[ConsultationIn, Depends(json_body(ConsultationIn))],
    expected: ExpectedVersion,
    service: Service,
    response: Response,
) -> dict[str, object]:
    """The coordinator records a consultation about a dispute or an early end."""
    result = service.mentorships.consult_coordinator(
        *scope, body.topic, body.dispute_id, body.outcome, body.note, expected
    )
    return committed(response, result)


@router.post(
    "/mentorships/{mentorship_id}/end",
    status_code=201,
    response_model=Committed,
    openapi_extra=body_schema(EndIn),
    operation_id="endRelationship",
    tags=["mentorships"],
)
def end(
    scope: Annotated[InMentorship, Depends(MentorshipScope(A.END_RELATIONSHIP))],
    body: Annotated[EndIn, Depends(json_body(EndIn))],
    expected: ExpectedVersion,
    service: Service,
    response: Response,
) -> dict[str, object]:
    """A party or the coordinator ends the relationship."""
    return committed(response, service.mentorships.end(*scope, body.reason, body.note, expected))


@router.post(
    "/mentorships/{mentorship_id}/disclosures",
    status_code=201,
    response_model=Committed,
    openapi_extra=body_schema(DisclosureIn),
    operation_id="recordDisclosure",
    tags=["mentorships"],
)
def disclose(
    scope: Annotated[InMentorship, Depends(MentorshipScope(A.RECORD_DISCLOSURE))],
    body: Annotated[DisclosureIn, Depends(json_body(DisclosureIn))],
    expected: ExpectedVersion,
    service: Service,
    response: Response,
) -> dict[str, object]:
    """A party records a disclosure (the mentor-only basis from a mentee: 403)."""
    return committed(response, service.mentorships.record_disclosure(*scope, body.basis, body.authority, expected))
