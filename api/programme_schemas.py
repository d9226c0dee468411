"""The bodies of `GET` and `PATCH /v1/programmes/{programme_id}`: a programme's settings (no name, no content)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, Field, field_validator

from api.schemas import Command

NEVER_NULL = "a setting cannot be removed: null is refused"


def _without_default(schema: dict[str, Any]) -> None:
    """Document a member a merge patch may leave out: no `null` default, and no `null` among its types.

    (`SkipJsonSchema[None]` would do the second, but makes a union whose errors name a `none` branch too.)
    """
    schema.pop("default", None)
    kinds = [kind for kind in schema.pop("anyOf", []) if kind != {"type": "null"}]
    if len(kinds) == 1:
        schema.update(kinds[0])
    elif kinds:
        schema["anyOf"] = kinds


def omissible(description: str, **constraints: Any) -> Any:
    """A member of a merge patch: optional, never null, no default shown."""
    return Field(default=None, json_schema_extra=_without_default, description=description, **constraints)


class PatchPart(Command):
    """A part of a merge patch: a field left out keeps its value; an explicit null is refused (nothing to remove)."""

    @field_validator("*", mode="before")
    @classmethod
    def not_null(cls, value: Any) -> Any:
        """Refuse an explicit null (RFC 7386 would remove the member; a setting cannot be removed)."""
        if value is None:
            raise ValueError(NEVER_NULL)
        return value


class MeetingMinutesPatch(PatchPart):
    """A new meeting length target (either bound, or both)."""

    min: Annotated[int | None, omissible("Shortest meeting within target, in minutes (1-480).")]
    max: Annotated[int | None, omissible("Longest meeting within target, in minutes (1-480).")]


class ThresholdsPatch(PatchPart):
    """New worklist thresholds (any of them); the reasons' slugs stay the same whatever they are."""

    no_meeting_days: Annotated[int | None, omissible("`no_meeting_45_days`: days without a held meeting (0-3650).")]
    ends_within_days: Annotated[int | None, omissible("`ends_within_30_days`: days before the planned end (0-3650).")]
    awaiting_signatures_days: Annotated[
        int | None, omissible("`awaiting_signatures_14_days`: days a draft awaits its signatures (0-3650).")
    ]
    outcome_missing_days: Annotated[
        int | None, omissible("`meeting_outcome_missing`: days past a meeting without its outcome (0-3650).")
    ]
    low_satisfaction_max: Annotated[int | None, omissible("`low_satisfaction`: the highest low score (0-5).")]
    cancellations_in_a_row: Annotated[
        int | None, omissible("`two_cancellations_in_a_row`: cancellations in a row (0 turns it off; at most 100).")
    ]


class SettingsPatch(PatchPart):
    """A JSON merge patch (RFC 7386) of the settings: the fields given change, the others stay; unknown fields: 422."""

    time_zone: Annotated[
        str | None, omissible("An IANA time zone (`America/Toronto`): the dates of later facts.", max_length=64)
    ]
    default_months: Annotated[int | None, omissible("A new convention's length when its draft gives none (1-36).")]
    meeting_minutes: Annotated[MeetingMinutesPatch | None, omissible("The meeting length target of later meetings.")]
    thresholds: Annotated[ThresholdsPatch | None, omissible("The worklist's thresholds, applied when it is read.")]

    def changes(self) -> dict[str, Any]:
        """The changes as the domain takes them (`meeting_minutes_min`, `thresholds` by name)."""
        found: dict[str, Any] = {}
        if self.time_zone is not None:
            found["time_zone"] = self.time_zone
        if self.default_months is not None:
            found["default_months"] = self.default_months
        if self.meeting_minutes is not None:
            for bound in ("min", "max"):
                if getattr(self.meeting_minutes, bound) is not None:
                    found[f"meeting_minutes_{bound}"] = getattr(self.meeting_minutes, bound)
        if self.thresholds is not None:
            found["thresholds"] = self.thresholds.model_dump(exclude_none=True)
        return found


class MeetingMinutes(BaseModel):
    """A meeting length target, in minutes: a held meeting within [min, max] counts as within target."""

    min: int = Field(description="Shortest meeting within target, in minutes.")
    max: int = Field(description="Longest meeting within target, in minutes.")


class Thresholds(BaseModel):
    """The worklist's thresholds (MISSION section 4), applied when the worklist is read."""

    no_meeting_days: int = Field(description="`no_meeting_45_days`: more than this many days without a meeting.")
    ends_within_days: int = Field(description="`ends_within_30_days`: the planned end within this many days.")
    awaiting_signatures_days: int = Field(description="`awaiting_signatures_14_days`: a draft older than this.")
    outcome_missing_days: int = Field(description="`meeting_outcome_missing`: a meeting this many days past.")
    low_satisfaction_max: int = Field(description="`low_satisfaction`: a latest score of at most this.")
    cancellations_in_a_row: int = Field(description="`two_cancellations_in_a_row`: this many in a row (0: off).")


class ProgrammeOut(BaseModel):
    """A programme's settings in force, and its version (the `ETag`; send it back as `If-Match`)."""

    id: str = Field(description="The programme's id.")
    time_zone: str = Field(description="The IANA time zone the programme's dates are computed in.")
    default_months: int = Field(description="A new convention's length in months when its draft gives none.")
    meeting_minutes: MeetingMinutes = Field(description="The meeting length target.")
    thresholds: Thresholds = Field(description="The worklist's thresholds.")
    version: int = Field(description="The programme's version: its number of events.")


class ProgrammeChanged(ProgrammeOut):
    """The settings after the change, the programme's version and the store's position."""

    position: int = Field(description="The event store's position after the command (for `?after`).")
