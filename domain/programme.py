"""The programme: its name, time zone, targets and worklist thresholds."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from domain.errors import InvalidValue, Reason
from domain.events import MentoratAggregate, MentoratCreated
from domain.values import MAX_MONTHS, MIN_MONTHS, Actor, check_range, check_text

DEFAULT_THRESHOLDS: dict[str, int] = {
    "no_meeting_days": 45,
    "ends_within_days": 30,
    "awaiting_signatures_days": 14,
    "outcome_missing_days": 2,
    "low_satisfaction_max": 2,
    "cancellations_in_a_row": 2,
}


class Programme(MentoratAggregate):
    """A mentoring programme."""

    class ProgrammeLaunched(MentoratCreated):
        """A programme was launched."""

        name: str
        time_zone: str
        default_months: int
        meeting_minutes_min: int
        meeting_minutes_max: int
        thresholds: dict[str, int]

    def __init__(
        self,
        name: str,
        time_zone: str,
        default_months: int,
        meeting_minutes_min: int,
        meeting_minutes_max: int,
        thresholds: dict[str, int],
        **_: Any,
    ) -> None:
        self.name = name
        self.time_zone = time_zone
        self.default_months = default_months
        self.meeting_minutes_min = meeting_minutes_min
        self.meeting_minutes_max = meeting_minutes_max
        self.thresholds = dict(thresholds)

    @classmethod
    def launch(
        cls,
        programme_id: UUID,
        name: str,
        actor: Actor,
        now: datetime,
        time_zone: str = "America/Toronto",
        default_months: int = 10,
        thresholds: dict[str, int] | None = None,
    ) -> Programme:
        """Launch a programme (operator command)."""
        check_text("name", name, required=True)
        check_range("default_months", default_months, MIN_MONTHS, MAX_MONTHS)
        try:
            ZoneInfo(time_zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise InvalidValue("time_zone", reason=Reason.UNKNOWN_TIME_ZONE) from None
        merged = {**DEFAULT_THRESHOLDS, **(thresholds or {})}
        if set(merged) != set(DEFAULT_THRESHOLDS):
            raise InvalidValue("thresholds", reason=Reason.UNKNOWN_FIELD)
        if any(v < 0 for v in merged.values()):
            raise InvalidValue("thresholds", reason=Reason.OUT_OF_RANGE)
        return cls._create(
            cls.ProgrammeLaunched,
            id=programme_id,
            name=name,
            time_zone=time_zone,
            default_months=default_months,
            meeting_minutes_min=60,
            meeting_minutes_max=90,
            thresholds=merged,
            actor_id=actor.id,
            actor_role=actor.role,
            occurred_at=now,
            timestamp=now,
        )
