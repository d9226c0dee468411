"""Meetings: schedule, reschedule, agenda, held, cancellation."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response

from api.body import body_schema, json_body
from api.deps import ExpectedVersion, InMentorship, MeetingId, MentorshipScope, Service, committed
from api.schemas import AgendaIn, CancellationIn, Committed, HeldIn, HeldOut, MeetingOut, ScheduleIn
from domain.permissions import Action

router = APIRouter(prefix="/v1/mentorships/{mentorship_id}/meetings")
A = Action


@router.post(
    "",
    status_code=201,
    response_model=MeetingOut,
    openapi_extra=body_schema(ScheduleIn),
    operation_id="scheduleMeeting",
    tags=["meetings"],
)
def schedule(
    scope: Annotated[InMentorship, Depends(MentorshipScope(A.SCHEDULE_MEETING))],
    body: Annotated[ScheduleIn, Depends(json_body(ScheduleIn))],
    expected: ExpectedVersion,
    service: Service,
    response: Response,
) -> dict[str, object]:
    """A party schedules a meeting (a past time records a late one)."""
    return committed(response, service.mentorships.schedule_meeting(*scope, body.scheduled_for, expected))


@router.post(
    "/{meeting_id}/reschedule",
    status_code=201,
    response_model=Committed,
    openapi_extra=body_schema(ScheduleIn),
    operation_id="rescheduleMeeting",
    tags=["meetings"],
)
def reschedule(
    scope: Annotated[InMentorship, Depends(MentorshipScope(A.RESCHEDULE_MEETING))],
    meeting_id: MeetingId,
    body: Annotated[ScheduleIn, Depends(json_body(ScheduleIn))],
    expected: ExpectedVersion,
    service: Service,
    response: Response,
) -> dict[str, object]:
    """A party moves a meeting."""
    result = service.mentorships.reschedule_meeting(*scope, meeting_id, body.scheduled_for, expected)
    return committed(response, result)


@router.post(
    "/{meeting_id}/agenda",
    status_code=201,
    response_model=Committed,
    openapi_extra=body_schema(AgendaIn),
    operation_id="submitAgenda",
    tags=["meetings"],
)
def submit_agenda(
    scope: Annotated[InMentorship, Depends(MentorshipScope(A.SUBMIT_AGENDA))],
    meeting_id: MeetingId,
    body: Annotated[AgendaIn, Depends(json_body(AgendaIn))],
    expected: ExpectedVersion,
    service: Service,
    response: Response,
) -> dict[str, object]:
    """The mentee sends the agenda before the meeting."""
    return committed(response, service.mentorships.submit_agenda(*scope, meeting_id, body.agenda, expected))


@router.post(
    "/{meeting_id}/held",
    status_code=201,
    response_model=HeldOut,
    openapi_extra=body_schema(HeldIn),
    operation_id="recordMeetingHeld",
    tags=["meetings"],
)
def hold(
    scope: Annotated[InMentorship, Depends(MentorshipScope(A.RECORD_MEETING_HELD))],
    meeting_id: MeetingId,
    body: Annotated[HeldIn, Depends(json_body(HeldIn))],
    expected: ExpectedVersion,
    service: Service,
    response: Response,
) -> dict[str, object]:
    """A party records the meeting held, and may schedule the next one."""
    result = service.mentorships.hold_meeting(
        *scope, meeting_id, body.held_at, body.duration_minutes, body.notes, body.next_meeting_for, expected
    )
    return committed(response, result)


@router.post(
    "/{meeting_id}/cancellation",
    status_code=201,
    response_model=Committed,
    openapi_extra=body_schema(CancellationIn),
    operation_id="cancelMeeting",
    tags=["meetings"],
)
def cancel(
    scope: Annotated[InMentorship, Depends(MentorshipScope(A.CANCEL_MEETING))],
    meeting_id: MeetingId,
    body: Annotated[CancellationIn, Depends(json_body(CancellationIn))],
    expected: ExpectedVersion,
    service: Service,
    response: Response,
) -> dict[str, object]:
    """A party cancels a meeting."""
    result = service.mentorships.cancel_meeting(*scope, meeting_id, body.unavoidable, body.note, expected)
    return committed(response, result)
