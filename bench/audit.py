"""The audit chain: verification speed over a large seeded store, and what chaining costs each insert.

Verification: a store is seeded fast with synthetic events shaped like ours (about 50 events per
aggregate, 400-byte states; SQLite through the library's plain recorder, PostgreSQL by COPY), chained
in bulk by the operator's sealing (`seal_store`: a verification pass, then one transaction), then verified
in one pass, without and with a full signed checkpoint; the figure for 1,000,000 events is extrapolated
from the measured rate (verification is one linear pass).
Inserts: single-event transactions appended to existing aggregates, through the library's plain
recorder and through ours, alternating in blocks, on fresh tables of their own.
Sizes: `MENTORAT_BENCH_AUDIT_EVENTS` (default 300,000) and `MENTORAT_BENCH_AUDIT_INSERTS` (2,000).
`python -m bench.audit` runs this table alone.
"""

from __future__ import annotations

import base64
import json
import os
import random
import secrets
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import psycopg
from eventsourcing.persistence import StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteDatastore
from psycopg.sql import SQL, Identifier

from bench.commands import PG_URL, stores
from bootstrap.audit import seal_store, signing_key
from bootstrap.service import build_service
from bootstrap.settings import Settings
from bootstrap.store_env import store_env
from infrastructure.audit.chained_recorders import PostgresChainedRecorder, SQLiteChainedRecorder
from infrastructure.audit.checkpoint_reader import read_checkpoints
from infrastructure.audit.checkpoint_writer import write_checkpoint
from infrastructure.audit.signing_key import generate
from infrastructure.audit.store import audit_store
from infrastructure.audit.verify import verify
from infrastructure.postgres import connect_args

Row = tuple[str, str, str]
TARGET = 1_000_000


def sizes() -> tuple[int, int]:
    """Events to verify, inserts to time."""
    env = os.environ.get
    return int(env("MENTORAT_BENCH_AUDIT_EVENTS") or 300_000), int(env("MENTORAT_BENCH_AUDIT_INSERTS") or 2_000)


def synthetic(count: int, per_aggregate: int = 50) -> Iterator[StoredEvent]:
    """Events of count // per_aggregate aggregates, interleaved, each with a 400-byte state."""
    pick = random.Random(2026)
    ids = [uuid4() for _ in range(max(1, count // per_aggregate))]
    versions = dict.fromkeys(ids, 0)
    stamp = {"_type_": "datetime_iso", "_data_": datetime.now(UTC).isoformat()}
    for _ in range(count):
        oid = pick.choice(ids)
        versions[oid] += 1
        body = {"timestamp": stamp, "actor_role": "mentor", "notes": base64.b64encode(os.urandom(240)).decode()}
        yield StoredEvent(oid, versions[oid], "domain.mentorship:Mentorship.MeetingHeld", json.dumps(body).encode())


def seed(settings: Settings, count: int) -> None:
    """Store `count` unchained events fast (the application's tables already exist)."""
    env, events = store_env(settings), synthetic(count)
    if not settings.uses_postgres:
        datastore = SQLiteDatastore(env["SQLITE_DBNAME"])
        plain = SQLiteApplicationRecorder(datastore)
        batch = []
        for event in events:
            batch.append(event)
            if len(batch) == 10_000:
                plain.insert_events(batch)
                batch = []
        plain.insert_events(batch)
        datastore.close()
        return
    table = Identifier(env["POSTGRES_SCHEMA"], "mentorat_events")
    copy_sql = SQL("COPY {} (originator_id, originator_version, topic, state) FROM STDIN (FORMAT BINARY)")
    with psycopg.connect(**connect_args(env)) as conn, conn.cursor() as cur, cur.copy(copy_sql.format(table)) as copy:
        copy.set_types(["uuid", "int8", "text", "bytea"])
        for e in events:
            copy.write_row((e.originator_id, e.originator_version, e.topic, e.state))


def timed(action: Callable[[], Any]) -> tuple[float, Any]:
    """Seconds an action takes, and its result."""
    started = time.perf_counter()
    result = action()
    return time.perf_counter() - started, result


def verification(name: str, settings: Settings, count: int, key_file: Path) -> list[Row]:
    """Seed, chain, checkpoint and verify one store."""
    settings = settings.model_copy(update={"audit_key_file": key_file})
    build_service(settings, with_keys=False).close()  # the application's tables, chain included
    seeding, _ = timed(lambda: seed(settings, count))
    sealing, sealed = timed(lambda: seal_store(settings))  # start-up chained nothing: the operator seals
    service = build_service(settings, with_keys=False)
    try:
        store = audit_store(service.store.recorder)
        path = key_file.parent / f"{name}-checkpoint.jsonl"
        writing, _ = timed(lambda: write_checkpoint(store, signing_key(settings), path, datetime.now(UTC), full=True))
        now = datetime.now(UTC)
        alone, report = timed(lambda: verify(store, None, now))
        public = signing_key(settings).public_key()
        signed, checked = timed(lambda: verify(store, read_checkpoints([path], public), now))
    finally:
        service.close()
    assert sealed is not None and sealed.data["count"] == count, sealed
    assert report.intact and checked.intact and report.events == count + 1, report.as_dict()  # with the sealing
    rate = count / alone
    return [
        (
            f"audit verify, {name}: {count:,} events in one pass",
            f"{alone:.1f} s ({rate:,.0f} events/s); with a full checkpoint {signed:.1f} s",
            f"1,000,000 events{'' if count == TARGET else ' (extrapolated)'}: {TARGET / rate:.0f} s (target < 60 s)",
        ),
        (
            f"audit chaining in bulk, {name}: seal {count:,} seeded events",
            f"seal {sealing:.1f} s ({count / sealing:,.0f}/s), checkpoint {writing:.1f} s, seed {seeding:.1f} s",
            f"seal/verify {sealing / alone:.1f}x",
        ),
    ]


@contextmanager
def scratch(name: str, directory: Path) -> Iterator[tuple[Any, Any, Any]]:
    """A datastore of its own with a plain and a chained recorder on separate events tables."""
    if name == "sqlite":
        datastore: Any = SQLiteDatastore(str(directory / "inserts.sqlite3"))
        plain: Any = SQLiteApplicationRecorder(datastore, "plain_events")
        chained: Any = SQLiteChainedRecorder(datastore, "chained_events")
    else:
        schema = "mentorat_bench_ins_" + secrets.token_hex(4)
        with psycopg.connect(PG_URL, autocommit=True) as conn:
            conn.execute(SQL("CREATE SCHEMA {}").format(Identifier(schema)))
        args = connect_args(store_env(Settings(database_url=PG_URL)))
        # The library's datastore takes where to connect only: our libpq options and connect timeout are not its.
        where = {key: args[key] for key in ("dbname", "host", "port", "user", "password")}
        datastore = PostgresDatastore(**where, schema=schema)
        plain = PostgresApplicationRecorder(datastore, events_table_name="plain_events")
        chained = PostgresChainedRecorder(datastore, events_table_name="chained_events")
    try:
        plain.create_table()
        chained.create_table()
        yield datastore, plain, chained
    finally:
        datastore.close()
        if name != "sqlite":
            with psycopg.connect(PG_URL, autocommit=True) as conn:
                conn.execute(SQL("DROP SCHEMA {} CASCADE").format(Identifier(schema)))


def insert_cost(name: str, directory: Path, inserts: int) -> Row:
    """Median seconds of a one-event insert transaction, plain against chained."""
    samples: dict[str, list[float]] = {"plain": [], "chained": []}
    aggregates: list[UUID] = [uuid4() for _ in range(100)]
    with scratch(name, directory) as (_, plain, chained):
        versions = {kind: dict.fromkeys(aggregates, 0) for kind in samples}
        for block in range(0, inserts, 100):
            for kind, recorder in (("plain", plain), ("chained", chained)):
                for turn in range(block, min(block + 100, inserts)):
                    oid = aggregates[turn % len(aggregates)]
                    versions[kind][oid] += 1
                    event = StoredEvent(oid, versions[kind][oid], "bench:Event", os.urandom(400))
                    started = time.perf_counter()
                    recorder.insert_events([event])
                    samples[kind].append(time.perf_counter() - started)
    p50 = {kind: statistics.median(values) * 1000 for kind, values in samples.items()}
    return (
        f"audit chaining per insert, {name}: {inserts:,} one-event transactions each",
        f"p50 chained {p50['chained']:.3f} ms, plain library recorder {p50['plain']:.3f} ms",
        f"chained/plain {p50['chained'] / p50['plain']:.2f}x",
    )


def run() -> list[Row]:
    """Rows of (measure, figures, ratio)."""
    count, inserts = sizes()
    rows = []
    with tempfile.TemporaryDirectory() as directory, stores() as configured:
        generate(Path(directory) / "signing-key.pem")
        for name, settings in configured.items():
            rows.append(insert_cost(name, Path(directory), inserts))
            rows += verification(name, settings, count, Path(directory) / "signing-key.pem")
    return rows


if __name__ == "__main__":
    for measure, figures, ratio in run():
        print(f"{measure}  {figures}  |  {ratio}")
