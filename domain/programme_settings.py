"""A programme's settings: time zone, default length, meeting length target, worklist thresholds; their checks."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from domain.errors import InvalidValue, Reason
from domain.values import MAX_DURATION, MAX_MONTHS, MIN_DURATION, MIN_MONTHS, check_range

DEFAULT_TIME_ZONE = "America/Toronto"
DEFAULT_MONTHS = 10
DEFAULT_MEETING_MINUTES = (60, 90)
DEFAULT_THRESHOLDS: dict[str, int] = {
    "no_meeting_days": 45,
    "ends_within_days": 30,
    "awaiting_signatures_days": 14,
    "outcome_missing_days": 2,
    "low_satisfaction_max": 2,
    "cancellations_in_a_row": 2,
}
# Upper bounds keep the worklist's date arithmetic inside the calendar (a day count of 10**9 would overflow)
THRESHOLD_LIMITS: dict[str, int] = {
    "no_meeting_days": 3650,
    "ends_within_days": 3650,
    "awaiting_signatures_days": 3650,
    "outcome_missing_days": 3650,
    "low_satisfaction_max": 5,
    "cancellations_in_a_row": 100,
}
SETTING_FIELDS = ("time_zone", "default_months", "meeting_minutes_min", "meeting_minutes_max")


def check_time_zone(time_zone: object) -> str:
    """An IANA time zone name this system knows (`Europe/Paris`), or `InvalidValue("time_zone")`."""
    if not isinstance(time_zone, str) or time_zone not in _known_zones():
        raise InvalidValue("time_zone", reason=Reason.UNKNOWN_TIME_ZONE)
    try:
        ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidValue("time_zone", reason=Reason.UNKNOWN_TIME_ZONE) from None
    return time_zone


@cache
def _known_zones() -> frozenset[str]:
    """The IANA names (read once; no file paths such as `../etc/x`, which `ZoneInfo` would try to open)."""
    return frozenset(available_timezones())


@dataclass(frozen=True)
class ProgrammeSettings:
    """What a programme sets for itself; every field has the contract's default."""

    time_zone: str = DEFAULT_TIME_ZONE
    default_months: int = DEFAULT_MONTHS
    meeting_minutes_min: int = DEFAULT_MEETING_MINUTES[0]
    meeting_minutes_max: int = DEFAULT_MEETING_MINUTES[1]
    thresholds: Mapping[str, int] = field(default_factory=lambda: dict(DEFAULT_THRESHOLDS))

    def checked(self) -> ProgrammeSettings:
        """These settings if every one is acceptable; otherwise `InvalidValue` naming the first bad field.

        Fields are named as the API's body names them (`meeting_minutes.min`, `thresholds.no_meeting_days`).
        """
        check_time_zone(self.time_zone)
        check_range("default_months", self.default_months, MIN_MONTHS, MAX_MONTHS)
        check_range("meeting_minutes.min", self.meeting_minutes_min, MIN_DURATION, MAX_DURATION)
        check_range("meeting_minutes.max", self.meeting_minutes_max, MIN_DURATION, MAX_DURATION)
        if self.meeting_minutes_min > self.meeting_minutes_max:
            # a target of 90-60 minutes: no meeting could meet it
            raise InvalidValue("meeting_minutes", reason=Reason.MIN_ABOVE_MAX)
        if set(self.thresholds) != set(DEFAULT_THRESHOLDS):
            raise InvalidValue("thresholds", reason=Reason.UNKNOWN_FIELD)
        for name, value in self.thresholds.items():
            check_range(f"thresholds.{name}", value, 0, THRESHOLD_LIMITS[name])
        return self

    def merged(self, changes: Mapping[str, Any]) -> ProgrammeSettings:
        """These settings with some replaced (`thresholds` merged key by key); unknown names are refused."""
        unknown = set(changes) - {*SETTING_FIELDS, "thresholds"}
        if unknown:
            raise InvalidValue(*sorted(unknown), reason=Reason.UNKNOWN_FIELD)
        thresholds = changes.get("thresholds") or {}
        unknown_thresholds = set(thresholds) - set(DEFAULT_THRESHOLDS)
        if unknown_thresholds:
            names = (f"thresholds.{name}" for name in sorted(unknown_thresholds))
            raise InvalidValue(*names, reason=Reason.UNKNOWN_FIELD)
        plain = {name: value for name, value in changes.items() if name != "thresholds"}
        return replace(self, **plain, thresholds={**self.thresholds, **thresholds})

    def changes_from(self, before: ProgrammeSettings) -> dict[str, Any]:
        """What differs from `before`: the changed fields, and the changed thresholds only."""
        found: dict[str, Any] = {
            name: getattr(self, name) for name in SETTING_FIELDS if getattr(self, name) != getattr(before, name)
        }
        thresholds = {k: v for k, v in self.thresholds.items() if before.thresholds.get(k) != v}
        if thresholds:
            found["thresholds"] = thresholds
        return found

    def as_dict(self) -> dict[str, Any]:
        """The settings as the API and the CLI show them."""
        return {
            "time_zone": self.time_zone,
            "default_months": self.default_months,
            "meeting_minutes": {"min": self.meeting_minutes_min, "max": self.meeting_minutes_max},
            "thresholds": dict(self.thresholds),
        }
