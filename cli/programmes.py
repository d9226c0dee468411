"""`mentorat programme create|list`: a programme's settings given at launch, checked before anything is stored."""

from __future__ import annotations

import json
import re
from typing import Annotated, Any

import typer

from bootstrap.service import build_service
from bootstrap.settings import Settings
from domain.errors import DomainError, InvalidValue
from domain.programme_settings import (
    DEFAULT_MEETING_MINUTES,
    DEFAULT_MONTHS,
    DEFAULT_THRESHOLDS,
    DEFAULT_TIME_ZONE,
    ProgrammeSettings,
)

programme = typer.Typer(help="Programmes: launch one with its settings, list them.", no_args_is_help=True)
JSON = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]
MINUTES = re.compile(r"([0-9]{1,4})-([0-9]{1,4})")
USAGE = 2  # exit status of a refused option: nothing was stored
# The option that sets each field the domain may refuse, so that an error names what the operator typed
OPTIONS = {
    "time_zone": "--time-zone",
    "default_months": "--months",
    "meeting_minutes": "--meeting-minutes",
    "meeting_minutes.min": "--meeting-minutes",
    "meeting_minutes.max": "--meeting-minutes",
    **{f"thresholds.{name}": "--" + name.replace("_", "-") for name in DEFAULT_THRESHOLDS},
}
WHY = {
    "time_zone": "not a time zone this system knows (an IANA name such as America/Toronto or Europe/Paris)",
    "default_months": "months are 1 to 36",
    "meeting_minutes": "MIN is above MAX",
    "meeting_minutes.min": "minutes are 1 to 480",
    "meeting_minutes.max": "minutes are 1 to 480",
    "thresholds.low_satisfaction_max": "a score from 0 to 5",
    "thresholds.cancellations_in_a_row": "0 to 100 (0 turns the reason off)",
}


def refuse(message: str) -> None:
    """One line on stderr and exit 2: a usage error, nothing stored."""
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(USAGE)


def meeting_minutes(text: str) -> tuple[int, int]:
    """`MIN-MAX` in minutes (`60-90`)."""
    matched = MINUTES.fullmatch(text.strip())
    if matched is None:
        refuse("--meeting-minutes takes MIN-MAX in minutes, such as 60-90")
        raise AssertionError  # unreachable: refuse exits
    return int(matched[1]), int(matched[2])


def checked_settings(time_zone: str, months: int, minutes: str, thresholds: dict[str, int | None]) -> ProgrammeSettings:
    """The settings the options give, checked by the domain's own rules (the API's PATCH applies the same)."""
    low, high = meeting_minutes(minutes)
    given = {name: value for name, value in thresholds.items() if value is not None}
    try:
        return ProgrammeSettings(time_zone, months, low, high).merged({"thresholds": given}).checked()
    except InvalidValue as error:
        field = error.fields[0]
        refuse(f"{OPTIONS.get(field, field)}: {WHY.get(field, 'at least 0, at most 3650 days')}")
        raise AssertionError from None  # unreachable: refuse exits


def threshold_option(name: str) -> Any:
    """The option of one worklist threshold."""
    return typer.Option(
        "--" + name.replace("_", "-"), help=f"Worklist threshold {name} (default {DEFAULT_THRESHOLDS[name]})."
    )


@programme.command("create")
def create_programme(
    name: Annotated[str, typer.Option(help="The programme's name.")],
    coordinator_name: Annotated[str, typer.Option(help="The first coordinator's name.")],
    coordinator_email: Annotated[str | None, typer.Option(help="The coordinator's e-mail.")] = None,
    time_zone: Annotated[
        str, typer.Option(help="The IANA time zone its dates are computed in (such as Europe/Paris).")
    ] = DEFAULT_TIME_ZONE,
    months: Annotated[int, typer.Option(help="A convention's length when its draft gives none (1-36).")] = (
        DEFAULT_MONTHS
    ),
    minutes: Annotated[
        str, typer.Option("--meeting-minutes", help="The meeting length target, MIN-MAX minutes.")
    ] = "{}-{}".format(*DEFAULT_MEETING_MINUTES),
    no_meeting_days: Annotated[int | None, threshold_option("no_meeting_days")] = None,
    ends_within_days: Annotated[int | None, threshold_option("ends_within_days")] = None,
    awaiting_signatures_days: Annotated[int | None, threshold_option("awaiting_signatures_days")] = None,
    outcome_missing_days: Annotated[int | None, threshold_option("outcome_missing_days")] = None,
    low_satisfaction_max: Annotated[int | None, threshold_option("low_satisfaction_max")] = None,
    cancellations_in_a_row: Annotated[int | None, threshold_option("cancellations_in_a_row")] = None,
    as_json: JSON = False,
) -> None:
    """Launch a programme with its settings and give its coordinator a token (a coordinator changes them later)."""
    thresholds = {
        "no_meeting_days": no_meeting_days,
        "ends_within_days": ends_within_days,
        "awaiting_signatures_days": awaiting_signatures_days,
        "outcome_missing_days": outcome_missing_days,
        "low_satisfaction_max": low_satisfaction_max,
        "cancellations_in_a_row": cancellations_in_a_row,
    }
    settings = checked_settings(time_zone, months, minutes, thresholds)  # before the store is even opened
    service = build_service(Settings())
    try:
        created = service.participants.create_programme(name, coordinator_name, coordinator_email, settings=settings)
    except DomainError as error:
        typer.echo(f"error: {error.slug}", err=True)
        raise typer.Exit(1) from None
    finally:
        service.close()
    if as_json:
        typer.echo(json.dumps(created))
    else:
        typer.echo(f"programme {created['programme_id']}\ncoordinator {created['coordinator_id']}")
        typer.echo(f"coordinator token (shown once): {created['coordinator_token']}")


@programme.command("list")
def list_programmes(as_json: JSON = False) -> None:
    """Every programme: id, name, time zone, default months and meeting target, in launch order."""
    service = build_service(Settings(), with_keys=False)  # a programme's name and settings are in clear
    try:
        found = service.programmes.list_programmes()
    finally:
        service.close()
    items = [{"id": str(p.id), "name": p.name, **p.settings.as_dict()} for p in found]
    if as_json:
        typer.echo(json.dumps({"programmes": items}))
        return
    for item in items:
        target = item["meeting_minutes"]
        typer.echo(
            f"{item['id']}  {item['name']}  {item['time_zone']}  {item['default_months']} months  "
            f"{target['min']}-{target['max']} min"
        )
