"""`mentorat programme create` with settings and `mentorat programme list`, run as processes on both stores."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from bootstrap.settings import Settings
from bootstrap.store_env import SQLITE_FILE
from cli.main import app
from tests.processes import MENTORAT, process_env

CREATE = ["programme", "create", "--name", "Programme", "--coordinator-name", "Coordinator", "--json"]


def mentorat(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    """`mentorat <args>` over the store under test, as the operator runs it."""
    env = process_env(settings, "mentorat-cli")
    return subprocess.run([MENTORAT, *args], env=env, capture_output=True, text=True, timeout=120, check=False)


def listed(settings: Settings) -> list[dict[str, Any]]:
    """`programme list --json`'s programmes."""
    done = mentorat(settings, "programme", "list", "--json")
    assert done.returncode == 0, done.stderr
    programmes: list[dict[str, Any]] = json.loads(done.stdout)["programmes"]
    return programmes


def test_programme_create_takes_the_settings_and_list_shows_them(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    # When the operator creates one programme with the defaults and one with settings of its own
    default = mentorat(settings, *CREATE)
    assert default.returncode == 0, default.stderr
    given = mentorat(
        settings, *CREATE, "--time-zone", "Europe/Paris", "--months", "12", "--meeting-minutes", "45-75",
        "--no-meeting-days", "30", "--cancellations-in-a-row", "3",
    )  # fmt: skip
    assert given.returncode == 0, given.stderr
    # Then both are listed in launch order with their settings
    first, second = listed(settings)
    assert first["id"] == json.loads(default.stdout)["programme_id"]
    assert (first["time_zone"], first["default_months"], first["meeting_minutes"]) == (
        "America/Toronto", 10, {"min": 60, "max": 90},
    )  # fmt: skip
    assert second["id"] == json.loads(given.stdout)["programme_id"] and second["name"] == "Programme"
    assert (second["time_zone"], second["default_months"], second["meeting_minutes"]) == (
        "Europe/Paris", 12, {"min": 45, "max": 75},
    )  # fmt: skip
    assert second["thresholds"]["no_meeting_days"] == 30 and second["thresholds"]["cancellations_in_a_row"] == 3
    assert second["thresholds"]["ends_within_days"] == 30  # the default of what was not given
    # And the plain listing (in this process: one start-up less) is one line each: id, name, zone, months, target
    for key in ("MENTORAT_DATABASE_URL", "MENTORAT_DATABASE_SCHEMA", "MENTORAT_DATA_DIR", "MENTORAT_MASTER_KEY"):
        monkeypatch.delenv(key, raising=False)
    for key, value in process_env(settings, "mentorat-cli").items():
        if key.startswith("MENTORAT_"):
            monkeypatch.setenv(key, value)
    plain = CliRunner().invoke(app, ["programme", "list"])
    assert plain.stdout.splitlines()[1] == f"{second['id']}  Programme  Europe/Paris  12 months  45-75 min"


BAD_OPTIONS = [
    (["--time-zone", "Mars/Olympus"], "--time-zone: not a time zone this system knows"),
    (["--meeting-minutes", "90-60"], "--meeting-minutes: MIN is above MAX"),
    (["--no-meeting-days", "-1"], "--no-meeting-days: at least 0"),
    (["--meeting-minutes", "sixty"], "--meeting-minutes takes MIN-MAX in minutes"),
    (["--meeting-minutes", "0-60"], "--meeting-minutes: minutes are 1 to 480"),
    (["--months", "40"], "--months: months are 1 to 36"),
    (["--low-satisfaction-max", "9"], "--low-satisfaction-max: a score from 0 to 5"),
]
IN_A_PROCESS = 3  # the first ones run as processes (each costs a start-up); the others in this one (CliRunner)


def test_a_bad_setting_is_one_line_exit_2_and_stores_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The options are checked before the store is opened: one store (the embedded one) is enough to show it
    settings = Settings(data_dir=tmp_path / "var", database_url=None)
    monkeypatch.delenv("MENTORAT_DATABASE_URL", raising=False)
    monkeypatch.setenv("MENTORAT_DATA_DIR", str(settings.data_dir))
    for number, (options, message) in enumerate(BAD_OPTIONS):
        if number < IN_A_PROCESS:
            done = mentorat(settings, *CREATE, *options)
            status, out, err = done.returncode, done.stdout, done.stderr
        else:
            ran = CliRunner().invoke(app, [*CREATE, *options])
            status, out, err = ran.exit_code, ran.stdout, ran.stderr
        assert status == 2, (options, out, err)
        assert err.startswith("error: " + message) and len(err.strip().splitlines()) == 1, err
        assert out == ""
    assert not (settings.data_dir / SQLITE_FILE).exists()  # the store was never even opened: nothing stored
