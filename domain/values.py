"""Value types shared by the aggregates: actors, enumerations, limits and calendar helpers."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from uuid import UUID
from zoneinfo import ZoneInfo

from domain.errors import InvalidValue, Reason

MAX_TEXT = 10_000
MAX_OBJECTIVES = 20
MIN_DURATION, MAX_DURATION = 1, 480
MIN_SCORE, MAX_SCORE = 1, 5
MIN_MONTHS, MAX_MONTHS = 1, 36


class Role(StrEnum):
    """A participant's role in a programme."""

    MENTOR = "mentor"
    MENTEE = "mentee"
    COORDINATOR = "coordinator"
    AUDITOR = "auditor"


OPERATOR = "operator"
PARTIES = frozenset({Role.MENTOR.value, Role.MENTEE.value})


class Language(StrEnum):
    """A participant's language."""

    FR = "fr"
    EN = "en"


class ObjectiveStatus(StrEnum):
    """An objective's assessed status (R6)."""

    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    ATTAINED = "attained"
    ABANDONED = "abandoned"


class EndReason(StrEnum):
    """Why a relationship ended (R8)."""

    COMPLETED = "completed"
    NO_LONGER_NEEDED = "no_longer_needed"
    RELATIONAL_DIFFICULTIES = "relational_difficulties"
    OTHER = "other"


class ConsultationTopic(StrEnum):
    """What the coordinator was consulted about (R7, R8)."""

    DISPUTE = "dispute"
    EARLY_END = "early_end"


class Outcome(StrEnum):
    """A consultation's outcome."""

    RECONCILED = "reconciled"
    NOT_RECONCILED = "not_reconciled"
    ENDING_AGREED = "ending_agreed"


class DisclosureBasis(StrEnum):
    """The exception to confidentiality a disclosure relies on (R9)."""

    REQUIRED_BY_LAW = "required_by_law"
    DANGER_TO_SELF_OR_OTHERS = "danger_to_self_or_others"
    MADE_PUBLIC_BY_OTHER_PARTY = "made_public_by_other_party"


class Authority(StrEnum):
    """Who was informed of a disclosure."""

    POLICE = "police"
    YOUTH_PROTECTION = "youth_protection"
    HEALTH_SERVICES = "health_services"
    COURT = "court"
    OTHER = "other"


@dataclass(frozen=True)
class Actor:
    """Who does something: a participant with their role here, or the operator."""

    id: UUID | None
    role: str

    @classmethod
    def operator(cls) -> Actor:
        """The operator running the CLI."""
        return cls(None, OPERATOR)


def add_months(start: date, months: int) -> date:
    """The same day `months` later, clipped to the last day of that month (past year 9999: invalid)."""
    index = start.month - 1 + months
    year, month = start.year + index // 12, index % 12 + 1
    if year > date.max.year:
        raise InvalidValue("starts_on", "months", reason=Reason.OUTSIDE_CALENDAR)
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def local_date(moment: datetime, time_zone: str, field: str = "time") -> date:
    """The calendar date of an aware time in a programme's time zone (out of the calendar: invalid)."""
    try:
        return moment.astimezone(ZoneInfo(time_zone)).date()
    except (OverflowError, ValueError):
        raise InvalidValue(field, reason=Reason.OUTSIDE_CALENDAR) from None


def check_text(field: str, text: str | None, *, required: bool) -> None:
    """Texts are at most 10,000 characters; a required one is not blank."""
    if text is None:
        if required:
            raise InvalidValue(field, reason=Reason.MISSING)
        return
    if len(text) > MAX_TEXT:
        raise InvalidValue(field, reason=Reason.TOO_LONG)
    if required and not text.strip():
        raise InvalidValue(field, reason=Reason.BLANK)


def check_aware(field: str, moment: datetime | None) -> None:
    """Times carry an explicit offset."""
    if moment is not None and moment.utcoffset() is None:
        raise InvalidValue(field, reason=Reason.TIMEZONE_REQUIRED)


def check_range(field: str, value: int, low: int, high: int) -> None:
    """An integer within [low, high]."""
    if isinstance(value, bool):
        raise InvalidValue(field, reason=Reason.WRONG_TYPE)
    if not low <= value <= high:
        raise InvalidValue(field, reason=Reason.OUT_OF_RANGE)
