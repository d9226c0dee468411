"""An API process SIGKILLed mid-load (PostgreSQL, real sockets): nothing acknowledged is lost, nothing runs twice.

Two `mentorat serve` processes share one schema. Clients send commands to the first, each with an
`Idempotency-Key` of its own; the first is killed while every client has a command in flight (the test holds the
event table's lock, so those commands wait inside their insert). Afterwards every acknowledged command is in the
store, a retry of its key on the second process gets the first answer again, and a command whose answer was lost
with the process, retried there with its key, runs once in all: either its first answer (it had committed) or a
fresh execution (it had not), never both.
"""

from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx
import psycopg
import pytest
from psycopg import sql

from bootstrap.service import build_service
from bootstrap.settings import Settings
from tests.conftest import postgres_url
from tests.processes import api_process, kill, signed_mentorships, wait_until

pytestmark = pytest.mark.postgres

CLIENTS = 3
LEASE = "2"  # seconds: a key whose process died frees this soon after (the default is a minute)
ACKNOWLEDGED_BEFORE_THE_KILL = 5  # per client: there was load
RETRIES_FOR = 45.0  # seconds a lost command's retry may meet 409 `idempotency-key-in-use` (the lease running out)
SATISFACTION = "SatisfactionReported"


@dataclass(frozen=True)
class Sent:
    mentorship_id: str
    headers: dict[str, str]  # the mentor's token and the command's own Idempotency-Key
    body: dict[str, Any]
    status: int | None = None  # None: no answer (the process died with it)
    answer: dict[str, Any] | None = None


def send(base: str, mid: str, mentor: dict[str, str], stop: threading.Event, sent: list[Sent]) -> None:
    """One client: satisfaction reports on one mentorship, each with a new key, until stopped or unanswered."""
    with httpx.Client(base_url=base, timeout=60) as client:
        while not stop.is_set():
            headers, body = {**mentor, "Idempotency-Key": str(uuid.uuid4())}, {"score": 1 + len(sent) % 5}
            try:
                response = client.post(f"/v1/mentorships/{mid}/satisfaction", json=body, headers=headers)
            except httpx.HTTPError:
                sent.append(Sent(mid, headers, body))
                return
            sent.append(Sent(mid, headers, body, response.status_code, response.json()))


def retry(base: str, command: Sent) -> httpx.Response:
    """The same command with the same key, on another process; 409 `idempotency-key-in-use` is retried shortly."""
    path = f"/v1/mentorships/{command.mentorship_id}/satisfaction"
    deadline = time.monotonic() + RETRIES_FOR
    with httpx.Client(base_url=base, timeout=60) as client:
        while True:
            answer = client.post(path, json=command.body, headers=command.headers)
            if answer.status_code != 409 or time.monotonic() > deadline:
                return answer
            time.sleep(0.2)


def waiting_for_the_table(conn: psycopg.Connection[Any], name: str) -> int:
    """How many sessions of the named process wait for a lock."""
    query = "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s AND wait_event_type = 'Lock'"
    row = conn.execute(query, (name,)).fetchone()
    return int(row[0]) if row else 0


def test_an_api_process_killed_mid_load_loses_nothing_acknowledged_and_runs_nothing_twice(
    pg_schema: str, tmp_path: Path
) -> None:
    settings = Settings(
        database_url=postgres_url(), database_schema=pg_schema, data_dir=tmp_path / "var", pool_size=2, max_overflow=2
    )
    log = tmp_path / "servers.log"
    lease = {"MENTORAT_IDEMPOTENCY_LEASE_SECONDS": LEASE}
    service = build_service(settings)  # the operator's, and the test's view of the store
    try:
        with (
            api_process(settings, "mentorat-doomed", log, **lease) as (doomed, first),
            api_process(settings, "mentorat-other", log, "--no-projections", **lease) as (other, second),
        ):
            # Given signed mentorships, and a client sending commands on each to the first process
            pairs = signed_mentorships(service, first, CLIENTS)
            stop = threading.Event()
            sent: list[list[Sent]] = [[] for _ in pairs]
            clients = [
                threading.Thread(target=send, args=(first, mid, mentor, stop, mine))
                for (mid, mentor), mine in zip(pairs, sent, strict=True)
            ]
            for client in clients:
                client.start()
            try:
                wait_until(lambda: all(len(s) >= ACKNOWLEDGED_BEFORE_THE_KILL for s in sent), [doomed, other], log, 60)
                # When every client has a command in flight inside its insert (the event table is held)
                with (
                    psycopg.connect(postgres_url()) as holder,
                    psycopg.connect(postgres_url(), autocommit=True) as watch,
                ):
                    table = sql.Identifier(pg_schema, "mentorat_events")
                    holder.execute(sql.SQL("LOCK TABLE {} IN EXCLUSIVE MODE").format(table))
                    wait_until(lambda: waiting_for_the_table(watch, "mentorat-doomed") >= CLIENTS, [doomed], log, 30)
                    # And the process is killed, then the table let go
                    kill(doomed)
                    holder.rollback()
            finally:
                stop.set()
                for client in clients:
                    client.join(timeout=90)
            commands = [command for mine in sent for command in mine]
            acknowledged = [c for c in commands if c.status is not None and 200 <= c.status < 300]
            lost = [c for c in commands if c.status is None]
            assert {c.status for c in commands} <= {201, None}, {c.status for c in commands}
            assert len(lost) == CLIENTS, "each client's last command lost its answer with the process"

            # Then a retry of every acknowledged command's key on the other process gets the first answer again
            for command in acknowledged:
                again = retry(second, command)
                assert (again.status_code, again.json()) == (command.status, command.answer)
                assert again.headers["Idempotent-Replayed"] == "true"
            # And a lost command, retried there with its key, is answered: its first answer, or a first execution
            finals = [*acknowledged]
            for command in lost:
                again = retry(second, command)
                assert again.status_code == 201, again.text
                finals.append(Sent(command.mentorship_id, command.headers, command.body, 201, again.json()))

        # And the store holds exactly one event per answered key: every acknowledged one, none twice
        for mid, _ in pairs:
            stored = [e for e in service.store.recorder.select_events(UUID(mid)) if e.topic.endswith(SATISFACTION)]
            answered = sorted(c.answer["version"] for c in finals if c.mentorship_id == mid and c.answer)
            assert sorted(e.originator_version for e in stored) == answered
    finally:
        service.close()
