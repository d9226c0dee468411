"""The programme: its name and its settings (time zone, targets, worklist thresholds), which a coordinator changes."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from uuid import UUID

from domain import errors
from domain.events import MentoratAggregate, MentoratCreated, MentoratEvent
from domain.permissions import Action, may
from domain.programme_settings import DEFAULT_THRESHOLDS, DEFAULT_TIME_ZONE, ProgrammeSettings
from domain.values import Actor, check_text

__all__ = ["DEFAULT_THRESHOLDS", "Programme"]


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

    class SettingsChanged(MentoratEvent):
        """A coordinator changed settings: each field is the new value, or null when it did not change.

        `thresholds` holds the changed thresholds only. What is dated or classified from then on uses the new
        settings; what was folded before keeps its dates and classification.
        """

        time_zone: str | None
        default_months: int | None
        meeting_minutes_min: int | None
        meeting_minutes_max: int | None
        thresholds: dict[str, int]

        def apply(self, aggregate: Any) -> None:
            """Take the new values."""
            for name in ("time_zone", "default_months", "meeting_minutes_min", "meeting_minutes_max"):
                if getattr(self, name) is not None:
                    setattr(aggregate, name, getattr(self, name))
            aggregate.thresholds = {**aggregate.thresholds, **self.thresholds}

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

    @property
    def settings(self) -> ProgrammeSettings:
        """The settings in force."""
        return ProgrammeSettings(
            self.time_zone, self.default_months, self.meeting_minutes_min, self.meeting_minutes_max, self.thresholds
        )

    @classmethod
    def launch(
        cls,
        programme_id: UUID,
        name: str,
        actor: Actor,
        now: datetime,
        time_zone: str = DEFAULT_TIME_ZONE,
        default_months: int = 10,
        thresholds: dict[str, int] | None = None,
        settings: ProgrammeSettings | None = None,
    ) -> Programme:
        """Launch a programme (operator command), with the contract's default settings unless given."""
        check_text("name", name, required=True)
        if settings is None:
            settings = ProgrammeSettings(time_zone, default_months).merged({"thresholds": thresholds or {}})
        settings.checked()
        return cls._create(
            cls.ProgrammeLaunched,
            id=programme_id,
            name=name,
            time_zone=settings.time_zone,
            default_months=settings.default_months,
            meeting_minutes_min=settings.meeting_minutes_min,
            meeting_minutes_max=settings.meeting_minutes_max,
            thresholds=dict(settings.thresholds),
            actor_id=actor.id,
            actor_role=actor.role,
            occurred_at=now,
            timestamp=now,
        )

    def change_settings(self, changes: Mapping[str, Any], actor: Actor, now: datetime) -> bool:
        """A coordinator changes some settings; answers whether anything changed (nothing: no event)."""
        if not may(actor.role, Action.CHANGE_PROGRAMME_SETTINGS):
            raise errors.Forbidden
        before = self.settings
        changed = before.merged(changes).checked().changes_from(before)
        if not changed:
            return False
        self._happen(
            self.SettingsChanged,
            actor.id,
            actor.role,
            now,
            time_zone=changed.get("time_zone"),
            default_months=changed.get("default_months"),
            meeting_minutes_min=changed.get("meeting_minutes_min"),
            meeting_minutes_max=changed.get("meeting_minutes_max"),
            thresholds=changed.get("thresholds", {}),
        )
        return True
