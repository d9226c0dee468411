"""Racing commands on PostgreSQL (contract v1, conditional commands): the events stored are exactly the 201s'."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from application.service import MentoratService
from bootstrap.settings import Settings
from domain.mentorship import Mentorship
from domain.participant import Participant
from tests.api.conftest import FUTURE_MEETING, START, World, build_world, created, service_of
from tests.conftest import postgres_url
from tests.support import FakeClock, ports

pytestmark = pytest.mark.postgres
WORKERS = 32  # writers racing on one mentorship


@pytest.fixture
def pg_client(pg_schema: str, clock: FakeClock) -> Iterator[TestClient]:
    """The app over PostgreSQL with a pool big enough for every worker."""
    settings = Settings(database_url=postgres_url(), database_schema=pg_schema, pool_size=WORKERS, max_overflow=8)
    with TestClient(create_app(settings.model_copy(update={"projections": False}), ports(clock))) as client:
        yield client


@pytest.fixture
def pg_world(pg_client: TestClient) -> World:
    return build_world(pg_client, service_of(pg_client))


def race(count: int, send: Callable[[int], httpx.Response]) -> list[httpx.Response]:
    """Send `count` requests at once (a barrier releases every worker together); their answers in order."""
    barrier = threading.Barrier(count)

    def one(i: int) -> httpx.Response:
        barrier.wait(timeout=30)
        return send(i)

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(one, range(count)))


def slug(response: httpx.Response) -> str:
    body: dict[str, Any] = response.json()
    return str(body["type"]).rsplit("/", 1)[-1]


def scheduled_meetings(service: MentoratService, mentorship_id: str) -> list[uuid.UUID]:
    """The ids of every MeetingScheduled event stored for the mentorship."""
    events = service.store.events.get(uuid.UUID(mentorship_id))
    return [e.meeting_id for e in events if isinstance(e, Mentorship.MeetingScheduled)]


def test_racing_commands_with_the_same_if_match_exactly_one_wins(pg_client: TestClient, pg_world: World) -> None:
    service, w = service_of(pg_client), pg_world
    path = f"/v1/mentorships/{w.mentorship_id}/meetings"
    for _ in range(3):
        version = service.mentorships.get(uuid.UUID(w.mentorship_id)).version
        before = scheduled_meetings(service, w.mentorship_id)
        position = service.store.position()
        headers = {**w.mentee, "If-Match": f'"{version}"'}

        def schedule(_: int, h: dict[str, str] = headers) -> httpx.Response:
            response: httpx.Response = pg_client.post(path, json={"scheduled_for": FUTURE_MEETING}, headers=h)
            return response

        answers = race(WORKERS, schedule)
        statuses = [a.status_code for a in answers]
        assert all(s < 500 for s in statuses), [(a.status_code, a.text) for a in answers]
        winners = [a for a in answers if a.status_code == 201]
        assert len(winners) == 1, statuses
        losers = [a for a in answers if a.status_code != 201]
        assert all(
            (a.status_code, slug(a)) in {(412, "precondition-failed"), (409, "version-conflict")} for a in losers
        ), [(a.status_code, a.text) for a in losers]
        assert all(a.headers["content-type"] == "application/problem+json" for a in losers)
        after = scheduled_meetings(service, w.mentorship_id)
        assert after[: len(before)] == before
        assert after[len(before) :] == [uuid.UUID(winners[0].json()["meeting_id"])]
        assert service.mentorships.get(uuid.UUID(w.mentorship_id)).version == version + 1
        assert winners[0].headers["ETag"] == f'"{version + 1}"'
        # positions may skip the numbers losers drew from PostgreSQL's sequence; the winner's is the latest
        assert service.store.position() == winners[0].json()["position"] > position


def test_racing_commands_without_if_match_store_exactly_the_201s(pg_client: TestClient, pg_world: World) -> None:
    service, w = service_of(pg_client), pg_world
    path = f"/v1/mentorships/{w.mentorship_id}/meetings"
    successes = conflicts = 0
    for _ in range(4):
        before = scheduled_meetings(service, w.mentorship_id)
        version = service.mentorships.get(uuid.UUID(w.mentorship_id)).version
        answers = race(
            WORKERS, lambda _: pg_client.post(path, json={"scheduled_for": FUTURE_MEETING}, headers=w.mentor)
        )
        wrong = [
            (a.status_code, a.text)
            for a in answers
            if a.status_code != 201 and (a.status_code, slug(a)) != (409, "version-conflict")
        ]
        assert not wrong, wrong
        winners = [a for a in answers if a.status_code == 201]
        successes += len(winners)
        conflicts += len(answers) - len(winners)
        stored = scheduled_meetings(service, w.mentorship_id)[len(before) :]
        assert len(stored) == len(winners)
        assert sorted(stored) == sorted(uuid.UUID(a.json()["meeting_id"]) for a in winners)
        assert sorted(a.json()["version"] for a in winners) == list(range(version + 1, version + 1 + len(winners)))
        assert service.mentorships.get(uuid.UUID(w.mentorship_id)).version == version + len(winners)
    assert successes >= 4
    assert successes + conflicts == 4 * WORKERS


def test_racing_retries_with_one_idempotency_key_run_the_command_once(pg_client: TestClient, pg_world: World) -> None:
    service, w = service_of(pg_client), pg_world
    path = f"/v1/mentorships/{w.mentorship_id}/meetings"
    for round_ in range(3):
        before = scheduled_meetings(service, w.mentorship_id)
        headers = {**w.mentee, "Idempotency-Key": f"race-{round_}"}

        def retry(_: int, h: dict[str, str] = headers) -> httpx.Response:
            response: httpx.Response = pg_client.post(path, json={"scheduled_for": FUTURE_MEETING}, headers=h)
            return response

        answers = race(WORKERS, retry)
        ran = [a for a in answers if a.status_code == 201]
        busy = [a for a in answers if a.status_code != 201]
        assert ran, [(a.status_code, a.text) for a in answers]
        assert all((a.status_code, slug(a)) == (409, "idempotency-key-in-use") for a in busy), [a.text for a in busy]
        assert all(a.json() == ran[0].json() for a in ran)  # the first answer, replayed
        stored = scheduled_meetings(service, w.mentorship_id)[len(before) :]
        assert stored == [uuid.UUID(ran[0].json()["meeting_id"])]


def drafted_mentees(service: MentoratService, since: int) -> list[uuid.UUID]:
    """The mentee of every ConventionDrafted stored after position `since`."""
    notifications = service.store.recorder.select_notifications(start=since + 1, limit=10_000)
    events = [service.store.mapper.to_domain_event(n) for n in notifications]
    return [e.mentee_id for e in events if isinstance(e, Mentorship.ConventionDrafted)]


def test_concurrent_drafts_for_one_mentee_only_one_succeeds(pg_client: TestClient, pg_world: World) -> None:
    service, w = service_of(pg_client), pg_world
    mentors = [
        created(
            pg_client.post(
                f"/v1/programmes/{w.programme_id}/participants",
                json={"role": "mentor", "name": f"Mentor {i}", "email": f"m{i}@example.org", "language": "fr"},
                headers=w.coordinator,
            )
        )["id"]
        for i in range(4)
    ]
    for round_ in range(4):
        mentee = created(
            pg_client.post(
                f"/v1/programmes/{w.programme_id}/participants",
                json={
                    "role": "mentee",
                    "name": f"Mentee {round_}",
                    "email": f"e{round_}@example.org",
                    "language": "en",
                },
                headers=w.coordinator,
            )
        )["id"]
        position = service.store.position()
        count = 2 if round_ == 0 else 8

        def draft(i: int, mentee: str = mentee) -> httpx.Response:
            body = {"mentor_id": mentors[i % len(mentors)], "mentee_id": mentee, "starts_on": START}
            path = f"/v1/programmes/{w.programme_id}/mentorships"
            response: httpx.Response = pg_client.post(path, json=body, headers=w.coordinator)
            return response

        answers = race(count, draft)
        winners = [a for a in answers if a.status_code == 201]
        assert len(winners) == 1, [(a.status_code, a.text) for a in answers]
        losers = [(a.status_code, slug(a)) for a in answers if a.status_code != 201]
        assert set(losers) <= {(409, "mentee-has-convention"), (409, "version-conflict")}, losers
        assert drafted_mentees(service, position) == [uuid.UUID(mentee)]
        participant = service.store.load(Participant, uuid.UUID(mentee))
        assert participant.convention_id == uuid.UUID(winners[0].json()["id"])
