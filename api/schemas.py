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
# An address typed into a form: white space around it is ignored (the blind index trims it), none inside
TypedEmail = Annotated[str, Field(min_length=3, max_length=320, pattern=r"^\s*[^@\s]+@[^@\s]+\s*$")]
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
    """A participant to register in the programme."""

    role: RoleName = Field(
        description="The participant's role in the programme (an auditor is the operator's to register: 403)."
    )
    name: Name = Field(
        description="The participant's name (personal data: served to them and their coordinators only)."
    )
    email: Email = Field(description="Where the invitation code is e-mailed (personal data).")
    language: Literal["fr", "en"] = Field(description="The language of the messages they receive.")


class RedemptionIn(Command):
    """An e-mailed invitation code, exchanged for a bearer token."""

    code: Secret = Field(
        description="The one-time code an invitation (valid 7 days) or a sign-in request (15 minutes) e-mailed."
    )


class SignInIn(Command):
    """An e-mail address asking for a sign-in code."""

    email: TypedEmail = Field(
        description="The address a participant was registered with (any case, surrounding spaces ignored): each "
        "active participant holding it is e-mailed a one-time code. Never stored, logged or answered."
    )


class SignInAccepted(BaseModel):
    """The one answer of a sign-in request, whatever the address: whether anyone was sent a code is not said."""

    status: Literal["accepted"] = Field(description="Always `accepted`.")


class MentorshipIn(Command):
    """A convention to draft for a pair."""

    mentor_id: UUID = Field(description="The mentor: a participant of the programme with the mentor role.")
    mentee_id: UUID = Field(
        description="The mentee: a participant of the programme with the mentee role, without another convention."
    )
    starts_on: date = Field(description="The day the convention takes effect, in the programme's time zone.")
    months: Annotated[
        int | None,
        Field(
            description="The convention's length in months (absent: the programme's default).",
            default=None,
            ge=1,
            le=36,
        ),
    ]


class ObjectiveIn(Command):
    """An objective of the pair."""

    text: Text = Field(
        description="The objective, in the parties' words (confidential: only the parties read it back)."
    )


class ScheduleIn(Command):
    """When a meeting takes place."""

    scheduled_for: AwareDatetime = Field(
        description="When the meeting takes place (a time with an offset; a past time records a late one)."
    )


class AgendaIn(Command):
    """A meeting's agenda."""

    agenda: Text = Field(description="The agenda (confidential), accepted until the meeting's time.")


class HeldIn(Command):
    """A meeting held, and maybe the next one."""

    held_at: AwareDatetime | None = Field(
        default=None,
        description="When it was held (a time with an offset, not in the future; absent: the scheduled time).",
    )
    duration_minutes: Annotated[int, Field(description="How long it lasted, in minutes.", ge=1, le=480)]
    notes: Annotated[OptionalText, Field(description="The parties' notes (confidential).")]
    next_meeting_for: AwareDatetime | None = Field(
        default=None, description="When the next meeting takes place, scheduled in the same command (absent: none)."
    )


class CancellationIn(Command):
    """A meeting cancelled."""

    unavoidable: bool = Field(description="Whether the cancellation was beyond the parties' control.")
    note: Annotated[OptionalText, Field(description="A note about the cancellation (confidential).")]


class AssessmentIn(Command):
    """An objective's assessment."""

    status: ObjectiveStatus = Field(description="Where the objective stands now.")


class SatisfactionIn(Command):
    """A party's satisfaction."""

    score: Annotated[
        int, Field(description="The party's satisfaction, from 1 (low) to 5 (high); the latest one counts.", ge=1, le=5)
    ]
    comment: Annotated[OptionalText, Field(description="A comment (confidential).")]


class DisputeIn(Command):
    """A dispute raised by a party."""

    summary: Text = Field(description="What the dispute is about (confidential).")


class ConsultationIn(Command):
    """A consultation of the coordinator."""

    topic: Literal["dispute", "early_end"] = Field(description="What the coordinator was consulted about.")
    dispute_id: UUID | None = Field(
        default=None, description="The open dispute consulted about (with the `dispute` topic)."
    )
    outcome: Literal["reconciled", "not_reconciled", "ending_agreed"] = Field(description="What came of it.")
    note: Annotated[OptionalText, Field(description="The coordinator's note (confidential).")]


class EndIn(Command):
    """The end of the relationship."""

    reason: EndReason = Field(description="Why the relationship ends.")
    note: Annotated[OptionalText, Field(description="A note about the end (confidential).")]


class DisclosureIn(Command):
    """A disclosure of confidential content, and its ground."""

    basis: Literal["required_by_law", "danger_to_self_or_others", "made_public_by_other_party"] = Field(
        description="The ground for disclosing confidential content (`made_public_by_other_party` from a mentee: 403)."
    )
    authority: Literal["police", "youth_protection", "health_services", "court", "other"] | None = Field(
        default=None, description="Whom it was disclosed to (absent: not said)."
    )


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

    version: int = Field(
        description="The changed aggregate's version, also the answer's `ETag` (for the next `If-Match`)."
    )
    position: int = Field(description="The store's position of this change: pass it as `?after` to read it back.")


class IdOut(Committed):
    """A command answer that created something: its id."""

    id: UUID = Field(description="The id of what was created.")


class MentorshipOut(IdOut):
    """A drafted convention: its id and status."""

    status: MentorshipStatus = Field(description="The convention's status.")


class InvitationOut(Committed):
    """The invitation's expiry; its code went to the participant's e-mail, never to the caller (contract v1.1)."""

    expires_at: str = Field(description="When the e-mailed code expires (ISO 8601).")


class TokenOut(Committed):
    """A redeemed invitation: the bearer token and whose it is."""

    token: str = Field(
        description="The bearer token: send it as `Authorization: Bearer <token>` (shown once, never stored in clear)."
    )
    participant_id: UUID = Field(description="Whose token it is.")
    expires_at: str = Field(description="When the token expires (ISO 8601).")


class ObjectiveOut(Committed):
    """An added objective."""

    objective_id: UUID = Field(description="The id of the added objective.")


class SignatureOut(Committed):
    """A signature: the convention's status after it."""

    status: MentorshipStatus = Field(description="The convention's status: `active` once both parties have signed.")


class MeetingOut(Committed):
    """A scheduled meeting."""

    meeting_id: UUID = Field(description="The id of the scheduled meeting.")


class HeldOut(Committed):
    """A meeting held, and the next one if scheduled."""

    next_meeting_id: UUID | None = Field(
        description="The id of the next meeting, when one was scheduled with `next_meeting_for`."
    )


class DisputeOut(Committed):
    """A raised dispute."""

    dispute_id: UUID = Field(description="The id of the raised dispute.")


class MeOut(BaseModel):
    """The caller's identity."""

    id: UUID = Field(description="The caller's participant id.")
    role: RoleName = Field(description="The caller's role.")
    programme_id: UUID = Field(description="The caller's programme.")
    name: str = Field(description="The caller's name (empty once erased).")


class Health(BaseModel):
    """The process answers."""

    status: Literal["ok"] = Field(description="Always `ok` while the process answers.")


class SummaryOut(BaseModel):
    """A mentorship summary (MISSION section 4): process facts only."""

    id: UUID = Field(description="The mentorship's id.")
    programme_id: UUID = Field(description="Its programme.")
    mentor_id: UUID = Field(description="The mentor.")
    mentee_id: UUID = Field(description="The mentee.")
    status: MentorshipStatus = Field(description="The convention's status.")
    starts_on: date = Field(description="The convention's start.")
    planned_end_on: date = Field(
        description="The start plus the convention's months (clipped to the month's last day)."
    )
    months_elapsed: int = Field(description="Whole months from the start to today (or to the end).")
    meetings_held: int = Field(description="Meetings held.")
    meetings_cancelled: int = Field(description="Meetings cancelled.")
    cancelled_by_mentor: int = Field(description="Meetings the mentor cancelled.")
    cancelled_by_mentee: int = Field(description="Meetings the mentee cancelled.")
    cancelled_unavoidable: int = Field(description="Cancellations beyond the parties' control.")
    minutes_total: int = Field(description="Minutes of the meetings held.")
    minutes_mean: float | None = Field(description="Mean minutes of the meetings held (2 decimals; null when none).")
    meetings_within_target: int = Field(description="Held meetings whose length is within the programme's target.")
    agendas_in_advance: int = Field(description="Held meetings that had an agenda before their time.")
    last_meeting_on: date | None = Field(description="The day of the latest held meeting (null when none).")
    next_meeting_for: AwareDatetime | None = Field(
        description="The earliest open meeting still ahead (null when none)."
    )
    days_since_last_meeting: int = Field(
        description="Days since the latest held meeting (since the start while none was held)."
    )
    objectives_total: int = Field(description="Objectives.")
    objectives_attained: int = Field(description="Objectives whose latest assessment is `attained`.")
    satisfaction_mentor: int | None = Field(description="The mentor's latest score (null when none).")
    satisfaction_mentee: int | None = Field(description="The mentee's latest score (null when none).")
    disputes_raised: int = Field(description="Disputes raised.")
    disputes_open: int = Field(description="Disputes still open.")
    disputes_settled: int = Field(description="Disputes settled amicably.")
    disputes_to_coordinator: int = Field(description="Disputes taken to the coordinator.")
    consultations: int = Field(description="Consultations of the coordinator.")
    ended_on: date | None = Field(description="The day it ended (null until it ends).")
    ended_early: bool | None = Field(description="Whether it ended before its planned end (null until it ends).")
    end_reason: EndReason | None = Field(description="Why it ended (null until it ends).")
    ended_by_role: RoleName | None = Field(description="Who ended it, by role (null until it ends).")
    version: int = Field(description="The mentorship's version when the summary was last updated.")


class SummaryPage(BaseModel):
    """A page of summaries."""

    items: list[SummaryOut] = Field(description="The summaries of this page.")
    next_cursor: str | None = Field(description="The next page's `cursor` (null on the last page).")


class TimelineEntryOut(BaseModel):
    """One event of an audit timeline: its type, times, actor and place; never its fields."""

    type: str = Field(description="The event's type.")
    occurred_at: AwareDatetime = Field(description="When it happened.")
    recorded_at: AwareDatetime = Field(description="When it was recorded.")
    actor_id: UUID | None = Field(description="Who did it (null for the operator or the system).")
    actor_role: str = Field(description="The actor's role.")
    version: int = Field(description="The aggregate's version after the event.")
    position: int = Field(description="The event's position in the store.")


class TimelineOut(BaseModel):
    """An audit timeline."""

    items: list[TimelineEntryOut] = Field(description="The events, oldest first.")


class ParticipantOut(BaseModel):
    """A participant as their coordinator sees them."""

    id: UUID = Field(description="The participant's id.")
    role: RoleName = Field(description="Their role.")
    name: str = Field(description="Their name (personal data; empty once erased).")
    email: str | None = Field(description="Their e-mail (personal data; null when none or erased).")
    active: bool = Field(description="Whether their tokens work (false once deactivated).")


class ParticipantPage(BaseModel):
    """A page of participants."""

    items: list[ParticipantOut] = Field(description="The participants of this page.")
    next_cursor: str | None = Field(description="The next page's `cursor` (null on the last page).")


class WorklistItemOut(BaseModel):
    """A mentorship that needs the coordinator, and why."""

    mentorship_id: UUID = Field(description="The mentorship that needs the coordinator.")
    reasons: list[Annotated[str, Field(json_schema_extra={"enum": list(worklist.REASONS)})]] = Field(
        description="Why it does."
    )


class WorklistOut(BaseModel):
    """The coordinator's worklist."""

    items: list[WorklistItemOut] = Field(description="The mentorships that need the coordinator now.")


class ReportOut(BaseModel):
    """The programme report (MISSION section 4)."""

    mentorships_awaiting_signatures: int = Field(description="Conventions awaiting signatures as of `to`.")
    mentorships_active: int = Field(description="Active mentorships as of `to`.")
    mentorships_completed: int = Field(description="Mentorships ended on or after their planned end, as of `to`.")
    mentorships_ended_early: int = Field(description="Mentorships ended before their planned end, as of `to`.")
    mentorships_withdrawn: int = Field(description="Conventions withdrawn, as of `to`.")
    early_end_rate: float | None = Field(description="Ended early / ended (0 to 1, 3 decimals; null when none ended).")
    early_end_reasons: dict[str, int] = Field(description="The count of early ends per reason.")
    meetings_held: int = Field(description="Meetings held in [from, to).")
    meetings_cancelled: int = Field(description="Meetings cancelled in [from, to).")
    cancellation_rate: float | None = Field(description="Cancelled / (held + cancelled) (null when none).")
    active_mentorship_months: int = Field(description="Calendar months with a signed mentorship active.")
    meetings_per_active_month: float | None = Field(
        description="Held meetings / active mentorship-months (null when none)."
    )
    months_with_meeting_rate: float | None = Field(
        description="Active mentorship-months with a held meeting / active mentorship-months."
    )
    minutes_mean: float | None = Field(description="Mean minutes of the meetings held (null when none).")
    within_target_rate: float | None = Field(
        description="Held meetings within the length target / held (null when none)."
    )
    agenda_rate: float | None = Field(description="Held meetings with an agenda in advance / held (null when none).")
    objective_attainment_rate: float | None = Field(description="Attained / objectives not abandoned (null when none).")
    mean_satisfaction_mentors: float | None = Field(
        description="The mean of each mentorship's latest mentor score (null when none)."
    )
    mean_satisfaction_mentees: float | None = Field(
        description="The mean of each mentorship's latest mentee score (null when none)."
    )
    disputes_raised: int = Field(description="Disputes raised in [from, to).")
    disputes_settled: int = Field(description="Disputes settled in [from, to).")
    disputes_to_coordinator: int = Field(description="Disputes taken to the coordinator in [from, to).")
    median_length_months: float | None = Field(
        description="The median length of the ended mentorships, in whole months (null when none)."
    )
    at_risk: int = Field(description="Mentorships on the worklist now.")


class JournalMeetingOut(BaseModel):
    """A meeting in the parties' journal."""

    id: UUID = Field(description="The meeting's id.")
    scheduled_for: AwareDatetime = Field(description="When it is (or was) scheduled.")
    status: Literal["scheduled", "held", "cancelled"] = Field(description="Where it stands.")
    held_at: AwareDatetime | None = Field(description="When it was held (null unless held).")
    duration_minutes: int | None = Field(description="How long it lasted (null unless held).")
    agenda: str | None = Field(description="Its agenda (null when none or erased).")
    notes: str | None = Field(description="The notes recorded when it was held (null when none or erased).")


class JournalObjectiveOut(BaseModel):
    """An objective in the parties' journal."""

    id: UUID = Field(description="The objective's id.")
    text: str | None = Field(description="Its text (null once erased).")
    status: ObjectiveStatus = Field(description="Its latest assessment.")


class JournalDisputeOut(BaseModel):
    """A dispute in the parties' journal."""

    id: UUID = Field(description="The dispute's id.")
    status: Literal["open", "settled", "reconciled", "closed_by_end"] = Field(description="Where it stands.")
    summary: str | None = Field(description="What it is about (null once erased).")


class JournalEntryOut(BaseModel):
    """A note or comment in the parties' journal."""

    type: str = Field(description="What kind of note or comment it is.")
    occurred_at: AwareDatetime = Field(description="When it was written.")
    author_role: str = Field(description="Who wrote it, by role.")
    text: str | None = Field(description="The text (null once erased).")


class JournalOut(BaseModel):
    """The parties' journal: the only answer that carries content."""

    meetings: list[JournalMeetingOut] = Field(description="The meetings, with agendas and notes.")
    objectives: list[JournalObjectiveOut] = Field(description="The objectives, with their texts.")
    disputes: list[JournalDisputeOut] = Field(description="The disputes, with their summaries.")
    entries: list[JournalEntryOut] = Field(description="The notes and comments, oldest first.")


class AccessEntryOut(BaseModel):
    """One access: who (id and role) did what kind of access to which subject, and when; never what was read."""

    action: Annotated[
        str,
        Field(
            description="What kind of access it was.",
            json_schema_extra={"enum": [action.value for action in AccessAction]},
        ),
    ]
    actor_id: UUID | None = Field(description="Who accessed (null for the operator).")
    actor_role: RoleName | Literal["operator"] = Field(description="The actor's role.")
    subject_id: UUID = Field(description="Whose or what data it concerned.")
    at: AwareDatetime = Field(description="When.")


class AccessLogPage(BaseModel):
    """A page of a programme's access log, oldest first."""

    items: list[AccessEntryOut] = Field(description="The accesses of this page, oldest first.")
    next_cursor: str | None = Field(description="The next page's `cursor` (null on the last page).")
