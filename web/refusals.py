"""A refused form: the API's problem (its slug, the fields and their reason) in the visitor's words.

Every page's form sends its command through `attempt`: the same application command the API calls, and on a
refusal the same slug and reason the API would answer, translated here (`SLUGS`, `REASONS`) and announced on the
form (`templates/forms.html`). Nothing is stored when a command is refused: the application raises before it saves.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from starlette.concurrency import run_in_threadpool

from application.errors import PreconditionFailed, Unauthenticated, VersionConflict
from domain.errors import DomainError, Forbidden, InvalidValue, NotFound, Reason, RuleViolation
from web.words import N_

T = TypeVar("T")

# Each problem slug of contract v1 in words, for the people who meet it on a form
SLUGS = {
    "validation-error": N_("Please correct the fields marked below."),
    "forbidden": N_("Your role may not do this."),
    "not-found": N_("This page or item is not within your reach."),
    "rule-violation": N_("The convention's rules do not allow this now."),
    "convention-not-signed": N_("The convention has not been signed by both parties yet."),
    "already-signed": N_("You have already signed this convention."),
    "relationship-ended": N_("This mentorship has ended."),
    "meeting-already-closed": N_("This meeting is already held or cancelled."),
    "agenda-too-late": N_("The agenda can only be sent before the meeting."),
    "dispute-not-open": N_("This dispute is no longer open."),
    "coordinator-consultation-required": N_("An early end needs a consultation with the coordinator first."),
    "objectives-required": N_("The convention needs at least one objective before it is signed."),
    "mentee-has-convention": N_("This mentee already has a convention in progress."),
    "participant-inactive": N_("This participant is no longer active."),
    "convention-withdrawn": N_("This convention was withdrawn."),
    "convention-active": N_("This convention is already in effect and can no longer be withdrawn."),
    "unauthenticated": N_("Your session has ended. Please sign in again."),
    "precondition-failed": N_("Someone changed this mentorship meanwhile. Please check the page and try again."),
    "version-conflict": N_("Someone changed this mentorship meanwhile. Please check the page and try again."),
}
# Each reason a value is refused (`domain.errors.Reason`), said of the field it is shown beside
REASONS = {
    Reason.MISSING: N_("This field is required."),
    Reason.UNKNOWN_FIELD: N_("This field is not expected here."),
    Reason.WRONG_TYPE: N_("This value is not of the expected kind."),
    Reason.MALFORMED: N_("This value is not in the expected format."),
    Reason.MALFORMED_JSON: N_("This value is not in the expected format."),
    Reason.NOT_AN_ENUM_VALUE: N_("Please choose one of the options offered."),
    Reason.OUT_OF_RANGE: N_("This value is outside the allowed range."),
    Reason.TOO_LONG: N_("This text is too long."),
    Reason.TOO_SHORT: N_("This text is too short."),
    Reason.BLANK: N_("This field cannot be blank."),
    Reason.NOT_ONE_LINE: N_("This field must fit on one line."),
    Reason.TIMEZONE_REQUIRED: N_("Please give a time with its time zone."),
    Reason.OUTSIDE_CALENDAR: N_("This date is outside the convention's calendar."),
    Reason.IN_FUTURE: N_("This moment is in the future."),
    Reason.BEFORE_START: N_("This date is before the convention starts."),
    Reason.NOT_AFTER_FROM: N_("The end must come after the start."),
    Reason.MIN_ABOVE_MAX: N_("The minimum is above the maximum."),
    Reason.SAME_PERSON: N_("The mentor and the mentee must be two different people."),
    Reason.UNKNOWN_ID: N_("Nothing known has this identifier."),
    Reason.WRONG_ROLE: N_("This person does not have the role needed here."),
    Reason.WRONG_PROGRAMME: N_("This person belongs to another programme."),
    Reason.NOT_APPLICABLE: N_("This does not apply here."),
    Reason.TOO_MANY_OBJECTIVES: N_("The convention already has as many objectives as it may."),
    Reason.ID_REUSED: N_("This identifier is already used."),
    Reason.UNKNOWN_TIME_ZONE: N_("This time zone is unknown."),
    Reason.NO_EMAIL_ADDRESS: N_("This person has no e-mail address to send the invitation to."),
    Reason.BEYOND_STORE_POSITION: N_("This position is beyond the history stored."),
    Reason.KEY_REUSED: N_("This key was already used for another request."),
}
# The HTTP status each refusal answers with, as the API's (a form page is re-rendered with it)
STATUSES: tuple[tuple[type[DomainError], int], ...] = (
    (InvalidValue, 422),
    (Unauthenticated, 401),
    (Forbidden, 403),
    (NotFound, 404),
    (PreconditionFailed, 412),
    (VersionConflict, 409),
    (RuleViolation, 409),
)


@dataclass(frozen=True)
class Refusal:
    """A refused command as a form shows it: the status, the slug's message, and each field's reason."""

    status: int
    slug: str
    message: str  # a message id (see `SLUGS`): the template translates it
    fields: dict[str, str]  # form field name -> message id of its reason

    def about(self, field: str) -> str | None:
        """The message id of a field's reason, if this refusal names that field."""
        return self.fields.get(field)


def refusal(error: DomainError, field_names: dict[str, str] | None = None) -> Refusal:
    """A domain error as a form shows it; `field_names` maps the command's field names to the form's."""
    status = next((code for kind, code in STATUSES if isinstance(error, kind)), 400)
    message = SLUGS.get(error.slug, SLUGS["rule-violation"])
    fields: dict[str, str] = {}
    if isinstance(error, InvalidValue):
        names = field_names or {}
        words = REASONS.get(error.reason, REASONS[Reason.MALFORMED])
        fields = {names.get(name, name): words for name in error.fields}
    return Refusal(status, error.slug, message, fields)


def invalid(field: str, reason: Reason) -> Refusal:
    """A form value refused before any command (a date that does not parse, say), as the API would refuse it."""
    return refusal(InvalidValue(field, reason=reason))


async def attempt(
    command: Callable[[], T], field_names: dict[str, str] | None = None
) -> tuple[T, None] | tuple[None, Refusal]:
    """Run an application command in a worker thread: its result, or the refusal the form shows."""
    try:
        return await run_in_threadpool(command), None
    except DomainError as error:
        return None, refusal(error, field_names)
