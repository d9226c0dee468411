"""The operator's commands, run as a process would run them, on both stores."""

from __future__ import annotations

import json
from uuid import UUID

import pytest
from typer.testing import CliRunner

from bootstrap.service import build_service
from bootstrap.settings import Settings
from cli.main import app


def settings_env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    """Point the CLI's own Settings() at the store under test."""
    for key in ("MENTORAT_DATABASE_URL", "MENTORAT_DATABASE_SCHEMA", "MENTORAT_DATA_DIR"):
        monkeypatch.delenv(key, raising=False)
    if settings.database_url:
        monkeypatch.setenv("MENTORAT_DATABASE_URL", settings.database_url)
        monkeypatch.setenv("MENTORAT_DATABASE_SCHEMA", settings.database_schema or "")
    else:
        monkeypatch.setenv("MENTORAT_DATA_DIR", str(settings.data_dir))


def test_programme_create_and_invite_print_one_json_object(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    settings_env(settings, monkeypatch)
    runner = CliRunner()
    # When the operator creates a programme
    result = runner.invoke(app, ["programme", "create", "--name", "P", "--coordinator-name", "C", "--json"])
    assert result.exit_code == 0, result.output
    created = json.loads(result.stdout)
    assert set(created) == {"programme_id", "coordinator_id", "coordinator_token"}
    # Then the coordinator's token works
    service = build_service(settings)
    try:
        caller = service.participants.authenticate(created["coordinator_token"])
        assert str(caller.id) == created["coordinator_id"]
        # When the operator issues a new invitation, then its code redeems once
        invited = runner.invoke(app, ["participant", "invite", created["coordinator_id"], "--json"])
        assert invited.exit_code == 0, invited.output
        code = json.loads(invited.stdout)["code"]
        assert len(code) >= 22  # at least 128 bits, URL-safe base64
        redeemed = service.participants.redeem(code)
        assert redeemed.data["participant_id"] == created["coordinator_id"]
    finally:
        service.close()


UNKNOWN = "00000000-0000-0000-0000-000000000000"


@pytest.mark.parametrize(
    ("command", "line"),
    [
        (["participant", "invite", UNKNOWN, "--json"], f"error: no participant with id {UNKNOWN}"),
        (["participant", "erase", UNKNOWN, "--yes"], f"error: no participant with id {UNKNOWN}"),
        (["participant", "invite", "nope"], "error: no participant with id 'nope'"),
        (
            ["participant", "register", "--programme", UNKNOWN, "--role", "mentor", "--name", "N", "--email", "e@x"],
            f"error: no programme with id {UNKNOWN}",
        ),
        (["audit", "export", "--mentorship", UNKNOWN], f"error: no mentorship with id {UNKNOWN}"),
        (["audit", "export", "--mentorship", "12"], "error: no mentorship with id '12'"),
    ],
)
def test_an_unknown_id_is_named_by_its_kind_in_one_line(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, command: list[str], line: str
) -> None:
    settings_env(settings, monkeypatch)
    result = CliRunner().invoke(app, command)
    assert (result.exit_code, result.stderr, result.stdout) == (1, line + "\n", "")


def test_erase_records_the_erasure_and_the_person_loses_access(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from application.errors import Unauthenticated
    from domain.participant import ERASED_NAME, Participant

    settings_env(settings, monkeypatch)
    runner = CliRunner()
    created = json.loads(
        runner.invoke(app, ["programme", "create", "--name", "P", "--coordinator-name", "C", "--json"]).stdout
    )
    # When the operator erases the coordinator
    result = runner.invoke(app, ["participant", "erase", created["coordinator_id"], "--yes"])
    assert result.exit_code == 0, result.output
    service = build_service(settings)
    try:
        # Then the erasure is an event, the state forgets the name, and the token stops working
        participant = service.store.load(Participant, UUID(created["coordinator_id"]))
        assert participant.erased and participant.name == ERASED_NAME and participant.email is None
        with pytest.raises(Unauthenticated):
            service.participants.authenticate(created["coordinator_token"])
        # And erasing twice records nothing more and says so
        position = service.store.position()
        again = runner.invoke(app, ["participant", "erase", created["coordinator_id"], "--yes"])
        assert (again.exit_code, again.output.strip()) == (0, "already erased; data key destroyed")
        assert service.store.position() == position
    finally:
        service.close()
