"""The store out of reach during a request: 503 `unavailable` with `Retry-After` within the pool timeout.

Never a 500, never a hang past the timeout; a statement timeout bounds every statement. (A database stopped under
load, on a cluster of the test's own: `test_database_restart.py`.)
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from eventsourcing.persistence import OperationalError
from fastapi.testclient import TestClient

from api.app import create_app
from bootstrap.faults import unavailable
from bootstrap.read_side import ReadSide
from bootstrap.service import build_service
from bootstrap.settings import Settings
from bootstrap.store_env import store_env
from infrastructure.postgres import connect_args
from tests.api.conftest import World, build_world, service_of
from tests.conftest import postgres_url
from tests.support import FakeClock, ports

pytestmark = pytest.mark.postgres
UNAVAILABLE = {
    "type": "/problems/unavailable",
    "title": "Service unavailable",
    "status": 503,
    "detail": "The database cannot be reached or did not answer in time; retry after `Retry-After` seconds.",
}


def pg_settings(schema: str, tmp_path: Path, **changes: Any) -> Settings:
    return Settings(data_dir=tmp_path / "var", database_url=postgres_url(), database_schema=schema, **changes)


@pytest.fixture
def small_pool(pg_schema: str, tmp_path: Path) -> Iterator[tuple[TestClient, World]]:
    """The app with one write-side connection and a one-second pool timeout, and its world."""
    settings = pg_settings(pg_schema, tmp_path, pool_size=1, max_overflow=0, pool_timeout_seconds=1)
    with TestClient(create_app(settings, ports(FakeClock()))) as client:
        yield client, build_world(client, service_of(client))


def test_a_request_that_gets_no_connection_within_the_pool_timeout_is_503_unavailable(
    small_pool: tuple[TestClient, World],
) -> None:
    client, world = small_pool
    pool = service_of(client).store.recorder.datastore.pool  # type: ignore[attr-defined]
    satisfaction = f"/v1/mentorships/{world.mentorship_id}/satisfaction"
    # Given every connection of the write side's pool taken (as by slow statements)
    held = pool.getconn()
    try:
        # When a command comes
        started = time.monotonic()
        refused = client.post(satisfaction, json={"score": 4}, headers=world.mentor)
        seconds = time.monotonic() - started
    finally:
        pool.putconn(held)
    # Then it is 503 `unavailable` with Retry-After and a fixed detail, after one pool timeout (not ten)
    assert refused.status_code == 503, refused.text
    assert refused.json() == UNAVAILABLE
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.headers["retry-after"].isdigit()
    assert 0.9 < seconds < 8  # sanity bounds around the one-second pool timeout
    # And once a connection is free again, the same command succeeds
    assert client.post(satisfaction, json={"score": 4}, headers=world.mentor).status_code == 201


def test_every_connection_has_our_statement_timeout_and_keeps_pgoptions(pg_schema: str, tmp_path: Path) -> None:
    settings = pg_settings(pg_schema, tmp_path, statement_timeout_seconds=0.5)
    service = build_service(settings, ports(FakeClock()))
    read_side = ReadSide(service.store, settings)
    try:
        datastores: list[Any] = [service.store.recorder.datastore]  # type: ignore[attr-defined]
        datastores += [getattr(view, "datastore") for view in read_side.views.values()]  # noqa: B009
        for datastore in datastores:
            with datastore.transaction(commit=False) as cursor:
                cursor.execute("SHOW statement_timeout")
                assert cursor.fetchone() == {"statement_timeout": "500ms"}
                cursor.execute("SHOW synchronous_commit")  # the tests' PGOPTIONS are kept beside ours
                assert cursor.fetchone() == {"synchronous_commit": "off"}
        with psycopg.connect(**connect_args(store_env(settings))) as conn:  # the locks, the listener, the keys
            assert conn.execute("SHOW statement_timeout").fetchone() == ("500ms",)
        # And a statement over the timeout is cancelled: the store is unavailable for now (503), not broken
        started = time.monotonic()
        with pytest.raises(OperationalError) as cancelled, datastores[0].transaction(commit=False) as cursor:
            cursor.execute("SELECT pg_sleep(5)")
        assert time.monotonic() - started < 4
        assert isinstance(cancelled.value.__cause__, psycopg.errors.QueryCanceled)
        assert unavailable(cancelled.value)
    finally:
        read_side.close()
        service.close()


def test_only_store_faults_are_unavailable() -> None:
    assert unavailable(psycopg.OperationalError("server closed the connection unexpectedly"))
    assert not unavailable(psycopg.errors.UndefinedTable("no such table"))  # a programming error stays a 500
    assert not unavailable(ValueError("boom"))
    try:
        raise OperationalError("wrapped") from psycopg.errors.AdminShutdown("terminating connection")
    except OperationalError as wrapped:
        assert unavailable(wrapped)
