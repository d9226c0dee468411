"""The start-up line and the checkpoints-off line, from settings alone (the processes: test_operator_cli.py)."""

from __future__ import annotations

from pathlib import Path

from pydantic import SecretStr

from bootstrap.describe import checkpoints_off, serve_duties, startup_line
from bootstrap.settings import Settings

PG = "postgresql://alice:S3cret-MARKER@db.example:6432/prod"


def test_the_store_is_named_without_its_password_and_the_workers_counted() -> None:
    settings = Settings(database_url=PG, database_schema="mentorat", master_key=SecretStr("x"), data_dir=Path("d"))
    line = startup_line(settings, "serve", serve_duties(settings, 4))
    assert "S3cret-MARKER" not in line and "alice" not in line
    assert "store PostgreSQL db.example:6432/prod schema mentorat;" in line
    assert "keys: master key from MENTORAT_MASTER_KEY, data keys in schema mentorat_keys;" in line
    assert "runs the API (4 workers) and, in one worker at a time, projectors, outbox delivery" in line


def test_without_projections_serve_runs_the_api_and_the_outbox() -> None:
    settings = Settings(database_url=None, data_dir=Path("d"), projections=False)
    assert serve_duties(settings, 1) == ["the API (1 worker)", "outbox delivery"]


def test_periodic_checkpoints_are_off_and_say_why() -> None:
    assert checkpoints_off(Settings(database_url=None, data_dir=Path("d"))) is None
    assert "MENTORAT_CHECKPOINT_MINUTES=0" in str(checkpoints_off(Settings(database_url=None, checkpoint_minutes=0)))
    postgres = Settings(database_url=PG)
    assert "set MENTORAT_CHECKPOINT_DIR" in str(checkpoints_off(postgres))
    with_dir = postgres.model_copy(update={"checkpoint_dir": Path("c")})
    assert "set MENTORAT_AUDIT_KEY_FILE" in str(checkpoints_off(with_dir))
    assert checkpoints_off(with_dir.model_copy(update={"audit_key_file": Path("k.pem")})) is None
