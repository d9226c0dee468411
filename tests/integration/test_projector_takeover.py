"""Two `mentorat projector` processes on PostgreSQL: the active one SIGKILLed mid-catch-up, the standby takes over.

Two API processes (`serve --no-projections`) keep taking commands meanwhile, over real sockets. The standby must
hold every read model's lock and move the positions on within 5 seconds of the kill (a correctness bound: its
followers try the locks every `MENTORAT_PROJECTION_POLL_SECONDS`, 1 s by default), and once the commands stop
and it has caught up, every read-model table equals a rebuild from nothing, row for row.
"""

from __future__ import annotations

import signal
import threading
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx
import psycopg
import pytest
from eventsourcing.persistence import StoredEvent

from bootstrap.read_side import NAMES
from bootstrap.service import build_service
from bootstrap.settings import Settings
from tests.conftest import postgres_url
from tests.integration.test_projections import demo_events
from tests.integration.test_projector_process import append, lock_holders, positions, rebuilt, standing_by
from tests.processes import api_process, kill, process_env, running, signed_mentorships, stop_gracefully, wait_until

pytestmark = pytest.mark.postgres

TAKEOVER = 5.0  # seconds from the kill to the standby's first batch: the bound
CATCH_UP = 90.0  # generous: the machine is shared
MID_CATCH_UP = 100  # events the active projector has projected past its start when it is killed
Connection = psycopg.Connection[Any]


@pytest.fixture(scope="module")
def demo_history(tmp_path_factory: pytest.TempPathFactory) -> list[StoredEvent]:
    """The demo's events (the demo runs once per session, shared with the other integration tests)."""
    return demo_events(tmp_path_factory)


def send(base: str, mid: str, mentor: dict[str, str], stop: threading.Event, acknowledged: list[int]) -> None:
    """One client: satisfaction reports on one mentorship until stopped; the versions acknowledged."""
    with httpx.Client(base_url=base, timeout=60) as client:
        while not stop.is_set():
            response = client.post(f"/v1/mentorships/{mid}/satisfaction", json={"score": 4}, headers=mentor)
            assert response.status_code == 201, response.text
            acknowledged.append(response.json()["version"])


def test_the_standby_projector_takes_over_within_five_seconds_and_ends_equal_to_a_rebuild(
    pg_schema: str, tmp_path: Path, demo_history: list[StoredEvent]
) -> None:
    settings = Settings(
        database_url=postgres_url(), database_schema=pg_schema, data_dir=tmp_path / "var", pool_size=1, max_overflow=2
    )
    log = tmp_path / "processes.log"
    batches = {"MENTORAT_PROJECTION_BATCH_SIZE": "50"}  # a catch-up spans many transactions per read model
    service = build_service(settings)
    try:
        with (
            psycopg.connect(postgres_url(), autocommit=True) as conn,
            api_process(settings, "mentorat-api-1", log, "--no-projections") as (api_1, first),
            api_process(settings, "mentorat-api-2", log, "--no-projections") as (api_2, second),
            running(["projector"], process_env(settings, "mentorat-active", **batches), log) as active,
        ):
            # Given two API processes, a projector holding every read model's lock, and a second standing by
            pairs = signed_mentorships(service, first, 2)
            all_held = {n: ["mentorat-active"] for n in NAMES}
            wait_until(lambda: lock_holders(conn, pg_schema) == all_held, [active], log, 60)
            with running(["projector"], process_env(settings, "mentorat-standby", **batches), log) as standby:
                everyone = [api_1, api_2, active, standby]
                wait_until(lambda: standing_by(conn, "mentorat-standby"), everyone, log, 60)
                # And a stream of commands through both API processes
                stop = threading.Event()
                acknowledged: list[list[int]] = [[], []]
                clients = [
                    threading.Thread(target=send, args=(base, mid, mentor, stop, versions))
                    for base, (mid, mentor), versions in zip((first, second), pairs, acknowledged, strict=True)
                ]
                for client in clients:
                    client.start()
                try:
                    # When a long history arrives while the active projector is paused, then it catches up
                    start = positions(conn, pg_schema)["summary"]
                    active.send_signal(signal.SIGSTOP)
                    total = append(settings, demo_history)
                    active.send_signal(signal.SIGCONT)
                    wait_until(lambda: positions(conn, pg_schema)["summary"] >= start + MID_CATCH_UP, everyone, log, 60)
                    # And it is killed in the middle of its catch-up
                    kill(active)
                    at_kill = positions(conn, pg_schema)
                    assert at_kill["summary"] < total, "the kill came after the catch-up"
                    # Then the standby holds every lock and moves every position on within 5 seconds
                    took = wait_until(
                        lambda: lock_holders(conn, pg_schema) == {n: ["mentorat-standby"] for n in NAMES}
                        and all(at > at_kill[n] for n, at in positions(conn, pg_schema).items()),
                        [api_1, api_2, standby],
                        log,
                        TAKEOVER,
                    )
                    assert took <= TAKEOVER
                    wait_until(lambda: min(map(len, acknowledged)) >= 5, [api_1, api_2, standby], log, 60)
                finally:
                    stop.set()
                    for client in clients:
                        client.join(timeout=90)
                # And once the commands stop, it catches up with the whole store
                head = service.store.position()
                wait_until(lambda: positions(conn, pg_schema) == dict.fromkeys(NAMES, head), [standby], log, CATCH_UP)
                stop_gracefully(standby, log)
        # And every acknowledged command is in the store
        for (mid, _), versions in zip(pairs, acknowledged, strict=True):
            stored = {e.originator_version: e.topic for e in service.store.recorder.select_events(UUID(mid))}
            assert versions and all(stored[v].endswith("SatisfactionReported") for v in versions)
    finally:
        service.close()
    # And every read-model table equals a rebuild from nothing, row for row
    projected, expected = rebuilt(settings)
    assert projected == expected
    assert all(expected.values()), "every table holds rows"
