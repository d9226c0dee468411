"""Command cost: the embedded store against PostgreSQL, and HTTP over a real socket against the application."""

from __future__ import annotations

import os
import secrets
import socket
import statistics
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from uuid import UUID

import httpx
import psycopg
import uvicorn

from api.app import create_app
from api.server import uvicorn_config
from application.authorization import Caller
from application.service import MentoratService
from bootstrap.service import build_service
from bootstrap.settings import Settings

PG_URL = os.environ.get("MENTORAT_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
FUTURE = datetime.now(UTC) + timedelta(days=30)


def signed_pairs(service: MentoratService, pairs: int) -> tuple[Caller, list[tuple[Caller, UUID]]]:
    """A programme with signed mentorships: the coordinator, and each mentorship with its mentor."""
    created = service.participants.create_programme("Bench", "Coordinator", None)
    coordinator = service.participants.authenticate(created["coordinator_token"])
    out = []
    for _ in range(pairs):
        people = []
        for role in ("mentor", "mentee"):
            person = service.participants.register(coordinator, coordinator.programme_id, role, role, None, "fr")
            code = service.participants.invite_as_operator(person.aggregate_id).data["code"]
            token = service.participants.redeem(code).data["token"]
            people.append(service.participants.authenticate(token))
        mentor, mentee = people
        m = service.mentorships.draft(coordinator, coordinator.programme_id, mentor.id, mentee.id, date.today(), None)
        service.mentorships.add_objective(mentee, m.aggregate_id, "objective")
        service.mentorships.sign(mentor, m.aggregate_id)
        service.mentorships.sign(mentee, m.aggregate_id)
        out.append((mentor, m.aggregate_id))
    return coordinator, out


def timed(action: Callable[..., object], *args: object, **kwargs: object) -> float:
    """Seconds one call takes."""
    started = time.perf_counter()
    action(*args, **kwargs)
    return time.perf_counter() - started


def percentile(samples: list[float], q: float) -> float:
    """The q-th percentile (0-100) of the samples, in milliseconds."""
    ordered = sorted(samples)
    return 1000 * ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


@contextmanager
def stores() -> Iterator[dict[str, Settings]]:
    """An embedded store in a temporary directory and a PostgreSQL schema of this run's own."""
    schema = "mentorat_bench_" + secrets.token_hex(4)
    with tempfile.TemporaryDirectory() as directory:
        try:
            yield {
                "sqlite": Settings(data_dir=Path(directory), database_url=None),
                "postgres": Settings(database_url=PG_URL, database_schema=schema, pool_size=4, max_overflow=4),
            }
        finally:
            with psycopg.connect(PG_URL, autocommit=True) as conn:
                for name in (schema, f"{schema}_keys"):  # the data keys live in a schema of their own
                    conn.execute(f"DROP SCHEMA IF EXISTS {name} CASCADE")


@contextmanager
def served(settings: Settings) -> Iterator[tuple[str, MentoratService]]:
    """The app under uvicorn, configured as `mentorat serve` configures it, on a free loopback port."""
    app = create_app(settings)
    sock = socket.socket()
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn_config(app, "127.0.0.1", sock.getsockname()[1], "warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}", app.state.service
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def run(pairs: int = 150) -> list[tuple[str, str, str]]:
    """Rows of (measure, figures, ratio)."""
    rows = []
    with stores() as configured:
        in_process: dict[str, list[float]] = {}
        for name, settings in configured.items():
            service = build_service(settings)
            try:
                _, mentorships = signed_pairs(service, pairs)
                in_process[name] = [
                    timed(service.mentorships.schedule_meeting, mentor, mid, FUTURE) for mentor, mid in mentorships
                ]
            finally:
                service.close()
        sq, pg = in_process["sqlite"], in_process["postgres"]
        rows.append(
            (
                f"schedule a meeting, in process ({pairs} mentorships)",
                f"p50 sqlite {percentile(sq, 50):.2f} ms, postgres {percentile(pg, 50):.2f} ms",
                f"postgres/sqlite {statistics.median(pg) / statistics.median(sq):.2f}x",
            )
        )
        with served(configured["postgres"]) as (base, service):
            _, mentorships = signed_pairs(service, pairs)
            with httpx.Client(base_url=base) as client:
                health, command, keyed, replayed = [], [], [], []
                for caller, mid in mentorships:
                    token = service.participants.redeem(
                        service.participants.invite_as_operator(caller.id).data["code"]
                    ).data["token"]
                    headers = {"Authorization": f"Bearer {token}"}
                    body = {"scheduled_for": FUTURE.isoformat()}
                    health.append(timed(client.get, "/healthz"))
                    path = f"/v1/mentorships/{mid}/meetings"
                    command.append(timed(client.post, path, json=body, headers=headers))
                    with_key = {**headers, "Idempotency-Key": secrets.token_hex(16)}
                    keyed.append(timed(client.post, path, json=body, headers=with_key))
                    replayed.append(timed(client.post, path, json=body, headers=with_key))
        rows.append(
            (
                "HTTP over a socket, postgres: schedule vs /healthz",
                f"p50 {percentile(command, 50):.2f} / {percentile(health, 50):.2f} ms, "
                f"p99 {percentile(command, 99):.2f} / {percentile(health, 99):.2f} ms",
                f"command/healthz {statistics.median(command) / statistics.median(health):.1f}x",
            )
        )
        rows.append(
            (
                "HTTP, postgres: schedule with a new Idempotency-Key / without; a replay / without",
                f"p50 {percentile(keyed, 50):.2f} / {percentile(command, 50):.2f} ms; "
                f"replay {percentile(replayed, 50):.2f} ms",
                f"keyed/plain {statistics.median(keyed) / statistics.median(command):.2f}x, "
                f"replay/plain {statistics.median(replayed) / statistics.median(command):.2f}x",
            )
        )
        rows.append(
            (
                "schedule a meeting, HTTP vs in process (postgres)",
                f"p50 {percentile(command, 50):.2f} vs {percentile(pg, 50):.2f} ms",
                f"http/in-process {statistics.median(command) / statistics.median(pg):.2f}x",
            )
        )
    return rows
