"""Request and response bodies of contract v1: unknown fields refused, every text and number bounded."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal, TypeVar
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from pydantic.json_schema import SkipJsonSchema

from api import field_errors
from api.field_errors import Location
from domain.access_record import AccessAction
from domain.errors import Reason
from projections import worklist

Text = Annotated[str, Field(min_length=1, max_length=10_000)]
OptionalText = Annotated[str | None, Field(default=None, max_length=10_000)]
Name = Annotated[str, Field(min_length=1, max_length=200)]
Email = Annotated[str, Field(min_length=3, max_length=320, pattern=r"^[^@\s]+@[^@\s]+$")]
Secret = Annotated[str, Field(min_length=1, max_length=200)]
RoleName = Literal["mentor", "mentee", "coordinator", "auditor"]
ObjectiveStatus = Literal["not_started", "in_progress", "attained", "abandoned"]
EndReason = Literal["completed", "no_longer_needed", "relational_difficulties", "other"]
MentorshipStatus = Literal["awaiting_signatures", "active", "ended", "withdrawn"]


class Command(BaseModel):
    """A command body: strict types, no unknown fields."""

    model_config = ConfigDict(extra="forbid", strict=True)


class Empty(Command):
    """A command without a body (`{}` or nothing)."""


class ParticipantIn(Command):
    role: RoleName
    name: Name
    email: Email
    language: Literal["fr", "en"]


class RedemptionIn(Command):
    code: Secret


class MentorshipIn(Command):
    mentor_id: UUID
    mentee_id: UUID
    starts_on: date
    months: Annotated[int | None, Field(default=None, ge=1, le=36)]


class ObjectiveIn(Command):
    text: Text


class ScheduleIn(Command):
    scheduled_for: AwareDatetime


class AgendaIn(Command):
    agenda: Text


class HeldIn(Command):
    held_at: AwareDatetime | None = None
    duration_minutes: Annotated[int, Field(ge=1, le=480)]
    notes: OptionalText
    next_meeting_for: AwareDatetime | None = None


class CancellationIn(Command):
    unavoidable: bool
    note: OptionalText


class AssessmentIn(Command):
    status: ObjectiveStatus


class SatisfactionIn(Command):
    score: Annotated[int, Field(ge=1, le=5)]
    comment: OptionalText


class DisputeIn(Command):
    summary: Text


class ConsultationIn(Command):
    topic: Literal["dispute", "early_end"]
    dispute_id: UUID | None = None
    outcome: Literal["reconciled", "not_reconciled", "ending_agreed"]
    note: OptionalText


class EndIn(Command):
    reason: EndReason
    note: OptionalText


class DisclosureIn(Command):
    basis: Literal["required_by_law", "danger_to_self_or_others", "made_public_by_other_party"]
    authority: Literal["police", "youth_protection", "health_services", "court", "other"] | None = None


def _without_default(schema: dict[str, Any]) -> None:
    """Drop the `null` default pydantic shows for a field the body simply leaves out."""
    schema.pop("default", None)


T = TypeVar("T")
# A field that is absent from the body when it has nothing to say (never null): not required, no default shown.
Omissible = Annotated[T | SkipJsonSchema[None], Field(default=None, json_schema_extra=_without_default)]


class FieldError(BaseModel):
    """A refused part of a request, by name and place, never by value; `reason` says why (a stable list)."""

    model_config = ConfigDict(extra="forbid")

    field: str | None = Field(
        description="The refused field, query parameter or header; null for an unknown field or a body that is "
        "not JSON (the name would be request text)."
    )
    code: str = Field(description="The validator's own code (pydantic's error type, or `invalid`): may change.")
    location: Location = Field(description="Where the refused value was: the body, the query, the path or a header.")
    reason: Reason = Field(description="Why, from a stable list:\n\n" + field_errors.reasons_markdown())


class Problem(BaseModel):
    """An error answer (RFC 9457): `type` ends with the stable slug; `detail` is our own fixed text."""

    model_config = ConfigDict(extra="forbid")

    type: str = Field(description="`/problems/<slug>`: the slug is stable, clients branch on it.")
    title: str = Field(description="A short title of the problem's kind.")
    status: int = Field(description="The HTTP status, as answered.")
    detail: str = Field(description="One fixed sentence saying what went wrong; never text of the request.")
    errors: Omissible[list[FieldError]] = Field(
        description="With a 422: each refused part of the request, where it was and why; never its value."
    )


class Committed(BaseModel):
    """Every 2xx command answer: the changed aggregate's version and the store's position."""

    version: int
    position: int


class IdOut(Committed):
    id: UUID


class MentorshipOut(IdOut):
    status: MentorshipStatus


class InvitationOut(Committed):
    """The invitation's expiry; its code went to the participant's e-mail, never to the caller (contract v1.1)."""

    expires_at: str


class TokenOut(Committed):
    token: str
    participant_id: UUID
    expires_at: str


class ObjectiveOut(Committed):
    objective_id: UUID


class SignatureOut(Committed):
    status: MentorshipStatus


class MeetingOut(Committed):
    meeting_id: UUID


class HeldOut(Committed):
    next_meeting_id: UUID | None


class DisputeOut(Committed):
    dispute_id: UUID


class MeOut(BaseModel):
    id: UUID
    role: RoleName
    programme_id: UUID
    name: str


class Health(BaseModel):
    status: Literal["ok"]


class SummaryOut(BaseModel):
    """A mentorship summary (MISSION section 4): process facts only."""

    id: UUID
    programme_id: UUID
    mentor_id: UUID
    mentee_id: UUID
    status: MentorshipStatus
    starts_on: date
    planned_end_on: date
    months_elapsed: int
    meetings_held: int
    meetings_cancelled: int
    cancelled_by_mentor: int
    cancelled_by_mentee: int
    cancelled_unavoidable: int
    minutes_total: int
    minutes_mean: float | None
    meetings_within_target: int
    agendas_in_advance: int
    last_meeting_on: date | None
    next_meeting_for: AwareDatetime | None
    days_since_last_meeting: int
    objectives_total: int
    objectives_attained: int
    satisfaction_mentor: int | None
    satisfaction_mentee: int | None
    disputes_raised: int
    disputes_open: int
    disputes_settled: int
    disputes_to_coordinator: int
    consultations: int
    ended_on: date | None
    ended_early: bool | None
    end_reason: EndReason | None
    ended_by_role: RoleName | None
    version: int


class SummaryPage(BaseModel):
    """A page of summaries."""

    items: list[SummaryOut]
    next_cursor: str | None


class TimelineEntryOut(BaseModel):
    """One event of an audit timeline: its type, times, actor and place; never its fields."""

    type: str
    occurred_at: AwareDatetime
    recorded_at: AwareDatetime
    actor_id: UUID | None
    actor_role: str
    version: int
    position: int


class TimelineOut(BaseModel):
    """An audit timeline."""

    items: list[TimelineEntryOut]


class ParticipantOut(BaseModel):
    """A participant as their coordinator sees them."""

    id: UUID
    role: RoleName
    name: str
    email: str | None
    active: bool


class ParticipantPage(BaseModel):
    """A page of participants."""

    items: list[ParticipantOut]
    next_cursor: str | None


class WorklistItemOut(BaseModel):
    """A mentorship that needs the coordinator, and why."""

    mentorship_id: UUID
    reasons: list[Annotated[str, Field(json_schema_extra={"enum": list(worklist.REASONS)})]]


class WorklistOut(BaseModel):
    """The coordinator's worklist."""

    items: list[WorklistItemOut]


class ReportOut(BaseModel):
    """The programme report (MISSION section 4)."""

    mentorships_awaiting_signatures: int
    mentorships_active: int
    mentorships_completed: int
    mentorships_ended_early: int
    mentorships_withdrawn: int
    early_end_rate: float | None
    early_end_reasons: dict[str, int]
    meetings_held: int
    meetings_cancelled: int
    cancellation_rate: float | None
    active_mentorship_months: int
    meetings_per_active_month: float | None
    months_with_meeting_rate: float | None
    minutes_mean: float | None
    within_target_rate: float | None
    agenda_rate: float | None
    objective_attainment_rate: float | None
    mean_satisfaction_mentors: float | None
    mean_satisfaction_mentees: float | None
    disputes_raised: int
    disputes_settled: int
    disputes_to_coordinator: int
    median_length_months: float | None
    at_risk: int


class JournalMeetingOut(BaseModel):
    """A meeting in the parties' journal."""

    id: UUID
    scheduled_for: AwareDatetime
    status: Literal["scheduled", "held", "cancelled"]
    held_at: AwareDatetime | None
    duration_minutes: int | None
    agenda: str | None
    notes: str | None


class JournalObjectiveOut(BaseModel):
    """An objective in the parties' journal."""

    id: UUID
    text: str | None
    status: ObjectiveStatus


class JournalDisputeOut(BaseModel):
    """A dispute in the parties' journal."""

    id: UUID
    status: Literal["open", "settled", "reconciled", "closed_by_end"]
    summary: str | None


class JournalEntryOut(BaseModel):
    """A note or comment in the parties' journal."""

    type: str
    occurred_at: AwareDatetime
    author_role: str
    text: str | None


class JournalOut(BaseModel):
    """The parties' journal: the only answer that carries content."""

    meetings: list[JournalMeetingOut]
    objectives: list[JournalObjectiveOut]
    disputes: list[JournalDisputeOut]
    entries: list[JournalEntryOut]


class AccessEntryOut(BaseModel):
    """One access: who (id and role) did what kind of access to which subject, and when; never what was read."""

    action: Annotated[str, Field(json_schema_extra={"enum": [action.value for action in AccessAction]})]
    actor_id: UUID | None
    actor_role: RoleName | Literal["operator"]
    subject_id: UUID
    at: AwareDatetime


class AccessLogPage(BaseModel):
    """A page of a programme's access log, oldest first."""

    items: list[AccessEntryOut]
    next_cursor: str | None
