"""Store fixtures: every application and HTTP test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from application.service import MentoratService
from bootstrap.service import build_service
from bootstrap.settings import Settings
from tests.support import FakeClock, ports

DEFAULT_PG_URL = "postgresql://postgres@127.0.0.1:5432/test"
# Tests need no durability across a server crash: commits need not wait for the WAL to reach disk
# (libpq reads PGOPTIONS for every connection, the library's, the read side's and the tests' own).
os.environ.setdefault("PGOPTIONS", "-c synchronous_commit=off")
# PostgreSQL needs a master key for the data keys (the embedded store generates its own when this is unset).
os.environ.setdefault("MENTORAT_MASTER_KEY", "dGVzdHMgb25seTogYSBtYXN0ZXIga2V5IG9mIDMyIGI=")
STORES = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


def postgres_url() -> str:
    """The server the PostgreSQL half runs against."""
    return os.environ.get("MENTORAT_TEST_DATABASE_URL", DEFAULT_PG_URL)


def require_postgres() -> None:
    """Skip without a server, except on CI where a missing server is a failure."""
    try:
        with psycopg.connect(postgres_url(), connect_timeout=3):
            pass
    except psycopg.OperationalError as error:
        if os.environ.get("MENTORAT_TEST_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"PostgreSQL is required but unreachable: {type(error).__name__}")
        pytest.skip("PostgreSQL unreachable (set MENTORAT_TEST_REQUIRE_POSTGRES=1 to fail instead)")


@pytest.fixture
def pg_schema() -> Iterator[str]:
    """A fresh schema of this test's own, dropped after."""
    require_postgres()
    schema = "mentorat_test_" + secrets.token_hex(6)
    with psycopg.connect(postgres_url(), autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    try:
        yield schema
    finally:
        with psycopg.connect(postgres_url(), autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
            conn.execute(f"DROP SCHEMA IF EXISTS {schema}_keys CASCADE")  # the data keys' schema


@pytest.fixture(params=STORES)
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    """Settings for one store: SQLite in a temporary directory, or PostgreSQL in a schema of its own."""
    if request.param == "sqlite":
        return Settings(data_dir=tmp_path / "var", database_url=None)
    schema = request.getfixturevalue("pg_schema")
    return Settings(
        data_dir=tmp_path / "var", database_url=postgres_url(), database_schema=schema, pool_size=4, max_overflow=4
    )


@pytest.fixture
def clock() -> FakeClock:
    """The injected clock, at a fixed start."""
    return FakeClock()


@pytest.fixture
def service(settings: Settings, clock: FakeClock) -> Iterator[MentoratService]:
    """The write side over the store under test."""
    svc = build_service(settings, ports(clock))
    try:
        yield svc
    finally:
        svc.close()
