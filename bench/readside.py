"""The read side on PostgreSQL: catch-up against the library's runner, freshness after a command, query cost.

One run, one fresh schema (and a scratch one for the library's copy of the summary), dropped afterwards:
seed a simulated population up to the catch-up's event count, time the summary's catch-up both ways, let the
simulation run on until every mentorship is drafted, bring all read models up to date, then serve the app
under uvicorn (its lifespan starts the in-process projections) and measure over the socket.
Sizes come from `MENTORAT_BENCH_*` variables (see `Sizes`).
"""

from __future__ import annotations

import os
import random
import secrets
import statistics
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, fields
from datetime import UTC, datetime, timedelta
from uuid import UUID

import psycopg

from application.access_index_build import build_access_index
from application.service import MentoratService
from bench import catchup, jitter, serving
from bench.commands import served
from bench.population import populate
from bench.seeding import CopyWriter
from bench.simulation import Simulation
from bootstrap.read_side import ReadSide
from bootstrap.service import build_service
from bootstrap.settings import Settings
from bootstrap.store_env import store_env
from domain.mentorship import ACTIVE
from infrastructure.access_index_tables import INDEX_STATE

PG_URL = os.environ.get("MENTORAT_BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
SEED = 2026
Row = tuple[str, str, str]


@dataclass(frozen=True)
class Sizes:
    """How much to seed and measure; each field reads `MENTORAT_BENCH_<FIELD>` when set."""

    events: int = 200_000  # catch-up: our follower projects them all
    library_events: int = 20_000  # catch-up: the library's runner is timed over the first ones only
    library_timeout: int = 60  # seconds the library's runner is given for them
    mentorships: int = 10_000  # in the store when the queries run
    programmes: int = 10
    commands: int = 1_000  # freshness: commands on distinct mentorships
    queries: int = 1_000  # per query: rounds of /healthz + the query ...
    query_seconds: int = 60  # ... stopping early once this long has passed
    batch_size: int = 1_000  # our follower's batch (the settings' default)

    @classmethod
    def from_env(cls) -> Sizes:
        """The defaults, overridden by the environment."""
        found = {f.name: os.environ.get(f"MENTORAT_BENCH_{f.name.upper()}") for f in fields(cls)}
        return cls(**{name: int(value) for name, value in found.items() if value})


@contextmanager
def fresh_schema() -> Iterator[tuple[Settings, str]]:
    """Settings for a PostgreSQL schema of this run's own, and a scratch schema; both dropped afterwards."""
    schema = "mentorat_readside_" + secrets.token_hex(4)
    scratch = schema + "_library"
    try:
        with psycopg.connect(PG_URL, autocommit=True) as conn:
            conn.execute(f"CREATE SCHEMA {scratch}")
        yield Settings(database_url=PG_URL, database_schema=schema, pool_size=4, max_overflow=4), scratch
    finally:
        with psycopg.connect(PG_URL, autocommit=True) as conn:
            for name in (schema, scratch, f"{schema}_keys"):  # the data keys live in a schema of their own
                conn.execute(f"DROP SCHEMA IF EXISTS {name} CASCADE")


def commit_milliseconds(schema: str, count: int = 50) -> float:
    """The median time of a one-row transaction here (what a one-event-per-transaction runner pays at least)."""
    samples = []
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(f"CREATE TABLE {schema}.commit_probe (n BIGINT)")
        for n in range(count):
            started = time.perf_counter()
            conn.execute(f"INSERT INTO {schema}.commit_probe VALUES (%s)", (n,))
            samples.append(time.perf_counter() - started)
        conn.execute(f"DROP TABLE {schema}.commit_probe")
    return 1000 * statistics.median(samples)


def reindex(service: MentoratService, schema: str) -> None:
    """Index what COPY stored beside the recorder (credentials, participants, mentorships' scopes), as a store
    older than the index is at start-up: the served store's reads then find their scope rows."""
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(f"DELETE FROM {schema}.{INDEX_STATE} WHERE name = 'access index'")
    build_access_index(service.store, datetime.now(UTC))


def grant_tokens(
    service: MentoratService, sim: Simulation, commands: int
) -> tuple[list[tuple[UUID, str]], dict[UUID, str]]:
    """Fresh tokens through the application (the operator invites, the code is redeemed): the mentees of
    `commands` active mentorships, and each programme's coordinator. The simulation's own tokens are keyed by
    the bench's key, so they never authenticate against the served store (issue 11)."""
    active = [(m.id, mentee) for m, mentee, _ in sim.mentorships.values() if m.status == ACTIVE]
    random.Random(SEED).shuffle(active)

    def fresh(participant_id: UUID) -> str:
        code = service.participants.invite_as_operator(participant_id).data["code"]
        token: str = service.participants.redeem(code).data["token"]
        return token

    mentees = [(mentorship_id, fresh(mentee.id)) for mentorship_id, mentee in active[:commands]]
    coordinators = {cohort.id: fresh(cohort.coordinator.id) for cohort in sim.cohorts}
    return mentees, coordinators


@dataclass
class Prepared:
    """What the store-side phase measured, and what the HTTP phase needs."""

    commit_ms: float
    seeded: catchup.Pace
    ours: list[catchup.Pace]
    theirs: catchup.Pace
    grown: catchup.Pace
    caught_up: dict[str, catchup.Pace]
    sim: Simulation
    mentees: list[tuple[UUID, str]]
    coordinators: dict[UUID, str]


def prepare(settings: Settings, scratch: str, sizes: Sizes) -> Prepared:
    """Seed, time the summary's catch-up both ways, grow the store, bring every read model up to date."""
    service = build_service(settings)
    store, env = service.store, store_env(settings)
    try:
        commit_ms = commit_milliseconds(str(settings.database_schema))
        end = datetime.now(UTC) - timedelta(hours=1)
        sim = populate(CopyWriter(store), sizes.mentorships, sizes.events, sizes.programmes, SEED, end)
        started = time.perf_counter()
        sim.run(end, max_events=sizes.events)
        seeded = catchup.Pace(sim.events, time.perf_counter() - started)
        ours = catchup.ours(store, env, sizes.batch_size)
        theirs = catchup.library(env, scratch, sizes.library_events, sizes.library_timeout)
        started = time.perf_counter()
        sim.run(end)
        grown = catchup.Pace(sim.events - seeded.events, time.perf_counter() - started)
        reindex(service, str(settings.database_schema))
        mentees, coordinators = grant_tokens(service, sim, sizes.commands)
        read_side = ReadSide(store, settings)
        try:
            caught_up = {}
            for name, before in read_side.positions().items():
                started = time.perf_counter()
                after = read_side.catch_up([name])[name]
                caught_up[name] = catchup.Pace(after - before, time.perf_counter() - started)
        finally:
            read_side.close()
    finally:
        service.close()
    return Prepared(commit_ms, seeded, ours, theirs, grown, caught_up, sim, mentees, coordinators)


def run() -> list[Row]:
    """Rows of (measure, figures, ratio or target)."""
    sizes = Sizes.from_env()
    with fresh_schema() as (settings, scratch):
        done = prepare(settings, scratch, sizes)
        with served(settings) as (base, _), jitter.watched() as stalls:
            commands, reads = serving.freshness(base, done.mentees)
            pairs = [(m.id, cohort.id) for m, _, cohort in done.sim.mentorships.values()]
            measured = {
                "GET /v1/mentorships/{id}": serving.interleaved(
                    base, serving.summaries(pairs, done.coordinators, SEED), sizes.queries, sizes.query_seconds
                ),
                "GET /v1/programmes/{pid}/report": serving.interleaved(
                    base, serving.reports(done.coordinators, SEED), sizes.queries, sizes.query_seconds
                ),
            }
    return [*table(sizes, done, commands, reads, measured), stalled(stalls)]


def stalled(stalls: jitter.Stalls) -> Row:
    """The machine's own stalls while the HTTP figures were taken."""
    return (
        "this machine's stalls meanwhile: a 1 ms sleep in another process overshot by",
        f"p50 {stalls.p50:.2f} ms, p99 {stalls.p99:.1f} ms, p99.9 {stalls.p999:.1f} ms, worst {stalls.worst:.0f} ms",
        "informational: a floor under the p99s above",
    )


def table(
    sizes: Sizes,
    done: Prepared,
    commands: serving.Latencies,
    reads: serving.Latencies,
    measured: dict[str, tuple[serving.Latencies, serving.Latencies]],
) -> list[Row]:
    """The rows, each saying what was measured."""
    theirs, whole = done.theirs, done.ours[-1]
    same = catchup.first(done.ours, theirs.events)
    mentorships = len(done.sim.mentorships)
    rows = [
        (
            "postgres: one-row transaction (commit incl. WAL flush)",
            f"median {done.commit_ms:.2f} ms",
            f"caps 1 event/transaction at ~{1000 / done.commit_ms:,.0f} ev/s (informational)",
        ),
        (
            f"seed: {mentorships:,} pairs' histories, domain aggregates + COPY",
            f"{done.seeded.events:,} events in {done.seeded.seconds:.1f} s",
            f"{done.seeded.per_second:,.0f} ev/s (informational)",
        ),
        (
            f"summary catch-up, first {same.events:,} events: Follower (batch {sizes.batch_size:,}) vs library",
            f"ours {same.per_second:,.0f} ev/s ({same.seconds:.1f} s); ProjectionRunner (1 event/transaction) "
            f"{theirs.per_second:,.0f} ev/s ({theirs.events:,} events in {theirs.seconds:.1f} s, "
            f"asked for {sizes.library_events:,} within {sizes.library_timeout} s)",
            f"ours/library {same.per_second / theirs.per_second:.1f}x (target >= 10x)",
        ),
        (
            f"summary catch-up, all {whole.events:,} events: Follower only",
            f"ours {whole.per_second:,.0f} ev/s ({whole.seconds:.1f} s)",
            f"vs the library's pace above {whole.per_second / theirs.per_second:.1f}x (target >= 10x)",
        ),
        (
            f"store grown to {mentorships:,} mentorships, {done.sim.events:,} events (+{done.grown.events:,} seeded "
            f"in {done.grown.seconds:.1f} s); read models brought up to date",
            ", ".join(
                f"{name} {pace.events:,} in {pace.seconds:.1f} s ({pace.per_second:,.0f} ev/s)"
                for name, pace in done.caught_up.items()
            ),
            f"{sum(pace.seconds for pace in done.caught_up.values()):.1f} s in all (informational)",
        ),
        (
            f"freshness over HTTP: command acknowledged -> GET ?after= 200 ({len(reads.samples):,} mentorships)",
            f"p50 {reads.p(50):.1f} ms, p99 {reads.p(99):.1f} ms, min {reads.least:.1f} ms "
            f"(commands: p50 {commands.p(50):.1f} ms, "
            f"p99 {commands.p(99):.1f} ms); failures {commands.failures + reads.failures}",
            "target p99 <= 50 ms",
        ),
    ]
    for label, (query, health) in measured.items():
        boxed = f", stopped at {sizes.query_seconds} s" if len(query.samples) < sizes.queries else ""
        rows.append(
            (
                f"{label}: {len(query.samples):,} requests{boxed} ({mentorships:,} mentorships, "
                f"{sizes.programmes} programmes)",
                f"p50 {query.p(50):.1f} ms, p99 {query.p(99):.1f} ms, min {query.least:.1f} ms, "
                f"{query.per_second:,.0f}/s; /healthz interleaved p50 {health.p(50):.1f} ms, "
                f"p99 {health.p(99):.1f} ms, min {health.least:.1f} ms, {health.per_second:,.0f}/s; "
                f"failures {query.failures}",
                f"throughput/healthz {query.per_second / health.per_second:.2f}x (target p99 <= 10 ms)",
            )
        )
    return rows
