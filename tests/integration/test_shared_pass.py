"""One read of the log for every read model, both stores: models at different positions, decoding, failures, locks."""

from __future__ import annotations

import json
import random
import time
from typing import Any
from uuid import uuid4

import psycopg
import pytest
from eventsourcing.persistence import Mapper, StoredEvent

from application.service import MentoratService
from bootstrap.read_side import NAMES, ReadSide
from bootstrap.settings import Settings
from projections.coordination import lock_key
from projections.read_model import ProjectionError
from projections.views import PostgresReadView
from tests.conftest import postgres_url
from tests.integration.test_projections import (
    MARKER,
    advance,
    another_programme,
    copy_events,
    demo_events,
    dump,
    live,
    poison,
    read_side,
)
from tests.support import FakeClock

SEED = 1207
__all__ = ["read_side"]  # the read side fixture, shared with the delivery guarantees' tests


@pytest.fixture(scope="module")
def demo_history(tmp_path_factory: pytest.TempPathFactory) -> list[StoredEvent]:
    """The demo's events (the demo runs once per session)."""
    return demo_events(tmp_path_factory)


class CountingMapper:
    """The read side's keyless mapper, counting the notifications it decodes."""

    def __init__(self, mapper: Mapper[Any]) -> None:
        self.mapper = mapper
        self.decoded: list[int] = []

    def to_domain_event(self, stored: Any) -> Any:
        """Decode, noting the position."""
        self.decoded.append(stored.id)
        return self.mapper.to_domain_event(stored)


def counting(read_side: ReadSide) -> CountingMapper:
    """Count what the shared pass decodes from now on."""
    counter = CountingMapper(read_side.shared.mapper)
    read_side.shared.mapper = counter  # type: ignore[assignment]
    return counter


def test_models_at_different_positions_catch_up_in_one_pass_equal_to_a_rebuild(
    read_side: ReadSide, service: MentoratService, demo_history: list[StoredEvent]
) -> None:
    """The batch starts at the lowest position, each model drops what it has, and each notification is decoded once."""
    rng = random.Random(SEED)
    # Given a realistic history, and the read models left at different positions by their own followers
    end = copy_events(service.store, demo_history[:900])
    read_side.followers["summary"].batch_size = 300
    read_side.followers["summary"].step()
    advance(read_side.followers["directory"], rng, (7, 50), steps=4)
    advance(read_side.followers["access"], rng, (100,))
    positions = read_side.positions()
    assert len(set(positions.values())) >= 3 and positions["access"] == end, positions
    # When every read model catches up in one shared pass, in small batches
    read_side.shared.batch_size = 64
    counter = counting(read_side)
    assert read_side.catch_up() == dict.fromkeys(NAMES, end)
    # Then no notification was decoded twice, and none at or below every model's position
    assert len(counter.decoded) == len(set(counter.decoded))
    assert min(counter.decoded) > min(positions.values())
    # And every table equals a rebuild from nothing
    caught_up = dump(read_side)
    assert read_side.rebuild() == dict.fromkeys(NAMES, end)
    assert dump(read_side) == caught_up


def test_an_event_no_model_folds_is_not_decoded(
    read_side: ReadSide, service: MentoratService, clock: FakeClock
) -> None:
    """A notification whose class no model folds is passed over undecoded; one that some model folds is decoded once."""
    # Given a programme's life, and then a credential event (no read model folds one) whose state is not JSON
    live(service, clock)
    service.store.recorder.insert_events(
        [StoredEvent(uuid4(), 1, "domain.credential:Credential.CredentialUsed", b"\xff not json")]
    )
    unread = service.store.position()
    another_programme(service)
    # When every read model catches up
    counter = counting(read_side)
    assert read_side.catch_up() == dict.fromkeys(NAMES, service.store.position())
    # Then that notification was never decoded, and credential events in general were not
    assert unread not in counter.decoded
    topics = {n.id: n.topic for n in service.store.recorder.select_notifications(0, 100_000)}
    assert not [p for p in counter.decoded if topics[p].startswith("domain.credential:")]
    assert sorted(counter.decoded) == sorted(set(counter.decoded))


def test_a_model_that_fails_stops_at_the_event_and_the_others_go_past_it(
    read_side: ReadSide, service: MentoratService, clock: FakeClock
) -> None:
    """A mentorship event of an unknown mentorship stops summary and report there; the others reach the end."""
    live(service, clock)
    read_side.catch_up()
    before = service.store.position()
    projected = dump(read_side, ("summary", "report"))
    # Given a bad event for two of the models, then good events after it
    service.store.recorder.insert_events([poison(service.store, "unknown_mentorship")])
    bad = service.store.position()
    another_programme(service)
    for attempt in range(2):
        # When the read models catch up in one pass (twice: the bad event is never skipped)
        with pytest.raises(ProjectionError) as raised:
            read_side.catch_up()
        # Then the first failing model is named with the position, and nothing of the payload
        assert (raised.value.model, raised.value.position) == ("summary", bad), attempt
        assert MARKER not in str(raised.value)
        # And the failing models stay just before it, with their rows; the others went on to the end
        positions = read_side.positions()
        assert positions == {**dict.fromkeys(NAMES, service.store.position()), "summary": before, "report": before}
    assert dump(read_side, ("summary", "report")) == projected


def test_the_background_pass_keeps_going_for_the_others_and_records_the_failure(
    read_side: ReadSide, service: MentoratService, clock: FakeClock
) -> None:
    """In the background, a failing model is kept in `failures`; the others still follow new events."""
    live(service, clock)
    before = service.store.position()
    service.store.recorder.insert_events([poison(service.store, "unknown_mentorship")])
    bad = service.store.position()
    read_side.start()
    try:
        others = [name for name in NAMES if name not in ("summary", "report")]
        deadline = time.monotonic() + 60
        while len(read_side.failures) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert sorted((f.model, f.position) for f in read_side.failures) == [("report", bad), ("summary", bad)]
        another_programme(service)
        assert read_side.wait_for(service.store.position(), others, timeout=60)
        assert read_side.positions(["summary", "report"]) == dict.fromkeys(["summary", "report"], before)
    finally:
        read_side.stop()


@pytest.mark.postgres
def test_a_model_held_by_another_process_is_not_written(
    settings: Settings, read_side: ReadSide, service: MentoratService, clock: FakeClock
) -> None:
    """The pass drives only the models whose lock this process holds; it takes a model over once released."""
    if not read_side.postgres:
        pytest.skip("the advisory locks are PostgreSQL's")
    live(service, clock)
    schema = settings.database_schema or "public"
    with psycopg.connect(postgres_url(), autocommit=True) as other:
        # Given another process holding the summary's lock
        other.execute("SELECT pg_advisory_lock(%s)", (lock_key(schema, "summary"),))
        read_side.start()
        try:
            # When the projector runs here and new events arrive
            another_programme(service)
            end = service.store.position()
            others = [name for name in NAMES if name != "summary"]
            assert read_side.wait_for(end, others, timeout=60)
            # Then the summary was not written here
            assert read_side.positions(["summary"]) == {"summary": 0}
            # When the other process lets it go, this one takes it over and catches up
            other.execute("SELECT pg_advisory_unlock(%s)", (lock_key(schema, "summary"),))
            assert read_side.wait_for(end, ["summary"], timeout=60)
        finally:
            read_side.stop()


def test_an_unknown_topic_is_everyones_and_stops_every_model(
    read_side: ReadSide, service: MentoratService, clock: FakeClock
) -> None:
    """A topic that names no class cannot be filtered out: every model stops just before it."""
    live(service, clock)
    read_side.catch_up()
    before = service.store.position()
    service.store.recorder.insert_events(
        [StoredEvent(uuid4(), 1, "domain.nowhere:Vanished", json.dumps({"text": MARKER}).encode())]
    )
    another_programme(service)
    with pytest.raises(ProjectionError):
        read_side.catch_up()
    assert read_side.positions() == dict.fromkeys(NAMES, before)


def test_bulk_upserts_write_the_rows_executemany_writes(
    read_side: ReadSide, service: MentoratService, demo_history: list[StoredEvent], monkeypatch: pytest.MonkeyPatch
) -> None:
    """On PostgreSQL many rows go in one statement over arrays: the tables equal those written row by row."""
    if not read_side.postgres:
        pytest.skip("the array upsert is PostgreSQL's")
    copy_events(service.store, demo_history[:1200])
    monkeypatch.setattr(PostgresReadView, "bulk_from", 10**9)
    read_side.rebuild()
    row_by_row = dump(read_side)
    monkeypatch.setattr(PostgresReadView, "bulk_from", 1)  # every table of every batch, updates of rows included
    read_side.rebuild()
    assert dump(read_side) == row_by_row
    read_side.shared.batch_size = 97  # batches that update rows written by an earlier one
    read_side.rebuild()
    assert dump(read_side) == row_by_row


def test_models_join_and_leave_the_pass_as_their_locks_come_and_go(
    read_side: ReadSide, service: MentoratService, demo_history: list[StoredEvent]
) -> None:
    """Asked before each batch, a model now held joins the running pass; one no longer held is not written again."""
    end = copy_events(service.store, demo_history[:900])
    read_side.shared.batch_size = 100
    asked: list[int] = []

    def held() -> list[str]:
        asked.append(1)
        if len(asked) == 1:
            return ["directory", "access"]  # the others' locks are not taken yet
        if len(asked) == 3:
            return [name for name in NAMES if name != "access"]  # the summary's and others' taken
        return [name for name in NAMES if name != "access"] if len(asked) > 3 else ["directory", "access"]

    outcome = read_side.shared.catch_up((), held)
    assert not outcome.failures
    left = read_side.positions(["access"])["access"]
    # Then the access log stopped where it was when its lock went, after two batches; every other model reached the end
    assert left == 200
    assert read_side.positions([n for n in NAMES if n != "access"]) == dict.fromkeys(
        [n for n in NAMES if n != "access"], end
    )
    caught_up = dump(read_side, [n for n in NAMES if n != "access"])
    read_side.rebuild()
    assert dump(read_side, [n for n in NAMES if n != "access"]) == caught_up
