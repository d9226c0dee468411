"""The read side's delivery guarantees on both stores: idempotent, batch-size blind, stopping loudly, awaitable."""

from __future__ import annotations

import io
import json
import logging
import random
import time
from collections.abc import Iterator, Sequence
from datetime import date, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest
from eventsourcing.persistence import StoredEvent

from application.authorization import Caller
from application.mentorat import Mentorat
from application.service import MentoratService
from bootstrap.read_side import NAMES, ReadSide
from bootstrap.service import build_service
from bootstrap.settings import Settings
from bootstrap.store_env import SQLITE_FILE
from demo.run import run_demo
from projections.follower import Follower
from projections.read_model import ProjectionError
from tests.support import FakeClock, invited

SEED = 20260105
START = date(2026, 1, 1)
MARKER = "PAYLOAD-MARKER-5c1f0e"  # confidential text: must never reach an error message or a log
Dump = dict[str, list[dict[str, Any]]]


# -- histories -------------------------------------------------------------------------------------


def demo_events(tmp_path_factory: pytest.TempPathFactory) -> list[StoredEvent]:
    """The demo's stored events (every event type, ~1,770); the demo runs once per test session."""
    directory = tmp_path_factory.getbasetemp() / "mentorat-demo"
    if not (directory / SQLITE_FILE).exists():
        out = io.StringIO()
        assert run_demo(directory, out) == 0, out.getvalue()
    service = build_service(Settings(data_dir=directory, database_url=None))
    try:
        notifications = service.store.recorder.select_notifications(0, 1_000_000)
    finally:
        service.close()
    return [StoredEvent(n.originator_id, n.originator_version, n.topic, n.state) for n in notifications]


@pytest.fixture(scope="session")
def demo_history(tmp_path_factory: pytest.TempPathFactory) -> list[StoredEvent]:
    """The demo's events, to copy into the store under test as a migration script would."""
    return demo_events(tmp_path_factory)


def copy_events(store: Mentorat, events: Sequence[StoredEvent], chunk: int = 500) -> int:
    """Append events through the recorder, a chunk per transaction; answer the store's position after them."""
    for start in range(0, len(events), chunk):
        store.recorder.insert_events(list(events[start : start + chunk]))
    return store.position()


def join(service: MentoratService, coordinator: Caller, role: str) -> Caller:
    """Register, invite and redeem a participant; answer them authenticated."""
    email = f"{uuid4().hex}@example.org"
    registered = service.participants.register(coordinator, coordinator.programme_id, role, role.title(), email, "fr")
    code = invited(service, coordinator, registered.aggregate_id)
    return service.participants.authenticate(service.participants.redeem(code).data["token"])


def lived_programme(service: MentoratService, clock: FakeClock) -> Iterator[None]:
    """A programme's life through the real application, one command per step, every event type of section 2."""
    participants, mentorships = service.participants, service.mentorships
    created = participants.create_programme("Programme", "Coordinator", None)
    coordinator = participants.authenticate(created["coordinator_token"])
    programme = coordinator.programme_id
    yield
    mentor, mentee, other = (join(service, coordinator, role) for role in ("mentor", "mentee", "mentee"))
    yield
    withdrawn = mentorships.draft(coordinator, programme, mentor.id, other.id, START, None).aggregate_id
    yield
    mentorships.withdraw(coordinator, withdrawn)
    participants.deactivate(coordinator, other.id)
    yield
    m = mentorships.draft(coordinator, programme, mentor.id, mentee.id, START, None).aggregate_id
    objective = UUID(mentorships.add_objective(mentee, m, f"{MARKER} objective").data["objective_id"])
    yield
    mentorships.sign(mentor, m)
    yield
    mentorships.sign(mentee, m)
    meeting = UUID(mentorships.schedule_meeting(mentor, m, clock.now + timedelta(days=1)).data["meeting_id"])
    yield
    mentorships.submit_agenda(mentee, m, meeting, f"{MARKER} agenda")
    clock.advance(days=2)
    held = mentorships.hold_meeting(mentor, m, meeting, clock.now - timedelta(days=1), 75, MARKER, clock.now)
    yield
    mentorships.cancel_meeting(mentee, m, UUID(held.data["next_meeting_id"]), False, MARKER)
    second = UUID(mentorships.schedule_meeting(mentee, m, clock.now + timedelta(days=3)).data["meeting_id"])
    yield
    mentorships.reschedule_meeting(mentor, m, second, clock.now + timedelta(days=4))
    mentorships.cancel_meeting(mentor, m, second, True, None)
    yield
    mentorships.report_satisfaction(mentor, m, 4, MARKER)
    mentorships.report_satisfaction(mentee, m, 2, None)
    yield
    settled = UUID(mentorships.raise_dispute(mentee, m, f"{MARKER} dispute").data["dispute_id"])
    mentorships.settle_dispute(mentor, m, settled)
    yield
    consulted = UUID(mentorships.raise_dispute(mentor, m, "another").data["dispute_id"])
    mentorships.consult_coordinator(coordinator, m, "dispute", consulted, "not_reconciled", MARKER)
    yield
    mentorships.assess_objective(mentee, m, objective, "attained")
    mentorships.record_disclosure(mentor, m, "required_by_law", "court")
    yield
    clock.advance(days=30)
    mentorships.consult_coordinator(coordinator, m, "early_end", None, "ending_agreed", None)
    yield
    mentorships.end(mentee, m, "no_longer_needed", MARKER)
    participants.erase(mentee.id)
    yield


def another_programme(service: MentoratService) -> None:
    """One more command, storing a few events (a programme, its coordinator, their credentials)."""
    service.participants.create_programme("Another", "Coordinator", None)


def live(service: MentoratService, clock: FakeClock) -> None:
    """Run the whole programme's life at once."""
    for _ in lived_programme(service, clock):
        pass


# -- read side helpers -----------------------------------------------------------------------------


def dump(read_side: ReadSide, names: Sequence[str] = NAMES) -> Dump:
    """Every row of every table of the read models, sorted by primary key."""
    tables: Dump = {}
    for name in names:
        view = read_side.views[name]
        for table in view.model.tables:
            tables[table.name] = sorted(view.query(f"SELECT * FROM {table.name}"), key=table.key_of)
    return tables


def advance(follower: Follower, rng: random.Random, sizes: Sequence[int], steps: int | None = None) -> None:
    """Project up to `steps` batches (every batch there is when None), each of a size drawn from `sizes`."""
    taken = 0
    while steps is None or taken < steps:
        follower.batch_size = rng.choice(sizes)
        if not follower.step():
            return
        taken += 1


def poison(store: Mentorat, kind: str) -> StoredEvent:
    """An event no read model can process: an unknown topic, or a mentorship event of an unknown mentorship."""
    if kind == "unknown_topic":
        state = json.dumps({"text": MARKER}).encode()
        return StoredEvent(uuid4(), 1, "domain.mentorship:Mentorship.Vanished", state)
    added = next(
        n
        for n in store.recorder.select_notifications(0, 10_000)
        if n.topic.endswith("Mentorship.ObjectiveAdded")  # carries the objective's confidential text
    )
    return StoredEvent(uuid4(), added.originator_version, added.topic, added.state)


@pytest.fixture
def read_side(settings: Settings, service: MentoratService) -> Iterator[ReadSide]:
    """The read side over the store under test, not started."""
    side = ReadSide(service.store, settings)
    try:
        yield side
    finally:
        side.close()


# -- re-delivery -----------------------------------------------------------------------------------


def test_redelivered_events_change_nothing(
    read_side: ReadSide, service: MentoratService, demo_history: list[StoredEvent]
) -> None:
    """Events at or below the recorded position, or a batch read from a stale position, are not applied again."""
    # Given the first half of a realistic history, projected
    history = demo_history[:500]
    half = len(history) // 2
    position = copy_events(service.store, history[:half])
    assert read_side.catch_up() == dict.fromkeys(NAMES, position)
    projected = dump(read_side)
    assert all(projected[table] for table in projected), "every table holds rows"
    for name, view in read_side.views.items():
        batch = read_side.followers[name].source.read(0, len(history))
        # When the same batch is delivered again, through the position already recorded
        assert view.project(batch, through=position) == position
        assert view.project(batch, through=position, after=position) == position
        # And a batch read from a stale position arrives through a later position
        assert view.project(batch, through=position + 1, after=0) == position
        assert view.project(batch, through=position + 1, after=position - 1) == position
    # Then nothing changed
    assert dump(read_side) == projected
    assert read_side.positions() == dict.fromkeys(NAMES, position)

    # Given the rest of the history
    end = copy_events(service.store, history[half:])
    for name, view in read_side.views.items():
        batch = read_side.followers[name].source.read(0, len(history))
        # When the whole history is delivered as one batch overlapping what is already projected, twice
        assert view.project(batch, through=end, after=position) == end
        assert view.project(batch, through=end) == end
    overlapped = dump(read_side)
    # Then only the new events were applied: a rebuild from nothing gives the same rows
    assert read_side.rebuild() == dict.fromkeys(NAMES, end)
    assert dump(read_side) == overlapped


# -- batch sizes -----------------------------------------------------------------------------------


def test_incremental_projection_in_small_batches_equals_a_rebuild(
    read_side: ReadSide, service: MentoratService, clock: FakeClock, demo_history: list[StoredEvent]
) -> None:
    """Batches of 1 and 7 that lag behind commands and cut the history anywhere give a rebuild's rows."""
    rng = random.Random(SEED)
    followers = list(read_side.followers.values())
    # Given commands through the application, each read model projecting in batches of 1 or 7, sometimes lagging
    for _ in lived_programme(service, clock):
        for follower in followers:
            advance(follower, rng, (1, 7), steps=rng.randint(0, 2))
    # And a realistic history arriving in chunks, projected in batches of random sizes that lag behind
    chunks, start = [], 0
    while start < len(demo_history):
        size = rng.randint(100, 400)
        chunks.append(demo_history[start : start + size])
        start += size
    for chunk in chunks:
        copy_events(service.store, chunk)
        another_programme(service)  # commands keep coming between the chunks
        for follower in followers:
            advance(follower, rng, (7, 50, 250), steps=rng.randint(1, 2))
    for follower in followers:
        advance(follower, rng, (100, 500))
    assert read_side.positions() == dict.fromkeys(NAMES, service.store.position())
    incremental = dump(read_side)
    assert all(incremental[table] for table in incremental), "every table holds rows"
    # When every read model is rebuilt from scratch
    read_side.rebuild()
    # Then every table is the same, row for row
    assert dump(read_side) == incremental


# -- an event a projection cannot process ----------------------------------------------------------

AFFECTED = {"unknown_topic": NAMES, "unknown_mentorship": ("summary", "report")}


@pytest.mark.parametrize("kind", sorted(AFFECTED))
def test_an_event_it_cannot_process_stops_the_projection_at_its_position(
    read_side: ReadSide, service: MentoratService, clock: FakeClock, kind: str
) -> None:
    """The affected read models raise naming themselves and the position, keep what came before, and never skip."""
    # Given a programme's life, projected
    live(service, clock)
    read_side.catch_up()
    before = service.store.position()
    projected = dump(read_side)
    # When an event the projection cannot process is stored, then good events after it
    service.store.recorder.insert_events([poison(service.store, kind)])
    bad = service.store.position()
    another_programme(service)
    assert service.store.position() > bad
    for name in AFFECTED[kind]:
        follower = read_side.followers[name]
        for attempt in range(2):
            # Then catching up raises a ProjectionError naming the model and the exact position (twice: no skip)
            with pytest.raises(ProjectionError) as raised:
                follower.catch_up()
            error = raised.value
            assert (error.model, error.position) == (name, bad), attempt
            assert f"read model {name!r} stopped at position {bad}:" in str(error)
            # And the message holds nothing of the event's payload
            assert MARKER not in str(error) and MARKER not in repr(error)
            # And the position stays just before the event, with the rows of every event before it
            assert follower.view.position() == before
    affected = dump(read_side, AFFECTED[kind])
    assert affected == {table: projected[table] for table in affected}
    # And the read models that need nothing from the event go on past it
    for name in set(NAMES) - set(AFFECTED[kind]):
        assert read_side.followers[name].catch_up() == service.store.position()


@pytest.mark.parametrize("kind", sorted(AFFECTED))
def test_a_bad_event_inside_a_batch_keeps_the_events_before_it(
    read_side: ReadSide, service: MentoratService, clock: FakeClock, kind: str
) -> None:
    """When the bad event is in the middle of a batch, the events before it in that batch are still projected."""
    # Given a programme's life, projected
    live(service, clock)
    read_side.catch_up()
    # When more good events are stored, then one the projection cannot process (all in one batch's reach)
    another_programme(service)
    good = service.store.position()
    service.store.recorder.insert_events([poison(service.store, kind)])
    # Then the read models stop at the bad event, having applied every event before it
    for name in AFFECTED[kind]:
        with pytest.raises(ProjectionError) as raised:
            read_side.followers[name].catch_up()
        assert raised.value.position == good + 1
        assert read_side.views[name].position() == good


def test_a_started_follower_that_meets_a_bad_event_is_reported_and_waiting_fails_fast(
    settings: Settings,
    service: MentoratService,
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A follower thread stops on the event, the failure is logged by model and position only, waiters stop waiting."""
    side = ReadSide(service.store, settings.model_copy(update={"projection_poll_seconds": 0.1}))
    try:
        # Given followers running over a programme's life
        live(service, clock)
        side.start()
        before = service.store.position()
        assert side.wait_for(before, NAMES, timeout=10)
        # When an event they cannot process is stored, then good ones
        with caplog.at_level(logging.INFO, logger="mentorat.projections"):
            service.store.recorder.insert_events([poison(service.store, "unknown_topic")])
            bad = service.store.position()
            another_programme(service)
            started = time.monotonic()
            # Then waiting for the later events answers False well before its timeout
            assert not side.wait_for(service.store.position(), NAMES, timeout=20)
            assert time.monotonic() - started < 10
            deadline = time.monotonic() + 10
            while len(side.failures) < len(NAMES) and time.monotonic() < deadline:
                time.sleep(0.05)
            side.stop()  # the threads have logged what they had to
        # And every follower stopped at that position, before it
        assert sorted((e.model, e.position) for e in side.failures) == sorted((name, bad) for name in NAMES)
        assert side.positions() == dict.fromkeys(NAMES, before)
        # And the log names the model and the position, never the payload
        critical = [r.getMessage() for r in caplog.records if r.levelno == logging.CRITICAL]
        assert sorted(critical) == sorted(f"read model {name} stopped at position {bad}" for name in NAMES)
        assert all(MARKER not in record.getMessage() for record in caplog.records)
    finally:
        side.close()


# -- waiting for a position ------------------------------------------------------------------------


def test_waiting_for_a_position_answers_once_started_followers_include_it(
    settings: Settings, service: MentoratService, clock: FakeClock
) -> None:
    """`wait_for` wakes the followers and answers True when all include the position, False for a future one."""
    # Given followers that would poll only every 30 s, started before the events exist
    side = ReadSide(service.store, settings.model_copy(update={"projection_poll_seconds": 30.0}))
    side.start()
    try:
        # When commands store events
        live(service, clock)
        position = service.store.position()
        # Then waiting for their position answers True once every read model includes it, long before a poll
        assert side.wait_for(position, NAMES, timeout=10)
        assert side.positions() == dict.fromkeys(NAMES, position)
        # And the read models hold the awaited events (the last one, the erasure, is on the timeline)
        assert side.view("timeline").query("SELECT max(position) AS p FROM timeline_entry")[0]["p"] == position
        # And waiting for a position that does not exist yet answers False after the timeout
        started = time.monotonic()
        assert not side.wait_for(position + 1_000, NAMES, timeout=0.3)
        assert 0.3 <= time.monotonic() - started < 3
        # And a single read model can be waited for alone
        another_programme(service)
        assert side.wait_for(service.store.position(), ["directory"], timeout=10)
    finally:
        side.close()
