"""Domain errors: each names the stable problem slug of the rule it protects."""

from __future__ import annotations

from typing import ClassVar


class DomainError(Exception):
    """A refused command; the message is fixed text and never holds request content."""

    slug: ClassVar[str] = "domain-error"

    def __init__(self, message: str = "") -> None:
        super().__init__(message or self.__doc__ or self.slug)


class InvalidValue(DomainError):
    """A value of the request is not acceptable."""

    slug = "validation-error"

    def __init__(self, *fields: str) -> None:
        super().__init__("invalid value for: " + ", ".join(fields))
        self.fields = fields


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
