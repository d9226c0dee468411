"""`mentorat projector` on PostgreSQL: a real process killed anywhere, or doubled, ends equal to a rebuild."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
import pytest
from eventsourcing.persistence import StoredEvent
from psycopg import sql

from bootstrap.read_side import NAMES, ReadSide
from bootstrap.service import build_service
from bootstrap.settings import Settings
from infrastructure.postgres import startup_key
from projections.coordination import lock_key
from projections.summary import SummaryModel
from tests.conftest import postgres_url
from tests.integration.test_projections import Dump, copy_events, demo_events, dump

pytestmark = pytest.mark.postgres

SEED = 1705
BATCH = 50  # a catch-up of the demo spans dozens of transactions per read model
MENTORAT = Path(sys.executable).parent / "mentorat"
TIMEOUT = 90.0  # generous: the machine may be shared
KEYED_BY_POSITION = {"timeline_entry": "timeline"}  # insert-only tables, and their model
Connection = psycopg.Connection[Any]
Process = subprocess.Popen[bytes]


@pytest.fixture(scope="module")
def demo_history(tmp_path_factory: pytest.TempPathFactory) -> list[StoredEvent]:
    """The demo's events (the demo runs once per session, shared with the other integration tests)."""
    return demo_events(tmp_path_factory)


@pytest.fixture
def settings(pg_schema: str) -> Settings:
    """A PostgreSQL store in this test's own schema (dropped after), with small pools."""
    return Settings(database_url=postgres_url(), database_schema=pg_schema, pool_size=2, max_overflow=2)


@pytest.fixture
def conn() -> Iterator[Connection]:
    """A connection of the test's own, to watch positions and locks."""
    with psycopg.connect(postgres_url(), autocommit=True) as connection:
        yield connection


# -- the store and the read models, seen from outside ----------------------------------------------


def append(settings: Settings, events: list[StoredEvent]) -> int:
    """Append events to the store as a migration script would; answer the position after them."""
    service = build_service(settings)
    try:
        return copy_events(service.store, events, chunk=300)
    finally:
        service.close()


def create_read_models(settings: Settings) -> None:
    """Create the read models' tables and tracking rows, as any earlier run would have."""
    service = build_service(settings)
    try:
        ReadSide(service.store, settings).close()
    finally:
        service.close()


def rebuilt(settings: Settings) -> tuple[Dump, Dump]:
    """Every read-model table as the projectors left it, then after a rebuild from nothing in the same schema."""
    service = build_service(settings)
    read_side = ReadSide(service.store, settings.model_copy(update={"projection_batch_size": 100_000}))
    try:
        before = dump(read_side)
        read_side.rebuild()
        return before, dump(read_side)
    finally:
        read_side.close()
        service.close()


def exists(conn: Connection, schema: str, table: str) -> bool:
    """Whether the table exists in the schema."""
    row = conn.execute("SELECT to_regclass(%s)", (f"{schema}.{table}",)).fetchone()
    return bool(row and row[0] is not None)


def positions(conn: Connection, schema: str) -> dict[str, int]:
    """Each read model's tracking position (0 before its table exists)."""
    found = dict.fromkeys(NAMES, 0)
    for name in NAMES:
        if exists(conn, schema, f"{name}_tracking"):
            table = sql.Identifier(schema, f"{name}_tracking")
            row = conn.execute(sql.SQL("SELECT notification_id FROM {}").format(table)).fetchone()
            found[name] = int(row[0]) if row else 0
    return found


def keyed_rows(conn: Connection, schema: str, table: str) -> list[int]:
    """The positions of an insert-only table's rows (none before it exists)."""
    if not exists(conn, schema, table):
        return []
    query = sql.SQL("SELECT position FROM {} ORDER BY position").format(sql.Identifier(schema, table))
    return [int(row[0]) for row in conn.execute(query).fetchall()]


def lock_holders(conn: Connection, schema: str) -> dict[str, list[str]]:
    """Per read model, the process names (PGAPPNAME) of the sessions holding its advisory lock."""
    holders = {}
    for name in NAMES:
        rows = conn.execute(
            "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid"
            " WHERE l.locktype = 'advisory' AND l.granted AND l.database = a.datid"
            " AND ((l.classid::bigint << 32) | l.objid::bigint) = %s",
            (lock_key(schema, name),),
        ).fetchall()
        holders[name] = sorted(row[0] for row in rows)
    return holders


def waiting_for_a_lock(conn: Connection, name: str) -> bool:
    """Whether a session of the named process waits for a lock."""
    query = "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s AND wait_event_type = 'Lock'"
    row = conn.execute(query, (name,)).fetchone()
    return bool(row and row[0])


def standing_by(conn: Connection, name: str) -> bool:
    """Whether the named projector started every follower, each trying its read model's lock."""
    query = "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s AND query LIKE %s"
    row = conn.execute(query, (name, "SELECT pg_try_advisory_lock%")).fetchone()
    return bool(row and row[0] >= len(NAMES))


# -- the process -----------------------------------------------------------------------------------


@contextmanager
def projector(settings: Settings, log: Path, name: str) -> Iterator[Process]:
    """`mentorat projector` in a process of its own (batches of 50), killed on the way out if still running."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("MENTORAT_")}
    env.update(
        MENTORAT_DATABASE_URL=settings.database_url or "",
        MENTORAT_DATABASE_SCHEMA=settings.database_schema or "",
        MENTORAT_PROJECTION_BATCH_SIZE=str(BATCH),
        MENTORAT_PROJECTION_POLL_SECONDS="0.2",
        MENTORAT_POOL_SIZE="2",
        MENTORAT_MAX_OVERFLOW="2",
        MENTORAT_LOG_LEVEL="WARNING",
        PGAPPNAME=name,  # libpq names the process's sessions: the test can tell who holds a lock
    )
    with log.open("ab") as out:
        process = subprocess.Popen([str(MENTORAT), "projector"], env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=30)


def wait_until(condition: Callable[[], bool], processes: list[Process], log: Path) -> None:
    """Poll until the condition holds; fail at once if a projector died, or after the timeout."""
    deadline = time.monotonic() + TIMEOUT
    while not condition():
        for process in processes:
            if process.poll() is not None:
                pytest.fail(f"projector exited {process.returncode}:\n{log.read_text()[-2000:]}")
        if time.monotonic() > deadline:
            pytest.fail(f"timed out:\n{log.read_text()[-2000:]}")
        time.sleep(0.005)


def stop_gracefully(process: Process, log: Path) -> None:
    """Interrupt the projector as an operator would; it exits 0."""
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=30) == 0, log.read_text()[-2000:]


def caught_up(conn: Connection, schema: str, position: int) -> Callable[[], bool]:
    """Whether every read model includes exactly the position."""
    return lambda: positions(conn, schema) == dict.fromkeys(NAMES, position)


# -- crashes ---------------------------------------------------------------------------------------


def test_a_projector_killed_at_random_points_of_its_catch_up_ends_equal_to_a_rebuild(
    settings: Settings, conn: Connection, demo_history: list[StoredEvent], tmp_path: Path
) -> None:
    """SIGKILL mid-catch-up loses nothing and applies nothing twice: rows and positions always move together."""
    rng = random.Random(SEED)
    schema, log = settings.database_schema or "", tmp_path / "projector.log"
    # Given a store of about 1,770 events and no read model yet
    total = append(settings, demo_history)
    assert total >= 1_700
    reached, kills = 0, []
    for _ in range(3):
        # When a projector runs until the summary passes a random threshold beyond where the last one died
        threshold = reached + rng.randint(1, 5) * BATCH + rng.randrange(BATCH)
        with projector(settings, log, "mentorat-crash") as process:
            wait_until(lambda: positions(conn, schema)["summary"] >= threshold, [process], log)  # noqa: B023
            time.sleep(rng.uniform(0, 0.03))
            # And it is killed without warning
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=30)
        at = positions(conn, schema)
        # Then it died in the middle of its catch-up
        assert threshold <= at["summary"] < total, at
        reached = at["summary"]
        kills.append((at, {table: keyed_rows(conn, schema, table) for table in KEYED_BY_POSITION}))
    # When a projector is started again and let finish, then interrupted
    with projector(settings, log, "mentorat-final") as process:
        wait_until(caught_up(conn, schema, total), [process], log)
        stop_gracefully(process, log)
    # Then every read-model table equals a rebuild from nothing, row for row
    projected, expected = rebuilt(settings)
    assert projected == expected
    assert all(expected.values()), "every table holds rows"
    # And at each kill, the rows keyed by position were exactly those up to the model's recorded position
    for at, rows in kills:
        for table, model in KEYED_BY_POSITION.items():
            assert rows[table] == [row["position"] for row in expected[table] if row["position"] <= at[model]]


# -- two projectors --------------------------------------------------------------------------------


def test_two_projectors_running_at_once_hold_each_lock_once_and_end_equal_to_a_rebuild(
    settings: Settings, conn: Connection, demo_history: list[StoredEvent], tmp_path: Path
) -> None:
    """One projector holds each read model's advisory lock, the other stands by and takes over when it dies."""
    schema, log = settings.database_schema or "", tmp_path / "projectors.log"
    history = demo_history[:900]
    third = len(history) // 3
    # Given a store with a third of a realistic history, and a projector that caught up with it
    position = append(settings, history[:third])
    with projector(settings, log, "mentorat-a") as a:
        wait_until(caught_up(conn, schema, position), [a], log)
        # When a second projector starts on the same schema (the start-up races are the next test's)
        with projector(settings, log, "mentorat-b") as b:
            wait_until(lambda: standing_by(conn, "mentorat-b"), [a, b], log)
            # And more events arrive while both run
            position = append(settings, history[third : 2 * third])
            wait_until(caught_up(conn, schema, position), [a, b], log)
            # Then each read model's lock is held once, by the first; the second stands by
            assert lock_holders(conn, schema) == {name: ["mentorat-a"] for name in NAMES}
            # When the first is killed and the rest of the history arrives
            a.send_signal(signal.SIGKILL)
            a.wait(timeout=30)
            position = append(settings, history[2 * third :])
            # Then the second takes every lock over and catches up
            wait_until(caught_up(conn, schema, position), [b], log)
            wait_until(lambda: lock_holders(conn, schema) == {name: ["mentorat-b"] for name in NAMES}, [b], log)
            stop_gracefully(b, log)
    # And every read-model table equals a rebuild from nothing, row for row
    projected, expected = rebuilt(settings)
    assert projected == expected


# -- start-up beside another process ---------------------------------------------------------------


def hold_read_model_creation(other: Connection, settings: Settings) -> None:
    """Another projector starting on a fresh schema: it created the first read-model table, not yet committed."""
    other.execute("SELECT pg_advisory_xact_lock(%s)", (startup_key(settings.database_schema or "public"),))
    other.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(settings.database_schema or "")))
    other.execute(SummaryModel.tables[0].create_statements()[0])


def hold_a_batch(other: Connection, settings: Settings) -> None:
    """Another projector in the middle of a report batch: it holds the tracking row and has added counters."""
    create_read_models(settings)
    other.execute("SET deadlock_timeout = '20s'")  # the starting projector is the one to detect the deadlock
    other.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(settings.database_schema or "")))
    other.execute("SELECT notification_id FROM report_tracking FOR UPDATE")
    other.execute("LOCK TABLE report_count IN ROW EXCLUSIVE MODE")  # what its upsert of counters took


def then_upsert_the_mentorships(other: Connection) -> None:
    """The batch goes on to upsert the report's mentorships (the lock an upsert takes), as projections do."""
    try:
        other.execute("LOCK TABLE report_mentorship IN ROW EXCLUSIVE MODE")
    except psycopg.errors.DeadlockDetected:
        other.rollback()


def hold_event_store_creation(other: Connection, settings: Settings) -> None:
    """Another process of the system starting: the library's CREATE OR REPLACE FUNCTION, not yet committed."""
    service = build_service(settings)
    try:
        statements = [s for s in service.store.recorder.sql_create_statements if "FUNCTION" in s.as_string()]  # type: ignore[attr-defined]
    finally:
        service.close()
    other.execute("SELECT pg_advisory_xact_lock(%s)", (startup_key(settings.database_schema or "public"),))
    other.execute(statements[0])


def start_up(settings: Settings) -> int:
    """What `mentorat projector` and `mentorat serve` do first (build the store and the read side), then catch up."""
    service = build_service(settings)
    try:
        read_side = ReadSide(service.store, settings)
        try:
            return min(read_side.catch_up().values())
        finally:
            read_side.close()
    finally:
        service.close()


HOLDS = {
    "a_projector_creating_the_read_models": hold_read_model_creation,
    "a_projector_projecting_a_batch": hold_a_batch,
    "a_process_creating_the_event_store": hold_event_store_creation,
}


@pytest.mark.parametrize("beside", list(HOLDS))
def test_a_process_starting_beside_another_waits_its_turn_and_comes_up(
    settings: Settings,
    conn: Connection,
    demo_history: list[StoredEvent],
    monkeypatch: pytest.MonkeyPatch,
    beside: str,
) -> None:
    """Start-up while another process of the system is in its own start-up, or in a batch, waits and then runs."""
    position = append(settings, demo_history[:100])
    with ThreadPoolExecutor(1) as pool, psycopg.connect(postgres_url()) as other:  # `other` ends first: no hang
        # Given another process in the middle of a transaction
        HOLDS[beside](other, settings)
        # When a process starts (its sessions named; it checks for deadlocks 2 s into a wait, time to close a cycle)
        monkeypatch.setenv("PGAPPNAME", "mentorat-late")
        monkeypatch.setenv("PGOPTIONS", "-c deadlock_timeout=2s")
        started = pool.submit(start_up, settings)
        deadline = time.monotonic() + TIMEOUT
        while not (started.done() or waiting_for_a_lock(conn, "mentorat-late")):
            if time.monotonic() > deadline:
                pytest.fail("the start-up never met the other transaction")
            time.sleep(0.005)
        if beside == "a_projector_projecting_a_batch":
            then_upsert_the_mentorships(other)
        other.commit()
        # Then it waited its turn, came up and caught up
        try:
            reached = started.result(timeout=TIMEOUT)
        except Exception as error:
            raise AssertionError(f"start-up failed: {type(error).__name__}: {error}") from error
        assert reached == position
