"""Every read model caught up in one shared pass over a large log, beside the library's `ProjectionRunner`.

One fresh schema: a simulated population's events (`MENTORAT_BENCH_CATCHUP_EVENTS`, 1,000,000) seeded by COPY;
then `mentorat projector` in a process of its own over empty read models, timed from its start until every
model includes the last event, its resident set size read from `/proc/<pid>/status` meanwhile; then the
library's runner, one read model after another (each its copy in a scratch schema, one event per transaction,
the same fold and SQL), over the first `MENTORAT_BENCH_CATCHUP_LIBRARY_EVENTS` only: at its pace the whole log
would take hours. Alone: `MENTORAT_BENCH_CATCHUP_EVENTS=100000 .venv/bin/python -m bench.onepass`.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
from psycopg import sql

from bench import catchup
from bench.population import EVENTS_PER_PAIR, populate
from bench.readside import PG_URL, SEED, fresh_schema
from bench.seeding import CopyWriter
from bootstrap.read_side import NAMES, VIEWS
from bootstrap.service import build_service
from bootstrap.settings import Settings
from bootstrap.store_env import store_env

MENTORAT = Path(sys.executable).parent / "mentorat"
Row = tuple[str, str, str]


def size(name: str, default: int) -> int:
    """A size from `MENTORAT_BENCH_<NAME>`."""
    return int(os.environ.get(f"MENTORAT_BENCH_{name}") or default)


@dataclass
class Resident:
    """A process's resident set size, sampled every 0.2 s while it runs (kB)."""

    pid: int
    samples: list[int] = field(default_factory=list)

    def sample_until(self, stop: threading.Event) -> None:
        """Sample until stopped."""
        while not stop.wait(0.2):
            self.sample()

    def sample(self) -> None:
        """Read VmRSS once (nothing once the process is gone)."""
        try:
            text = Path(f"/proc/{self.pid}/status").read_text()
        except OSError:
            return
        for line in text.splitlines():
            if line.startswith("VmRSS:"):
                self.samples.append(int(line.split()[1]))

    def describe(self) -> str:
        """Start, end and peak, in MB."""
        if not self.samples:
            return "no samples"
        start, end, peak = self.samples[0], self.samples[-1], max(self.samples)
        return f"RSS start {start / 1024:.0f} MB, end {end / 1024:.0f} MB, peak {peak / 1024:.0f} MB"


def seed(settings: Settings, events: int) -> int:
    """A simulated population's events by COPY; answer the store's position."""
    service = build_service(settings)
    try:
        end = datetime.now(UTC) - timedelta(hours=1)
        sim = populate(CopyWriter(service.store), events // EVENTS_PER_PAIR + 1, events, 10, SEED, end)
        sim.run(end, max_events=events)
        return service.store.position()
    finally:
        service.close()


def positions(conn: psycopg.Connection[tuple[int]], schema: str) -> dict[str, int]:
    """Each read model's position, 0 while its tables do not exist yet."""
    found = {}
    for name in NAMES:
        try:
            row = conn.execute(
                sql.SQL("SELECT notification_id FROM {}.{}").format(
                    sql.Identifier(schema), sql.Identifier(f"{name}_tracking")
                )
            ).fetchone()
        except psycopg.errors.UndefinedTable:
            row = None
        found[name] = int(row[0]) if row else 0
    return found


@contextmanager
def projector(settings: Settings, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """`mentorat projector` over the schema, stopped on the way out."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("MENTORAT_")}
    env.update(
        MENTORAT_DATABASE_URL=settings.database_url or "",
        MENTORAT_DATABASE_SCHEMA=settings.database_schema or "",
        MENTORAT_MASTER_KEY=os.environ.get("MENTORAT_MASTER_KEY", ""),
        MENTORAT_CHECKPOINT_MINUTES="0",
        MENTORAT_MAIL_URL=f"file://{log.parent}/outbox",
        MENTORAT_LOG_LEVEL="WARNING",
    )
    with log.open("ab") as out:
        process = subprocess.Popen([str(MENTORAT), "projector"], env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


def ours(settings: Settings, end: int) -> tuple[catchup.Pace, Resident]:
    """The projector process from its start until every read model includes `end`, and its RSS meanwhile."""
    schema = settings.database_schema or ""
    with tempfile.TemporaryDirectory() as directory, psycopg.connect(PG_URL, autocommit=True) as conn:
        started = time.perf_counter()
        with projector(settings, Path(directory) / "projector.log") as process:
            resident, stop = Resident(process.pid), threading.Event()
            sampler = threading.Thread(target=resident.sample_until, args=(stop,))
            sampler.start()
            try:
                while min(positions(conn, schema).values()) < end:
                    if process.poll() is not None:
                        raise RuntimeError((Path(directory) / "projector.log").read_text()[-2000:])
                    time.sleep(0.1)
                seconds = time.perf_counter() - started
            finally:
                stop.set()
                sampler.join()
    return catchup.Pace(end, seconds), resident


def library(settings: Settings, scratch: str, events: int, timeout: float) -> dict[str, catchup.Pace]:
    """The library's runner over the first `events`, one read model after another."""
    env = store_env(settings)
    return {name: catchup.library(env, scratch, events, timeout, classes[1]) for name, classes in VIEWS.items()}


def run() -> list[Row]:
    """Rows of (measure, figures, ratio or target)."""
    events, prefix = size("CATCHUP_EVENTS", 1_000_000), size("CATCHUP_LIBRARY_EVENTS", 3_000)
    with fresh_schema() as (settings, scratch):
        started = time.perf_counter()
        end = seed(settings, events)
        seeded = time.perf_counter() - started
        pace, resident = ours(settings, end)
        theirs = library(settings, scratch, prefix, timeout=60)
    library_events = min(p.events for p in theirs.values())
    per_event = sum(p.seconds / p.events for p in theirs.values() if p.events)  # the five in turn, per event
    library_rate = 1 / per_event if per_event else 0.0
    return [
        (
            f"all {len(NAMES)} read models caught up in one shared pass, {end:,} events (seeded in {seeded:.0f} s)",
            f"`mentorat projector` {pace.seconds:.1f} s from its start ({pace.per_second:,.0f} events/s); "
            f"{resident.describe()}",
            f"target <= 60 s over 1,000,000: {'met' if pace.seconds <= 60 * end / 1_000_000 else 'not met'} (pro rata)",
        ),
        (
            f"the library's ProjectionRunner, the same {len(NAMES)} read models one after another, "
            f"first {library_events:,} events only",
            ", ".join(f"{name} {p.events:,} in {p.seconds:.1f} s" for name, p in theirs.items())
            + f": {library_rate:,.0f} events/s for all {len(NAMES)}",
            f"ours/library {pace.per_second / library_rate:.1f}x (target >= 30x)" if library_rate else "no figure",
        ),
    ]


if __name__ == "__main__":
    from infrastructure.data_keys import new_master_key

    os.environ.setdefault("MENTORAT_MASTER_KEY", new_master_key())
    for measure, figures, ratio in run():
        print(f"{measure}\n  {figures}\n  {ratio}")
