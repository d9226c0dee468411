"""The cost of field-level encryption: commands and read-side catch-up, sealed vs the library's plain mapper.

On each store, two stores side by side in one run: one as `build_service` makes it (content and personal data
sealed under their person's data key), one with the library's `Mapper` (no `MAPPER_TOPIC`). Commands with a
content field run in process, interleaved pair by pair; then the same simulated history is written to both and
every read model is rebuilt from it (the read side decodes without keys), and decoding alone is timed for the
plain mapper, the keyless one and the keyed one. Sizes come from `MENTORAT_BENCH_CRYPTO_*` variables.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import psycopg
from pydantic import SecretStr

from application.authorization import Caller
from application.mentorat import Mentorat
from application.service import MentoratService
from bench.commands import timed
from bench.population import populate
from bootstrap.read_side import ReadSide
from bootstrap.service import build_service
from bootstrap.settings import Settings
from bootstrap.store_env import key_schema, store_env
from infrastructure.data_keys import new_master_key
from infrastructure.field_mapper import keyless
from infrastructure.postgres import ensure_schema

PG_URL = os.environ.get("MENTORAT_BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
TEXT = "Notes de rencontre : objectifs revus, prochaines étapes convenues, rien de confidentiel ici. " * 2
Row = tuple[str, str, str]


@dataclass(frozen=True)
class Sizes:
    """How much to run; each field reads `MENTORAT_BENCH_CRYPTO_<FIELD>` when set."""

    pairs: int = 60  # signed mentorships per store; four commands with a text on each
    events: int = 20_000  # the simulated history every read model is rebuilt from
    repeats: int = 2  # rebuilds per store, alternating sealed and plain; the best of each is kept

    @classmethod
    def from_env(cls) -> Sizes:
        """The defaults, overridden by the environment."""
        found = {f.name: os.environ.get(f"MENTORAT_BENCH_CRYPTO_{f.name.upper()}") for f in fields(cls)}
        return cls(**{name: int(value) for name, value in found.items() if value})


@contextmanager
def settings_pairs() -> Iterator[dict[str, tuple[Settings, Settings]]]:
    """For each store, settings of a sealed store and of a plain one, each in a place of its own; dropped after."""
    run, master = secrets.token_hex(4), SecretStr(new_master_key())
    schemas = [f"mentorat_crypto_{run}_{kind}" for kind in ("sealed", "plain")]
    with tempfile.TemporaryDirectory() as directory:
        sqlite = [Settings(data_dir=Path(directory) / kind, database_url=None) for kind in ("sealed", "plain")]
        postgres = [
            Settings(database_url=PG_URL, database_schema=s, master_key=master, pool_size=2, max_overflow=2)
            for s in schemas
        ]
        try:
            yield {"sqlite": (sqlite[0], sqlite[1]), "postgres": (postgres[0], postgres[1])}
        finally:
            with psycopg.connect(PG_URL, autocommit=True) as conn:
                for settings in postgres:
                    conn.execute(f"DROP SCHEMA IF EXISTS {settings.database_schema} CASCADE")
                    conn.execute(f"DROP SCHEMA IF EXISTS {key_schema(settings)} CASCADE")


class PlainMentorat(Mentorat):
    """The library's mapper, nothing sealed; credential ids are still keyed (by a secret of this run), as the
    application needs since invitation codes became keyed (issue 11): the bench compares sealing only."""

    run_secret = secrets.token_bytes(32)

    def derived_secret(self, purpose: str) -> bytes:
        return hmac.new(self.run_secret, purpose.encode(), hashlib.sha256).digest()


def plain_service(settings: Settings) -> MentoratService:
    """The same store with the library's mapper: nothing sealed."""
    env = {key: value for key, value in store_env(settings).items() if key != "MAPPER_TOPIC"}
    ensure_schema(env)
    return MentoratService(PlainMentorat(env=env))


def signed_pairs(service: MentoratService, pairs: int) -> list[tuple[Caller, Caller, UUID]]:
    """Signed mentorships, their mentor and mentee authenticated."""
    created = service.participants.create_programme("Bench", "Coordinator Name", "coordinator@example.org")
    coordinator = service.participants.authenticate(created["coordinator_token"])
    out = []
    for number in range(pairs):
        people = []
        for role in ("mentor", "mentee"):
            person = service.participants.register(
                coordinator, coordinator.programme_id, role, f"{role} {number}", f"{role}{number}@example.org", "fr"
            )
            code = service.participants.invite_as_operator(person.aggregate_id).data["code"]
            people.append(service.participants.authenticate(service.participants.redeem(code).data["token"]))
        mentor, mentee = people
        m = service.mentorships.draft(coordinator, coordinator.programme_id, mentor.id, mentee.id, date.today(), None)
        service.mentorships.add_objective(mentee, m.aggregate_id, TEXT)
        service.mentorships.sign(mentor, m.aggregate_id)
        service.mentorships.sign(mentee, m.aggregate_id)
        out.append((mentor, mentee, m.aggregate_id))
    return out


def content_commands(service: MentoratService, mentor: Caller, mentee: Caller, mid: UUID) -> list[float]:
    """Four commands with a text on one mentorship: seconds each."""
    m = service.mentorships
    steps: list[Callable[[], object]] = [
        lambda: m.add_objective(mentor, mid, TEXT),
        lambda: m.report_satisfaction(mentee, mid, 4, TEXT),
        lambda: m.raise_dispute(mentee, mid, TEXT),
        lambda: m.report_satisfaction(mentor, mid, 5, TEXT),
    ]
    return [timed(step) for step in steps]


def commands(sealed: MentoratService, plain: MentoratService, pairs: int) -> tuple[list[float], list[float]]:
    """The same commands on both stores, alternating which goes first pair by pair."""
    ours, theirs = signed_pairs(sealed, pairs), signed_pairs(plain, pairs)
    timed: dict[str, list[float]] = {"sealed": [], "plain": []}
    for number, (a, b) in enumerate(zip(ours, theirs, strict=True)):
        order = [("sealed", sealed, a), ("plain", plain, b)]
        for kind, service, (mentor, mentee, mid) in order if number % 2 == 0 else order[::-1]:
            timed[kind] += content_commands(service, mentor, mentee, mid)
    return timed["sealed"], timed["plain"]


def history(events: int) -> list[Any]:
    """A simulated population's events (every kind, texts included), reproducible."""
    collected: list[Any] = []
    end = datetime.now(UTC) - timedelta(hours=1)
    populate(collected.extend, max(1, events // 42), events, 3, 2026, end).run(end, max_events=events)
    return collected


def write(store: Mentorat, events: Sequence[Any], chunk: int = 500) -> float:
    """Encode and insert the events through the store's own mapper and recorder: seconds taken."""
    started = time.perf_counter()
    for start in range(0, len(events), chunk):
        store.recorder.insert_events([store.mapper.to_stored_event(e) for e in events[start : start + chunk]])
    return time.perf_counter() - started


def rebuild_seconds(read_side: ReadSide) -> float:
    """Every read model dropped and rebuilt from the whole history."""
    return timed(read_side.rebuild)


def decode_seconds(mapper: Any, notifications: Sequence[Any]) -> float:
    """Decoding every stored event once."""
    started = time.perf_counter()
    for notification in notifications:
        mapper.to_domain_event(notification)
    return time.perf_counter() - started


@dataclass
class Measured:
    """One store's figures, sealed and plain."""

    commands: tuple[list[float], list[float]]
    written: tuple[float, float]
    rebuilt: tuple[float, float]
    decoded: tuple[float, float, float]  # plain, keyless, keyed
    events: int


def measure(sealed_settings: Settings, plain_settings: Settings, sizes: Sizes, events: list[Any]) -> Measured:
    """Commands, writes, rebuilds and decoding, sealed and plain, on one store."""
    with ExitStack() as stack:
        sealed, plain = build_service(sealed_settings), plain_service(plain_settings)
        stack.callback(plain.close)
        stack.callback(sealed.close)
        timed = commands(sealed, plain, sizes.pairs)
        written = write(sealed.store, events), write(plain.store, events)
        sides = ReadSide(sealed.store, sealed_settings), ReadSide(plain.store, plain_settings)
        for side in sides:
            stack.callback(side.close)
        best = [float("inf"), float("inf")]
        for _ in range(sizes.repeats):
            for index, side in enumerate(sides):
                best[index] = min(best[index], rebuild_seconds(side))
        notifications = sealed.store.recorder.select_notifications(0, 10**9)
        plain_notes = plain.store.recorder.select_notifications(0, 10**9)
        decoded = (
            decode_seconds(plain.store.mapper, plain_notes),
            decode_seconds(keyless(sealed.store.mapper), notifications),
            decode_seconds(sealed.store.mapper, notifications),
        )
        return Measured(timed, written, (best[0], best[1]), decoded, len(notifications))


def run() -> list[Row]:
    """Rows of (measure, figures, ratio)."""
    sizes = Sizes.from_env()
    events = history(sizes.events)
    rows: list[Row] = []
    with settings_pairs() as configured:
        for store, (sealed, plain) in configured.items():
            rows += table(store, sizes, measure(sealed, plain, sizes, events), len(events))
    return rows


def table(store: str, sizes: Sizes, done: Measured, seeded: int) -> list[Row]:
    """One store's rows."""
    (ours, theirs), n = done.commands, len(done.commands[0])
    p50 = statistics.median(ours), statistics.median(theirs)
    rate = n / sum(ours), n / sum(theirs)
    rebuilt = done.rebuilt
    plain, keyless_s, keyed = done.decoded
    return [
        (
            f"{store}: {n} commands with a text, in process ({sizes.pairs} mentorships), sealed vs plain",
            f"p50 {1000 * p50[0]:.2f} vs {1000 * p50[1]:.2f} ms; {rate[0]:,.0f} vs {rate[1]:,.0f} commands/s",
            f"throughput sealed/plain {rate[0] / rate[1]:.2f}x (p50 {p50[0] / p50[1]:.2f}x the time)",
        ),
        (
            f"{store}: {seeded:,} simulated events encoded and inserted (a new data key per person), sealed vs plain",
            f"{seeded / done.written[0]:,.0f} vs {seeded / done.written[1]:,.0f} ev/s",
            f"sealed/plain {done.written[1] / done.written[0]:.2f}x the rate",
        ),
        (
            f"{store}: every read model rebuilt from {done.events:,} events, keyless, best of {sizes.repeats}",
            f"{done.events / rebuilt[0]:,.0f} vs {done.events / rebuilt[1]:,.0f} ev/s "
            f"({rebuilt[0]:.1f} vs {rebuilt[1]:.1f} s)",
            f"catch-up sealed/plain {rebuilt[1] / rebuilt[0]:.2f}x the rate",
        ),
        (
            f"{store}: decoding alone, {done.events:,} events: plain mapper, keyless, keyed",
            f"{done.events / plain:,.0f}, {done.events / keyless_s:,.0f}, {done.events / keyed:,.0f} ev/s",
            f"keyless/plain {plain / keyless_s:.2f}x, keyed/plain {plain / keyed:.2f}x the rate",
        ),
    ]
