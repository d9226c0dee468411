"""`mentorat serve --workers N`: N API processes on one socket, and one process at a time for each duty of the store.

Every worker stands by for every read model's projector, the outbox worker and the audit duties; on PostgreSQL
an advisory lock per duty elects one of them, whichever worker dies. Workers end with their supervisor, even a
SIGKILLed one. The embedded store refuses more than one worker (it has no election across processes): one line,
exit 2.
"""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from bootstrap.audit import DUTY_LOCK
from bootstrap.mail import WORKER_LOCK
from bootstrap.read_side import NAMES
from bootstrap.service import build_service
from bootstrap.settings import Settings
from projections.coordination import lock_key
from tests.api.observed import scrape, value
from tests.conftest import postgres_url
from tests.processes import (
    MENTORAT,
    alive,
    descendants,
    kill,
    process_env,
    running,
    signed_mentorships,
    stop_gracefully,
    wait_until,
)
from tests.throwaway_cluster import free_port

WORKERS = 2
REQUESTS = "mentorat_http_requests_total"
DUTIES = (*NAMES, WORKER_LOCK, DUTY_LOCK)  # every read model's projector, the outbox worker, the audit duties
# Small pools (MENTORAT_POOL_SIZE 1): pools open eagerly, and the shared server's 100 connection slots serve
# everyone's tests at once.
Connection = psycopg.Connection[Any]


def test_more_than_one_worker_on_the_embedded_store_is_one_line_and_exit_2(tmp_path: Path) -> None:
    env = process_env(Settings(data_dir=tmp_path / "var", database_url=None), "mentorat-sqlite")
    done = subprocess.run([MENTORAT, "serve", "--workers", "2"], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        "error: --workers above 1 needs PostgreSQL (MENTORAT_DATABASE_URL): the embedded store has one process"
    ]


def held(conn: Connection, schema: str) -> dict[str, int]:
    """Per duty, how many sessions hold its advisory lock."""
    counts = {}
    for duty in DUTIES:
        query = (
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted"
            " AND ((classid::bigint << 32) | objid::bigint) = %s"
        )
        row = conn.execute(query, (lock_key(schema, duty),)).fetchone()
        counts[duty] = int(row[0]) if row else 0
    return counts


def trying(conn: Connection, name: str) -> int:
    """How many sessions of the named server last tried an advisory lock: a duty each, held or standing by."""
    query = "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s AND query LIKE %s"
    row = conn.execute(query, (name, "SELECT pg_try_advisory_lock%")).fetchone()
    return int(row[0]) if row else 0


def workers_of(pid: int) -> list[int]:
    """The worker processes uvicorn's supervisor started (its spawned children, not multiprocessing's helpers)."""
    return [c for c in descendants(pid) if b"resource_tracker" not in Path(f"/proc/{c}/cmdline").read_bytes()]


def read_after(base: str, mid: str, mentor: dict[str, str]) -> int:
    """A command, then its mentorship's summary read with `?after` its position: the read's status."""
    with httpx.Client(base_url=base, timeout=60) as client:
        command = client.post(f"/v1/mentorships/{mid}/satisfaction", json={"score": 4}, headers=mentor)
        assert command.status_code == 201, command.text
        after = {"after": command.json()["position"]}
        return client.get(f"/v1/mentorships/{mid}", params=after, headers=mentor).status_code


@pytest.mark.postgres
def test_workers_elect_one_process_per_duty_and_keep_it_when_a_worker_dies(pg_schema: str, tmp_path: Path) -> None:
    settings = Settings(
        database_url=postgres_url(), database_schema=pg_schema, data_dir=tmp_path / "var", pool_size=1, max_overflow=2
    )
    log, port = tmp_path / "serve.log", free_port()
    base, name = f"http://127.0.0.1:{port}", "mentorat-workers"
    env = process_env(settings, name, MENTORAT_PROJECTION_POLL_SECONDS="0.5", MENTORAT_OUTBOX_POLL_SECONDS="0.5")
    service = build_service(settings)
    try:
        with (
            psycopg.connect(postgres_url(), autocommit=True) as conn,
            running(["serve", "--port", str(port), "--workers", str(WORKERS)], env, log) as server,
        ):
            # Given two workers up: each stands by for every duty, and each duty runs in one process
            def elected() -> bool:
                return trying(conn, name) == WORKERS * len(DUTIES) and held(conn, pg_schema) == dict.fromkeys(DUTIES, 1)

            wait_until(elected, [server], log, 90)
            [(mid, mentor)] = signed_mentorships(service, base, 1)
            # Then a command is visible through `?after`, whichever worker answers
            assert read_after(base, mid, mentor) == 200
            started = workers_of(server.pid)
            assert len(started) == WORKERS
            for worker in started:
                # When a worker is killed, and the supervisor has started another in its place
                os.kill(worker, signal.SIGKILL)

                def replaced(dead: int = worker) -> bool:
                    now = workers_of(server.pid)
                    return dead not in now and len(now) == WORKERS

                wait_until(replaced, [server], log, 30)
                # Then every duty is again held once, each worker standing by for all, and the read models keep up
                wait_until(elected, [server], log, 90)
                assert read_after(base, mid, mentor) == 200
            # When the supervisor itself is killed
            workers = workers_of(server.pid)
            kill(server)
            # Then its workers shut down rather than serve on as orphans, and their sessions (and locks) go with them
            wait_until(lambda: not any(map(alive, workers)) and trying(conn, name) == 0, [], log, 30)
    finally:
        service.close()


@pytest.mark.postgres
def test_workers_without_projections_run_no_projector_one_outbox_worker_and_sum_their_metrics(
    pg_schema: str, tmp_path: Path
) -> None:
    settings = Settings(
        database_url=postgres_url(), database_schema=pg_schema, data_dir=tmp_path / "var", pool_size=1, max_overflow=2
    )
    log, port, name, temp = tmp_path / "serve.log", free_port(), "mentorat-write-only", tmp_path / "tmp"
    temp.mkdir()
    args = ["serve", "--port", str(port), "--workers", str(WORKERS), "--no-projections"]
    env = process_env(settings, name, TMPDIR=str(temp), MENTORAT_STATEMENT_TIMEOUT_SECONDS="2")
    with psycopg.connect(postgres_url(), autocommit=True) as conn, running(args, env, log) as server:
        # Given two workers with `--no-projections` (the flag reaches them through the environment), both up
        wait_until(lambda: trying(conn, name) == WORKERS, [server], log, 90)
        # Then the outbox worker runs in one of them, and no projector nor audit duty in either
        expected = {**dict.fromkeys(DUTIES, 0), WORKER_LOCK: 1}
        wait_until(lambda: held(conn, pg_schema) == expected, [server], log, 30)
        assert httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=10).status_code == 200
        [directory] = temp.glob("mentorat-metrics-*")  # the supervisor's, for prometheus-client's multiprocess mode
        metrics_add_up_and_readiness_needs_the_store(f"http://127.0.0.1:{port}", server, log, directory, pg_schema)
        stop_gracefully(server, log)
    # And the supervisor removed its metrics directory on the way out
    assert not directory.exists()


def metric_pids(directory: Path) -> set[int]:
    """The processes whose counters prometheus-client's multiprocess mode keeps in the directory."""
    return {int(path.stem.rsplit("_", 1)[1]) for path in directory.glob("counter_*.db")}


def metrics_add_up_and_readiness_needs_the_store(
    base: str, server: subprocess.Popen[bytes], log: Path, directory: Path, schema: str
) -> None:
    """Every scrape counts the requests of both workers; `/readyz` is 503 `unavailable` while the store is stuck."""
    sent = 0

    def both_answered() -> bool:
        nonlocal sent
        assert httpx.get(f"{base}/v1/me", timeout=10).status_code == 401  # a new connection; no token: no store
        sent += 1
        return metric_pids(directory) == set(workers_of(server.pid))

    # Given requests, each on a new connection, until both workers have answered some
    wait_until(both_answered, [server], log, 60)
    # Then every scrape, whichever worker answers it, counts the requests of both
    for _ in range(2 * WORKERS):
        assert value(scrape(base), REQUESTS, route="/v1/me", method="GET", status="401") == sent
    assert value(scrape(base), "mentorat_store_up") == 1
    assert httpx.get(f"{base}/readyz", timeout=30).json()["projections"] == "elsewhere"
    # When the events table is locked past the statement timeout, readiness says the store did not answer
    with psycopg.connect(postgres_url()) as locking:
        locking.execute(f"LOCK TABLE {schema}.mentorat_events IN ACCESS EXCLUSIVE MODE")
        locked = httpx.get(f"{base}/readyz", timeout=30)
        assert locked.status_code == 503, locked.text
        assert locked.headers["retry-after"] == "1"
        assert locked.json()["type"] == "/problems/unavailable"
        assert value(scrape(base), "mentorat_store_up") == 0  # the request metrics are still there
    # Then ready again once the store answers
    assert httpx.get(f"{base}/readyz", timeout=30).status_code == 200
