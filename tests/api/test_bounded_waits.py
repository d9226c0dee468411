"""Bounded waits (MISSION section 5, v1.1): `?after` beyond the store is 422 at once; waits hold no worker thread;
at most 8 pending per caller and 64 per process, the rest 503 `not-ready` with `Retry-After` at once.

Over a real socket (uvicorn in a thread), on both stores, with the projections off so that reads really wait:
each test brings the read models up to date itself (`read_side.catch_up()`), as a projector would.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
from fastapi import FastAPI

from api.app import create_app
from application.service import MentoratService
from bootstrap.settings import Settings
from tests.api.conftest import PROBLEM_JSON, bearer, serve
from tests.support import FakeClock, ports

BEYOND = "beyond_store_position"
BEYOND_STORE = {"field": "after", "code": BEYOND, "location": "query", "reason": BEYOND}

MAX_THREADS = 50
SANITY = 20.0  # seconds: "at once" means long before any wait would time out (waits here are given 60 s)


@dataclass(frozen=True)
class Person:
    """A caller: their id and authorization header."""

    id: str
    headers: dict[str, str]

    @property
    def history(self) -> str:
        """Their own history (the timeline read model): anyone may read their own."""
        return f"/v1/participants/{self.id}/history"


@dataclass(frozen=True)
class Running:
    """The app under uvicorn with its projections off, its callers, and the store's position after they joined."""

    app: FastAPI
    base: str
    people: list[Person]
    position: int

    @property
    def pending(self) -> int:
        """The reads waiting in the server now."""
        waits = getattr(self.app.state, "read_waits", None)
        return 0 if waits is None else int(waits.pending)

    def catch_up(self) -> None:
        """Bring the read models up to date, as a projector would."""
        self.app.state.read_side.catch_up()


def join(service: MentoratService, count: int) -> list[Person]:
    """A programme's coordinator and `count - 1` mentees, each with a token of their own."""
    created = service.participants.create_programme("Programme", "Coordinator", None)
    coordinator = service.participants.authenticate(created["coordinator_token"])
    people = [Person(created["coordinator_id"], bearer(created["coordinator_token"]))]
    for n in range(count - 1):
        registered = service.participants.register(
            coordinator, coordinator.programme_id, "mentee", f"Mentee {n}", f"mentee{n}@example.org", "fr"
        )
        code = service.participants.invite_as_operator(registered.aggregate_id).data["code"]
        token = service.participants.redeem(code).data["token"]
        people.append(Person(str(registered.aggregate_id), bearer(token)))
    return people


@contextmanager
def running(settings: Settings, clock: FakeClock, callers: int, **overrides: Any) -> Iterator[Running]:
    unprojected = settings.model_copy(update={"projections": False, "read_wait_seconds": 60, **overrides})
    app = create_app(unprojected, ports(clock))
    with serve(app) as base:
        service: MentoratService = app.state.service
        people = join(service, callers)
        yield Running(app, base, people, service.store.position())


def client(base: str) -> httpx.AsyncClient:
    """One connection per request in flight: the server sees them all at once."""
    limits = httpx.Limits(max_connections=None, max_keepalive_connections=None)
    return httpx.AsyncClient(base_url=base, timeout=120, limits=limits)


async def until_pending(run: Running, count: int) -> None:
    """Wait (in the test's loop) until `count` reads are waiting in the server."""
    deadline = time.monotonic() + SANITY
    while run.pending != count:
        assert time.monotonic() < deadline, f"{run.pending} reads waiting, not {count}"
        await asyncio.sleep(0.005)


def assert_not_ready(response: httpx.Response) -> None:
    """503 `not-ready` problem+json with a `Retry-After` delay."""
    assert response.status_code == 503, (response.status_code, response.text)
    assert response.headers["content-type"].split(";")[0] == PROBLEM_JSON
    assert response.json()["type"].endswith("/not-ready")
    assert response.headers.get("retry-after", "").isdigit(), response.headers


def assert_history(response: httpx.Response) -> None:
    """200 with the participant's history (the read model caught up)."""
    assert response.status_code == 200, (response.status_code, response.text)
    assert response.json()["items"], response.text


def test_a_position_beyond_the_store_is_refused_at_once(settings: Settings, clock: FakeClock) -> None:
    """422 naming `after`, never its value, and nothing left waiting."""
    with running(settings, clock, callers=1) as run:
        (person,) = run.people
        far = run.position + 1_000_007

        async def scenario() -> None:
            async with client(run.base) as http:
                for at in (run.position + 1, far, 2**62):
                    started = time.monotonic()
                    response = await http.get(person.history, params={"after": at}, headers=person.headers)
                    assert time.monotonic() - started < SANITY
                    assert response.status_code == 422, (at, response.status_code, response.text)
                    assert response.headers["content-type"].split(";")[0] == PROBLEM_JSON
                    body = response.json()
                    assert body["type"].endswith("/validation-error")
                    assert body["errors"] == [BEYOND_STORE]
                    assert str(at) not in response.text
                    assert run.pending == 0

        asyncio.run(scenario())


def test_a_callers_ninth_wait_is_refused_at_once_and_waits_complete_when_the_projection_catches_up(
    settings: Settings, clock: FakeClock
) -> None:
    with running(settings, clock, callers=2) as run:
        first, second = run.people

        async def scenario() -> None:
            async with client(run.base) as http:
                # Given 8 reads of the first caller waiting for the position the store has reached
                waiting = [
                    asyncio.create_task(http.get(first.history, params={"after": run.position}, headers=first.headers))
                    for _ in range(8)
                ]
                await until_pending(run, 8)
                # When they ask a ninth time: 503 at once; another caller may still wait
                assert_not_ready(await http.get(first.history, params={"after": run.position}, headers=first.headers))
                waiting.append(
                    asyncio.create_task(
                        http.get(second.history, params={"after": run.position}, headers=second.headers)
                    )
                )
                await until_pending(run, 9)
                assert not any(task.done() for task in waiting)
                # Then, once the read models include the position, every wait answers 200
                run.catch_up()
                for response in await asyncio.gather(*waiting):
                    assert_history(response)
                assert run.pending == 0

        asyncio.run(scenario())


def test_beyond_64_pending_waits_in_the_process_reads_are_refused_at_once(settings: Settings, clock: FakeClock) -> None:
    with running(settings, clock, callers=9) as run:
        *eight, ninth = run.people

        async def scenario() -> None:
            async with client(run.base) as http:
                # Given 8 callers with 8 reads each waiting: 64 in all
                waiting = [
                    asyncio.create_task(http.get(p.history, params={"after": run.position}, headers=p.headers))
                    for p in eight
                    for _ in range(8)
                ]
                await until_pending(run, 64)
                # When a ninth caller, who has no wait of their own, reads: 503 at once
                assert_not_ready(await http.get(ninth.history, params={"after": run.position}, headers=ninth.headers))
                # Then a read that needs no wait is still served, and the 64 complete once caught up
                served = await http.get(ninth.history, headers=ninth.headers)
                assert served.status_code == 200, served.text
                assert not any(task.done() for task in waiting)
                run.catch_up()
                for response in await asyncio.gather(*waiting):
                    assert_history(response)

        asyncio.run(scenario())


def test_a_wait_that_outlasts_its_bound_is_not_ready(settings: Settings, clock: FakeClock) -> None:
    with running(settings, clock, callers=1, read_wait_seconds=0.3) as run:
        (person,) = run.people

        async def scenario() -> None:
            async with client(run.base) as http:
                response = await http.get(person.history, params={"after": run.position}, headers=person.headers)
                assert_not_ready(response)
                assert run.pending == 0

        asyncio.run(scenario())


def test_200_waiting_reads_from_many_callers_hold_no_worker_thread(settings: Settings, clock: FakeClock) -> None:
    """200 reads from 10 callers at once: 64 wait (8 per caller at most), 136 are refused at once; meanwhile
    `/healthz` and `/v1/me` (a route that needs a worker thread) answer, and the process stays under 50 threads."""
    with running(settings, clock, callers=10) as run:
        threads: list[int] = []

        async def count_threads(stop: asyncio.Event) -> None:
            while not stop.is_set():
                threads.append(threading.active_count())
                await asyncio.sleep(0.005)

        async def scenario() -> None:
            stop = asyncio.Event()
            counting = asyncio.create_task(count_threads(stop))
            async with client(run.base) as http:
                reads = [
                    (person, asyncio.create_task(http.get(person.history, params={"after": run.position}, headers=h)))
                    for person in run.people
                    for h in [person.headers] * 20
                ]
                await until_pending(run, 64)
                deadline = time.monotonic() + SANITY
                while sum(task.done() for _, task in reads) < 136:
                    assert time.monotonic() < deadline, "the refusals did not come at once"
                    await asyncio.sleep(0.005)
                # While 64 reads wait, the server answers the rest
                for person in run.people * 2:
                    health = await http.get("/healthz")
                    assert health.status_code == 200 and health.json() == {"status": "ok"}
                    me = await http.get("/v1/me", headers=person.headers)
                    assert me.status_code == 200 and me.json()["id"] == person.id
                assert run.pending == 64
                refused = [task.result() for _, task in reads if task.done()]
                assert len(refused) == 136
                for response in refused:
                    assert_not_ready(response)
                # Once the read models catch up, every waiting read answers 200; no caller had more than 8
                waited = [(person, task) for person, task in reads if not task.done()]
                run.catch_up()
                served: dict[str, int] = {}
                for person, task in waited:
                    assert_history(await task)
                    served[person.id] = served.get(person.id, 0) + 1
                assert len(waited) == 64 and max(served.values()) <= 8, served
            stop.set()
            await counting

        asyncio.run(scenario())
        assert max(threads) < MAX_THREADS, f"{max(threads)} threads: {[t.name for t in threading.enumerate()]}"
