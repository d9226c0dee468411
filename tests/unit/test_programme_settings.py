"""A programme's settings: launched with the defaults or given ones, changed by a coordinator as one event."""

from __future__ import annotations

from uuid import uuid4

import pytest

from domain import errors
from domain.programme import Programme
from domain.programme_settings import DEFAULT_THRESHOLDS, ProgrammeSettings
from domain.values import Actor
from tests.support import T0

OPERATOR = Actor.operator()
COORDINATOR = Actor(uuid4(), "coordinator")


def launched(**settings: object) -> Programme:
    """A programme launched with these settings (the defaults for the others)."""
    return Programme.launch(uuid4(), "Programme", OPERATOR, T0, settings=ProgrammeSettings(**settings))  # type: ignore[arg-type]


def test_a_programme_launches_with_the_contract_defaults() -> None:
    programme = Programme.launch(uuid4(), "Programme", OPERATOR, T0)
    assert programme.settings == ProgrammeSettings("America/Toronto", 10, 60, 90, DEFAULT_THRESHOLDS)


@pytest.mark.parametrize(
    ("given", "field"),
    [
        ({"time_zone": "Mars/Olympus"}, "time_zone"),
        ({"time_zone": "../../etc/passwd"}, "time_zone"),
        ({"default_months": 0}, "default_months"),
        ({"meeting_minutes_min": 0}, "meeting_minutes.min"),
        ({"meeting_minutes_max": 481}, "meeting_minutes.max"),
        ({"meeting_minutes_min": 90, "meeting_minutes_max": 60}, "meeting_minutes"),
        ({"thresholds": {**DEFAULT_THRESHOLDS, "no_meeting_days": -1}}, "thresholds.no_meeting_days"),
        ({"thresholds": {**DEFAULT_THRESHOLDS, "low_satisfaction_max": 6}}, "thresholds.low_satisfaction_max"),
    ],
)
def test_a_bad_setting_is_refused_by_name(given: dict[str, object], field: str) -> None:
    with pytest.raises(errors.InvalidValue) as refused:
        launched(**given)
    assert refused.value.fields == (field,)


def test_a_change_records_only_the_changed_fields() -> None:
    programme = launched()
    # When a coordinator changes the zone, the target's upper bound and one threshold (another given unchanged)
    changes = {"time_zone": "Europe/Paris", "meeting_minutes_max": 120, "default_months": 10}
    assert programme.change_settings({**changes, "thresholds": {"no_meeting_days": 30, "ends_within_days": 30}},
                                     COORDINATOR, T0)  # fmt: skip
    event = programme.collect_events()[-1]
    # Then one event holds the new values of what changed, null for the rest, and the changed threshold only
    assert isinstance(event, Programme.SettingsChanged)
    assert (event.time_zone, event.default_months, event.meeting_minutes_min, event.meeting_minutes_max) == (
        "Europe/Paris", None, None, 120,
    )  # fmt: skip
    assert event.thresholds == {"no_meeting_days": 30}
    assert programme.settings.thresholds == {**DEFAULT_THRESHOLDS, "no_meeting_days": 30}
    assert (programme.time_zone, programme.meeting_minutes_max, programme.version) == ("Europe/Paris", 120, 2)


def test_a_change_to_nothing_records_nothing() -> None:
    programme = launched()
    assert not programme.change_settings({"time_zone": "America/Toronto", "thresholds": {}}, COORDINATOR, T0)
    assert programme.version == 1


def test_a_change_is_checked_against_the_settings_it_merges_with() -> None:
    programme = launched(meeting_minutes_min=60, meeting_minutes_max=90)
    with pytest.raises(errors.InvalidValue):
        programme.change_settings({"meeting_minutes_min": 100}, COORDINATOR, T0)  # above the max in force
    with pytest.raises(errors.InvalidValue):
        programme.change_settings({"thresholds": {"unknown": 1}}, COORDINATOR, T0)
    assert programme.version == 1


@pytest.mark.parametrize("role", ["mentor", "mentee", "auditor"])
def test_only_a_coordinator_changes_settings(role: str) -> None:
    with pytest.raises(errors.Forbidden):
        launched().change_settings({"default_months": 12}, Actor(uuid4(), role), T0)
