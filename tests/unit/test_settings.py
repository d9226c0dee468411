"""Settings become the library's environment: SQLite by default, PostgreSQL from a URL."""

from __future__ import annotations

from pathlib import Path

import pytest

from bootstrap.settings import Settings
from bootstrap.store_env import ConfigurationError, postgres_env, store_env


def test_the_embedded_store_is_the_default(tmp_path: Path) -> None:
    env = store_env(Settings(data_dir=tmp_path / "data", database_url=None))
    assert env["PERSISTENCE_MODULE"] == "eventsourcing.sqlite"
    assert env["APPLICATION_RECORDER_TOPIC"] == "infrastructure.recorders:SQLiteIdempotentRecorder"
    assert env["SQLITE_DBNAME"] == str(tmp_path / "data" / "mentorat.sqlite3")
    assert (tmp_path / "data").is_dir()


def test_a_url_is_split_into_the_library_keys_with_pool_sizes() -> None:
    settings = Settings(pool_size=3, max_overflow=2, database_schema="mentorat")
    env = postgres_env("postgresql://app:p%40ss@db.internal:6543/prod", settings, libpq_env={})
    assert env == {
        "PERSISTENCE_MODULE": "infrastructure.postgres_store:BoundedPostgresFactory",
        "APPLICATION_RECORDER_TOPIC": "infrastructure.recorders:PostgresIdempotentRecorder",
        "POSTGRES_DBNAME": "prod",
        "POSTGRES_HOST": "db.internal",
        "POSTGRES_PORT": "6543",
        "POSTGRES_USER": "app",
        "POSTGRES_PASSWORD": "p@ss",
        "POSTGRES_POOL_SIZE": "3",
        "POSTGRES_MAX_OVERFLOW": "2",
        "POSTGRES_SCHEMA": "mentorat",
        "POSTGRES_CONNECT_TIMEOUT": "10",  # the library's name for how long a call waits for a pooled connection
        "POSTGRES_LIBPQ_CONNECT_TIMEOUT": "3",
        "POSTGRES_LIBPQ_OPTIONS": "-c statement_timeout=30000",
    }


def test_the_timeouts_are_ours_and_the_statement_timeout_keeps_pgoptions() -> None:
    settings = Settings(database_connect_timeout_seconds=2, pool_timeout_seconds=4, statement_timeout_seconds=1.5)
    env = postgres_env("postgresql://u@h/db", settings, libpq_env={"PGOPTIONS": "-c synchronous_commit=off"})
    assert env["POSTGRES_CONNECT_TIMEOUT"] == "4"
    assert env["POSTGRES_LIBPQ_CONNECT_TIMEOUT"] == "2"
    assert env["POSTGRES_LIBPQ_OPTIONS"] == "-c synchronous_commit=off -c statement_timeout=1500"
    # No statement timeout: libpq's own PGOPTIONS apply as they are
    assert "POSTGRES_LIBPQ_OPTIONS" not in postgres_env("postgresql://u@h/db", Settings(statement_timeout_seconds=0))


def test_what_the_url_leaves_out_comes_from_libpq_variables_and_an_empty_password_is_allowed() -> None:
    libpq = {"PGHOST": "/run/postgresql", "PGPORT": "5433", "PGUSER": "ops", "PGPASSWORD": "from-env"}
    env = postgres_env("postgresql:///mentorat", Settings(), libpq_env=libpq)
    assert (env["POSTGRES_HOST"], env["POSTGRES_PORT"], env["POSTGRES_USER"]) == ("/run/postgresql", "5433", "ops")
    assert env["POSTGRES_PASSWORD"] == "from-env"
    bare = postgres_env("postgresql://postgres@127.0.0.1/test", Settings(), libpq_env={})
    assert bare["POSTGRES_PASSWORD"] == ""


@pytest.mark.parametrize(
    "url",
    [
        "mysql://u:s3cretpw@h/db",
        "postgresql://u:s3cretpw@h",
        "postgresql://u:s3cretpw@h/db?sslmode=require",
        "postgresql://u:s3cretpw@h:99999/db",
    ],
)
def test_a_wrong_url_is_refused_without_repeating_it(url: str) -> None:
    with pytest.raises(ConfigurationError) as refused:
        postgres_env(url, Settings(), libpq_env={})
    assert "s3cretpw" not in str(refused.value)


def test_the_process_environment_cannot_switch_off_the_recorders_hooks_or_the_sealing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The library merges os.environ under our keys: these must stay ours whatever the environment says."""
    monkeypatch.setenv("POSTGRES_ENABLE_DB_FUNCTIONS", "y")
    monkeypatch.setenv("IS_SNAPSHOTTING_ENABLED", "y")
    monkeypatch.setenv("MAPPER_TOPIC", "eventsourcing.persistence:Mapper")
    for settings in (Settings(data_dir=tmp_path, database_url=None), Settings(database_url="postgresql://u@h/db")):
        env = store_env(settings)
        assert env["POSTGRES_ENABLE_DB_FUNCTIONS"] == "no"
        assert env["IS_SNAPSHOTTING_ENABLED"] == "no"
        assert env["MAPPER_TOPIC"] == "infrastructure.field_mapper:FieldMapper"


def test_observability_settings_default_to_text_logs_metrics_on_and_a_batch_of_lag(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("MENTORAT_LOG_FORMAT", "MENTORAT_METRICS", "MENTORAT_READY_MAX_LAG_EVENTS"):
        monkeypatch.delenv(name, raising=False)
    defaults = Settings()
    assert (defaults.log_format, defaults.metrics, defaults.ready_max_lag_events) == ("text", True, 1000)
    monkeypatch.setenv("MENTORAT_LOG_FORMAT", "json")
    monkeypatch.setenv("MENTORAT_METRICS", "false")
    monkeypatch.setenv("MENTORAT_READY_MAX_LAG_EVENTS", "0")
    chosen = Settings()
    assert (chosen.log_format, chosen.metrics, chosen.ready_max_lag_events) == ("json", False, 0)
    monkeypatch.setenv("MENTORAT_LOG_FORMAT", "xml")
    with pytest.raises(ValueError, match="log_format"):
        Settings()
