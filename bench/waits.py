"""Waiting reads against /healthz over a real socket: /healthz's p99 while 200 `?after` reads wait, beside idle.

On each store the app is served under uvicorn in a thread, with its projections off so that the reads really wait.
25 callers each send 8 reads `?after=` the store's position (the process limit raised to 200 for the run, above
the default 64: the harsher case); once all 200 wait, /healthz is asked `HEALTH` times one after the other, as it
was just before with nothing waiting (the anchor). Then the read models catch up and every wait must answer 200.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import httpx
import uvicorn
from fastapi import FastAPI

from api.app import create_app
from api.server import uvicorn_config
from application.service import MentoratService
from bench.commands import percentile, stores
from bench.serving import bearer

CALLERS, PER_CALLER, HEALTH = 25, 8, 300
Row = tuple[str, str, str]


@dataclass(frozen=True)
class Measured:
    """/healthz's seconds idle and loaded; how many reads waited, the threads meanwhile, the waits' outcome."""

    idle: list[float]
    loaded: list[float]
    pending: int
    threads: int
    answered: int
    sent: int


@contextmanager
def served(app: FastAPI) -> Iterator[str]:
    """The app under uvicorn, configured as `mentorat serve` configures it, on a free loopback port."""
    sock = socket.socket()
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn_config(app, "127.0.0.1", sock.getsockname()[1], "warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def tokens(service: MentoratService, count: int) -> list[tuple[str, str]]:
    """A programme's coordinator and `count - 1` mentees: (participant id, token) each."""
    created = service.participants.create_programme("Bench", "Coordinator", None)
    coordinator = service.participants.authenticate(created["coordinator_token"])
    people = [(created["coordinator_id"], created["coordinator_token"])]
    for n in range(count - 1):
        registered = service.participants.register(
            coordinator, coordinator.programme_id, "mentee", f"Mentee {n}", None, "fr"
        )
        code = service.participants.invite_as_operator(registered.aggregate_id).data["code"]
        people.append((str(registered.aggregate_id), service.participants.redeem(code).data["token"]))
    return people


async def health(http: httpx.AsyncClient) -> list[float]:
    """Seconds per /healthz, one after the other (a few first ones not kept: connections opened)."""
    samples = []
    for n in range(HEALTH + 10):
        sent = time.perf_counter()
        answer = await http.get("/healthz")
        if n >= 10:
            samples.append(time.perf_counter() - sent if answer.status_code == 200 else float("inf"))
    return samples


async def measure(app: FastAPI, base: str, people: list[tuple[str, str]], at: int) -> Measured:
    """/healthz idle, then with every caller's reads waiting; the waits' answers once the read models caught up."""
    limits = httpx.Limits(max_connections=None, max_keepalive_connections=None)
    async with httpx.AsyncClient(base_url=base, timeout=120, limits=limits) as http:
        idle = await health(http)
        reads = [
            asyncio.create_task(
                http.get(f"/v1/participants/{pid}/history", params={"after": at}, headers=bearer(token))
            )
            for pid, token in people
            for _ in range(PER_CALLER)
        ]
        waits = app.state.read_waits
        deadline = time.monotonic() + 30
        while waits.pending < len(reads) and time.monotonic() < deadline and not any(t.done() for t in reads):
            await asyncio.sleep(0.005)
        pending, threads = waits.pending, threading.active_count()
        loaded = await health(http)
        threads = max(threads, threading.active_count())
        app.state.read_side.catch_up()
        answers = await asyncio.gather(*reads)
    answered = sum(answer.status_code == 200 for answer in answers)
    return Measured(idle, loaded, pending, threads, answered, len(answers))


def run() -> list[Row]:
    """Rows of (measure, figures, ratio or target)."""
    rows = []
    with stores() as configured:
        for name, settings in configured.items():
            waiting = settings.model_copy(
                update={
                    "projections": False,
                    "read_wait_seconds": 60,
                    "read_waits_per_caller": PER_CALLER,
                    "read_waits_per_process": CALLERS * PER_CALLER,
                }
            )
            app = create_app(waiting)
            with served(app) as base:
                service: MentoratService = app.state.service
                people = tokens(service, CALLERS)
                measured = asyncio.run(measure(app, base, people, service.store.position()))
            rows.append(row(name, measured))
    return rows


def row(store: str, m: Measured) -> Row:
    """One store's row: /healthz under the waits beside /healthz idle."""
    p99_idle, p99_loaded = percentile(m.idle, 99), percentile(m.loaded, 99)
    return (
        f"{store}: /healthz with {m.pending} `?after` reads waiting ({CALLERS} callers x {PER_CALLER}) vs idle",
        f"p50 {percentile(m.loaded, 50):.2f} / {percentile(m.idle, 50):.2f} ms, "
        f"p99 {p99_loaded:.2f} / {p99_idle:.2f} ms ({HEALTH} each); {m.threads} threads; "
        f"waits answered 200 once caught up: {m.answered}/{m.sent}",
        f"loaded/idle p99 {p99_loaded / p99_idle:.1f}x (target p99 < 50 ms)",
    )
