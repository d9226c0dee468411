"""Content and personal data at rest (MISSION section 3), on both stores.

A unique marker starts every confidential and personal field of a whole history. Neither a pg_dump of the test
schema and its key schema nor any embedded file (database, WAL, key file and its WAL) holds one in clear, while
the journal and the participants list read them back. The read side rebuilds with the key store gone; the master
key is generated once on the embedded store, required on PostgreSQL, and a wrong one is refused at start-up.
"""

from __future__ import annotations

import stat
from pathlib import Path
from uuid import UUID, uuid4

import psycopg
import pytest
from pydantic import SecretStr
from typer.testing import CliRunner

from application.mentorat import KeysUnavailable
from application.service import MentoratService
from bootstrap.read_side import ReadSide
from bootstrap.service import build_service
from bootstrap.settings import Settings
from bootstrap.store_env import KEYS_FILE, MASTER_KEY_FILE, ConfigurationError, key_schema
from cli import main as cli
from domain.participant import Participant
from infrastructure.data_keys import new_master_key
from infrastructure.field_mapper import Sealed, UnsealedField
from tests.integration.confidential import Marks, after_erasure, before_erasure, corpus
from tests.integration.test_cli import settings_env
from tests.integration.test_erasure import full_dump, texts
from tests.integration.test_projections import dump
from tests.support import FakeClock, ports


def test_no_confidential_or_personal_marker_is_stored_in_clear(
    settings: Settings, service: MentoratService, clock: FakeClock
) -> None:
    # Given a whole history with a marker in every content field, name and e-mail
    marks = Marks()
    cast = before_erasure(service, clock, marks)
    after_erasure(service, clock, cast, marks)
    # Then the write side reads every one of them back
    journal = texts(service.journal.read(cast.mentorship_id))
    assert len([t for t in journal if t and t.startswith(marks.run)]) == 13
    names = {service.participants.get(c.id).email for c in (cast.coordinator, cast.mentor, cast.mentee)}
    assert names == {marks.email(who) for who in ("coordinator", "mentor", "mentee")}
    # And no dump of the store holds one in clear, while the history itself is there, sealed
    stored = corpus(full_dump(settings))
    assert b"ParticipantRegistered" in stored and b"RelationshipEnded" in stored
    assert stored.count(b'"_type_":"sealed"') >= 19  # 13 texts, 3 names, 3 e-mails (and copies in raw pages)
    assert marks.run.encode() not in stored
    assert marks.run.encode("utf-16-le") not in stored


def test_the_read_side_rebuilds_without_the_key_store(
    settings: Settings, service: MentoratService, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    marks = Marks()
    cast = before_erasure(service, clock, marks)
    # Given the read models, kept up to date by the API's read side (which decodes without keys)
    read_side = ReadSide(service.store, settings)
    try:
        assert all(follower.source.mapper.keys is None for follower in read_side.followers.values())  # type: ignore[attr-defined]
        read_side.catch_up()
        maintained = dump(read_side)
    finally:
        read_side.close()
    service.close()
    # When the key store and the master key are gone
    if settings.uses_postgres:
        assert settings.database_url
        with psycopg.connect(settings.database_url, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {key_schema(settings)} CASCADE")
    else:
        for path in settings.data_dir.glob(f"{KEYS_FILE}*"):
            path.unlink()
    settings_env(settings, monkeypatch)
    monkeypatch.delenv("MENTORAT_MASTER_KEY")
    # Then `mentorat projections rebuild` replays the whole history into the same read models
    rebuilt = CliRunner().invoke(cli.app, ["projections", "rebuild"])
    assert rebuilt.exit_code == 0, rebuilt.output
    keyless = build_service(settings.model_copy(update={"master_key": None}), with_keys=False)
    read_side = ReadSide(keyless.store, settings)
    try:
        assert dump(read_side) == maintained
        # And a store without keys reads sealed values, and refuses to store a text
        assert isinstance(keyless.participants.get(cast.mentee.id).name, Sealed)
        with pytest.raises(UnsealedField):
            keyless.mentorships.raise_dispute(cast.mentor, cast.mentorship_id, marks.text("mentor", "refused"))
    finally:
        read_side.close()
        keyless.close()


def test_the_embedded_store_generates_its_master_key_once_owner_only(
    tmp_path: Path, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MENTORAT_MASTER_KEY")
    settings = Settings(data_dir=tmp_path / "var", database_url=None)
    assert settings.master_key is None
    service = build_service(settings, ports(clock))
    created = service.participants.create_programme("P", "Coordinator Name", None)
    service.close()
    master = (tmp_path / "var" / MASTER_KEY_FILE).read_text()
    for name in (MASTER_KEY_FILE, KEYS_FILE):
        assert stat.S_IMODE((tmp_path / "var" / name).stat().st_mode) == 0o600, name
    # When the store starts again, the same master key opens the same data keys
    service = build_service(settings, ports(clock))
    try:
        coordinator = service.participants.get(UUID(created["coordinator_id"]))
        assert isinstance(coordinator, Participant) and coordinator.name == "Coordinator Name"
    finally:
        service.close()
    assert (tmp_path / "var" / MASTER_KEY_FILE).read_text() == master
    # And another master key, or a master key others can read, is refused at start-up
    with pytest.raises(ConfigurationError, match="does not match"):
        build_service(settings.model_copy(update={"master_key": SecretStr(new_master_key())}), ports(clock))
    (tmp_path / "var" / MASTER_KEY_FILE).chmod(0o640)
    with pytest.raises(ConfigurationError, match="readable by others"):
        build_service(settings, ports(clock))


@pytest.mark.postgres
def test_postgres_needs_a_master_key(
    pg_schema: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.conftest import postgres_url

    monkeypatch.delenv("MENTORAT_MASTER_KEY")
    settings = Settings(database_url=postgres_url(), database_schema=pg_schema, pool_size=2, max_overflow=2)
    with pytest.raises(ConfigurationError, match="MENTORAT_MASTER_KEY is required"):
        build_service(settings)
    with pytest.raises(ConfigurationError, match="not valid base64"):
        build_service(settings.model_copy(update={"master_key": SecretStr("not a key!")}))
    # The command line says so in one line, and exits 2
    settings_env(settings, monkeypatch)
    erase = ["mentorat", "participant", "erase", "00000000-0000-0000-0000-000000000000", "--yes"]
    monkeypatch.setattr("sys.argv", erase)
    with pytest.raises(SystemExit) as exited:
        cli.main()
    assert exited.value.code == 2
    assert (
        capsys.readouterr().err
        == "error: MENTORAT_MASTER_KEY is required with PostgreSQL (base64 of 32 random bytes)\n"
    )


def test_a_store_built_without_keys_refuses_to_forget_a_person(tmp_path: Path) -> None:
    # Given the keyless store the read side uses, When asked to destroy a person's key, Then it refuses aloud
    service = build_service(Settings(data_dir=tmp_path / "var", database_url=None), with_keys=False)
    try:
        with pytest.raises(KeysUnavailable):
            service.store.forget(uuid4())
    finally:
        service.close()
