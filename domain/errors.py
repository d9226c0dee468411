"""Domain errors: each names the stable problem slug of the rule it protects."""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar


class DomainError(Exception):
    """A refused command; the message is fixed text and never holds request content."""

    slug: ClassVar[str] = "domain-error"

    def __init__(self, message: str = "") -> None:
        super().__init__(message or self.__doc__ or self.slug)


class Reason(StrEnum):
    """Why a value is refused (422): stable slugs a client may branch on; each says why, never what was sent.

    The API documents every member (`api/field_errors.py`); a new refusal needs a member, hence its documentation.
    """

    MISSING = "missing"
    UNKNOWN_FIELD = "unknown_field"
    WRONG_TYPE = "wrong_type"
    MALFORMED = "malformed"
    MALFORMED_JSON = "malformed_json"
    NOT_AN_ENUM_VALUE = "not_an_enum_value"
    OUT_OF_RANGE = "out_of_range"
    TOO_LONG = "too_long"
    TOO_SHORT = "too_short"
    BLANK = "blank"
    NOT_ONE_LINE = "not_one_line"
    TIMEZONE_REQUIRED = "timezone_required"
    OUTSIDE_CALENDAR = "outside_calendar"
    IN_FUTURE = "in_future"
    BEFORE_START = "before_start"
    NOT_AFTER_FROM = "not_after_from"
    MIN_ABOVE_MAX = "min_above_max"
    SAME_PERSON = "same_person"
    UNKNOWN_ID = "unknown_id"
    WRONG_ROLE = "wrong_role"
    WRONG_PROGRAMME = "wrong_programme"
    NOT_APPLICABLE = "not_applicable"
    TOO_MANY_OBJECTIVES = "too_many_objectives"
    ID_REUSED = "id_reused"
    UNKNOWN_TIME_ZONE = "unknown_time_zone"
    NO_EMAIL_ADDRESS = "no_email_address"
    BEYOND_STORE_POSITION = "beyond_store_position"
    KEY_REUSED = "key_reused"


class InvalidValue(DomainError):
    """A value of the request is not acceptable."""

    slug = "validation-error"

    def __init__(self, *fields: str, reason: Reason) -> None:
        super().__init__(f"invalid value for: {', '.join(fields)} ({reason})")
        self.fields = fields
        self.reason = reason


class Forbidden(DomainError):
    """This role may not do this here."""

    slug = "forbidden"


class NotFound(DomainError):
    """Nothing of that name is within your reach."""

    slug = "not-found"


class RuleViolation(DomainError):
    """A rule of the agreement refuses the command in the current state."""

    slug = "rule-violation"


class ConventionNotSigned(RuleViolation):
    """The convention has not taken effect yet."""

    slug = "convention-not-signed"


class AlreadySigned(RuleViolation):
    """This party has already signed."""

    slug = "already-signed"


class RelationshipEnded(RuleViolation):
    """The relationship has ended."""

    slug = "relationship-ended"


class MeetingAlreadyClosed(RuleViolation):
    """The meeting is already held or cancelled."""

    slug = "meeting-already-closed"


class AgendaTooLate(RuleViolation):
    """The meeting's time has passed: an agenda is sent before the meeting."""

    slug = "agenda-too-late"


class DisputeNotOpen(RuleViolation):
    """The dispute is not open."""

    slug = "dispute-not-open"


class CoordinatorConsultationRequired(RuleViolation):
    """Ending early needs a consultation with the coordinator about ending first."""

    slug = "coordinator-consultation-required"


class ObjectivesRequired(RuleViolation):
    """At least one objective is needed before signing."""

    slug = "objectives-required"


class MenteeHasConvention(RuleViolation):
    """The mentee already has a drafted or active convention."""

    slug = "mentee-has-convention"


class ParticipantInactive(RuleViolation):
    """The participant is deactivated."""

    slug = "participant-inactive"


class ConventionWithdrawn(RuleViolation):
    """The convention was withdrawn."""

    slug = "convention-withdrawn"


class ConventionActive(RuleViolation):
    """The convention has taken effect and can no longer be withdrawn."""

    slug = "convention-active"
