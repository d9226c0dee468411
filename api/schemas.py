"""Request and response bodies of contract v1: unknown fields refused, every text and number bounded."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

Text = Annotated[str, Field(min_length=1, max_length=10_000)]
OptionalText = Annotated[str | None, Field(default=None, max_length=10_000)]
Name = Annotated[str, Field(min_length=1, max_length=200)]
Email = Annotated[str, Field(min_length=3, max_length=320, pattern=r"^[^@\s]+@[^@\s]+$")]
Secret = Annotated[str, Field(min_length=1, max_length=200)]


class Command(BaseModel):
    """A command body: strict types, no unknown fields."""

    model_config = ConfigDict(extra="forbid", strict=True)


class Empty(Command):
    """A command without a body (`{}` or nothing)."""


class ParticipantIn(Command):
    role: Literal["mentor", "mentee", "coordinator", "auditor"]
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
    status: Literal["not_started", "in_progress", "attained", "abandoned"]


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
    reason: Literal["completed", "no_longer_needed", "relational_difficulties", "other"]
    note: OptionalText


class DisclosureIn(Command):
    basis: Literal["required_by_law", "danger_to_self_or_others", "made_public_by_other_party"]
    authority: Literal["police", "youth_protection", "health_services", "court", "other"] | None = None


class Committed(BaseModel):
    """Every 2xx command answer: the changed aggregate's version and the store's position."""

    version: int
    position: int


class IdOut(Committed):
    id: UUID


class MentorshipOut(IdOut):
    status: str


class InvitationOut(Committed):
    code: str
    expires_at: str


class TokenOut(Committed):
    token: str
    participant_id: UUID
    expires_at: str


class ObjectiveOut(Committed):
    objective_id: UUID


class SignatureOut(Committed):
    status: str


class MeetingOut(Committed):
    meeting_id: UUID


class HeldOut(Committed):
    next_meeting_id: UUID | None


class DisputeOut(Committed):
    dispute_id: UUID


class MeOut(BaseModel):
    id: UUID
    role: str
    programme_id: UUID
    name: str


class Health(BaseModel):
    status: Literal["ok"]
