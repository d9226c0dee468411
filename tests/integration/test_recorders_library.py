"""The library's own recorder test cases, run against our recorders (they add idempotency records).

`eventsourcing.tests.persistence.ApplicationRecorderTestCase` checks inserts, selects, notification
ids and concurrent writers; our subclasses must keep every promise of the recorders they extend. After
each case, the hash chain our recorders wrote alongside must verify.
Its timing-only cases print figures and assert nothing, so they are left to `make bench`.
"""

from __future__ import annotations

import secrets
import tempfile
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar
from unittest import skip

import psycopg
import pytest
from eventsourcing.postgres import PostgresDatastore
from eventsourcing.sqlite import SQLiteDatastore
from eventsourcing.tests.persistence import ApplicationRecorderTestCase

from bootstrap.settings import Settings
from bootstrap.store_env import postgres_env
from infrastructure.audit.store import audit_store
from infrastructure.audit.verify import verify
from infrastructure.postgres import connect_args
from infrastructure.recorders import PostgresIdempotentRecorder, SQLiteIdempotentRecorder
from tests.conftest import postgres_url, require_postgres

TIMING_ONLY = "prints a timing and asserts nothing; speed is measured by make bench"


R = TypeVar("R", SQLiteIdempotentRecorder, PostgresIdempotentRecorder)


def chain_verifies(recorder: Any) -> None:
    """Whatever the library's case wrote, our chain over it verifies."""
    report = verify(audit_store(recorder), None, datetime.now(UTC))
    assert report.intact, report.as_dict()


def join_new_threads(before: set[threading.Thread]) -> None:
    """Wait for threads a test case started and left running (its readers are told to stop, never joined).

    Closing the datastore under a reader still inside sqlite3 crashes the interpreter.
    """
    for thread in set(threading.enumerate()) - before:
        thread.join(timeout=10)


class ChainChecked:
    """What both stores' cases add to the library's: every recorder made is checked for its chain at the end."""

    threads: set[threading.Thread]
    recorders: list[Any]

    def watch(self) -> None:
        """Note the threads already running; no recorder made yet."""
        self.threads = set(threading.enumerate())
        self.recorders = []

    def made(self, recorder: R) -> R:
        """A recorder with its tables, checked at the end."""
        recorder.create_table()
        self.recorders.append(recorder)
        return recorder

    def check_chains(self) -> None:
        """Once the case's threads are done, every chain written verifies."""
        join_new_threads(self.threads)
        for recorder in self.recorders:
            chain_verifies(recorder)

    @skip(TIMING_ONLY)
    def test_performance(self) -> None: ...

    @skip(TIMING_ONLY)
    def test_concurrent_throughput(self) -> None: ...


class TestSQLiteIdempotentRecorder(ChainChecked, ApplicationRecorderTestCase[SQLiteIdempotentRecorder]):
    """The embedded store's recorder, in a file of its own."""

    def setUp(self) -> None:
        self.watch()
        self.directory = tempfile.TemporaryDirectory()
        self.datastore = SQLiteDatastore(str(Path(self.directory.name) / "events.sqlite3"))

    def tearDown(self) -> None:
        self.check_chains()
        self.datastore.close()
        self.directory.cleanup()

    def create_recorder(self) -> SQLiteIdempotentRecorder:
        return self.made(SQLiteIdempotentRecorder(self.datastore))


@pytest.mark.postgres
class TestPostgresIdempotentRecorder(ChainChecked, ApplicationRecorderTestCase[PostgresIdempotentRecorder]):
    """PostgreSQL's recorder, in a schema of its own."""

    def setUp(self) -> None:
        require_postgres()
        self.watch()
        self.schema = "mentorat_lib_" + secrets.token_hex(6)
        self.args: dict[str, Any] = connect_args(postgres_env(postgres_url(), Settings()))
        with psycopg.connect(**self.args, autocommit=True) as conn:
            conn.execute(f"CREATE SCHEMA {self.schema}")
        server = {k: self.args[k] for k in ("dbname", "host", "port", "user", "password")}  # the library's own keys
        self.datastore = PostgresDatastore(**server, schema=self.schema, pool_size=12, max_overflow=4)

    def tearDown(self) -> None:
        self.check_chains()
        self.datastore.close()
        with psycopg.connect(**self.args, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {self.schema} CASCADE")

    def create_recorder(self) -> PostgresIdempotentRecorder:
        return self.made(PostgresIdempotentRecorder(self.datastore, events_table_name="mentorat_events"))
