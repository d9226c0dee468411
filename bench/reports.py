"""The programme report and the worklist at 110,000 mentorships on PostgreSQL, in process.

Seeding: two programmes lived through the domain aggregates (`bench.population`: one of 1,000 pairs, one of
10,000), stored by COPY, and the report and summary read models caught up over them by the real followers;
then the 1,000-pair programme's read-model rows are copied in SQL under 99 new programme ids (new mentorship
ids too), so the store's read models hold 100 x 1,000 + 1 x 10,000 mentorships without a catch-up of
4 million events. The tables are ANALYZEd as a rebuild would. Then, interleaved in one loop, the report
(whole period, and a quarter ending inside a month), the worklist, and beside them the cheapest read of the
same view (its position: one transaction, one indexed row), for a copied 1,000-pair programme and the
10,000-pair one. Sizes: `MENTORAT_BENCH_REPORT_MENTORSHIPS` (the large programme; the others are a tenth),
`MENTORAT_BENCH_REPORT_COPIES` (99), `MENTORAT_BENCH_REPORT_QUERIES` (300 rounds).
"""

from __future__ import annotations

import os
import statistics
import time
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import psycopg
from psycopg.sql import SQL, Composable, Identifier

from bench.population import EVENTS_PER_PAIR, populate
from bench.readside import PG_URL, fresh_schema
from bench.seeding import CopyWriter
from bootstrap.read_side import ReadSide
from bootstrap.service import build_service
from infrastructure.data_keys import new_master_key
from projections import programme_report, report_facts, summary, worklist
from projections.tables import Table

Row = tuple[str, str, str]
SEED = 1212


def _size(name: str, default: int) -> int:
    return int(os.environ.get(f"MENTORAT_BENCH_REPORT_{name}") or default)


def copy_programme(cursor: Any, tables: tuple[Table, ...], source: str, target: str, copy: int) -> None:
    """Copy one programme's rows of these tables under a new programme id (and new mentorship ids)."""
    for table in tables:
        columns = table.column_names
        selected: list[Composable] = []
        for name in columns:
            if name == "programme_id" or (name == "id" and "programme_id" not in columns):
                selected.append(SQL("%(target)s"))
            elif name == "id":  # a mentorship: a new id of the same shape
                selected.append(SQL("md5(id || %(copy)s)::uuid::text"))
            else:
                selected.append(Identifier(name))
        where = "programme_id" if "programme_id" in columns else "id"
        cursor.execute(
            SQL("INSERT INTO {table} ({columns}) SELECT {selected} FROM {table} WHERE {where} = %(source)s").format(
                table=Identifier(table.name),
                columns=SQL(", ").join(Identifier(name) for name in columns),
                selected=SQL(", ").join(selected),
                where=Identifier(where),
            ),
            {"target": target, "copy": str(copy), "source": source},
        )


def seed(read_side: ReadSide, schema: str, small: str, copies: int) -> list[str]:
    """Copy the small programme's report and summary rows `copies` times; answer the new programme ids."""
    report_tables = report_facts.ReportModel.tables
    summary_tables = summary.SummaryModel.tables
    made = []
    with psycopg.connect(PG_URL, autocommit=False) as conn, conn.cursor() as cursor:
        cursor.execute(SQL("SET search_path TO {}").format(Identifier(schema)))
        for copy in range(1, copies + 1):
            target = str(uuid.uuid5(uuid.NAMESPACE_URL, f"mentorat-bench-programme-{copy}"))
            copy_programme(cursor, report_tables, small, target, copy)
            copy_programme(cursor, summary_tables, small, target, copy)
            made.append(target)
        conn.commit()
    for name in ("report", "summary"):
        read_side.views[name].analyze()
    return made


def timed(call: Callable[[str], Any], programme_id: str) -> float:
    """One call's time in milliseconds."""
    started = time.perf_counter()
    call(programme_id)
    return 1000 * (time.perf_counter() - started)


def p(samples: list[float], q: int) -> float:
    """A percentile of the samples."""
    return statistics.quantiles(samples, n=100, method="inclusive")[q - 1] if len(samples) > 1 else samples[0]


def run() -> list[Row]:
    """Rows of (measure, figures, ratio or target), or one row saying why this part is skipped."""
    try:
        psycopg.connect(PG_URL, connect_timeout=3).close()
    except psycopg.OperationalError:
        return [
            ("report and worklist at 110,000 mentorships", "skipped: no PostgreSQL at MENTORAT_BENCH_DATABASE_URL", "-")
        ]
    large, copies, rounds = _size("MENTORSHIPS", 10_000), _size("COPIES", 99), _size("QUERIES", 300)
    small_size = max(1, large // 10)
    with fresh_schema() as (settings, _):
        service = build_service(settings)
        read_side = ReadSide(service.store, settings)
        try:
            end = datetime.now(UTC) - timedelta(hours=1)
            started = time.perf_counter()
            writer = CopyWriter(service.store)
            ids = []
            for seed_, size in ((SEED, small_size), (SEED + 1, large)):
                sim = populate(writer, size, size * EVENTS_PER_PAIR, 1, seed_, end)
                sim.run(end)
                ids.append(str(sim.cohorts[0].id))
            events = service.store.position()
            seeded = time.perf_counter() - started
            started = time.perf_counter()
            read_side.catch_up(["report", "summary"])
            caught = time.perf_counter() - started
            started = time.perf_counter()
            made = seed(read_side, str(settings.database_schema), ids[0], copies)
            copied = time.perf_counter() - started
            rows = measure(
                read_side,
                {
                    f"a copied {small_size:,}-pair programme": made[-1] if made else ids[0],
                    f"the {large:,}-pair programme": ids[1],
                },
                end,
                rounds,
            )
        finally:
            read_side.close()
            service.close()
    total = small_size * (copies + 1) + large
    head: Row = (
        f"reports: {total:,} mentorships ({copies + 1} x {small_size:,} + 1 x {large:,}) seeded",
        f"{events:,} events lived and COPied in {seeded:.0f} s, report + summary caught up in {caught:.0f} s, "
        f"{copies} programmes' read-model rows copied in SQL in {copied:.0f} s",
        "informational",
    )
    return [head, *rows]


def measure(read_side: ReadSide, programmes: dict[str, str], now: datetime, rounds: int) -> list[Row]:
    """Each programme's report (whole, a quarter), worklist and the position read, interleaved; p50 and p99."""
    report_view, summary_view = read_side.views["report"], read_side.views["summary"]
    today = now.date()
    quarter = (date(today.year, today.month, 1) - timedelta(days=75), today - timedelta(days=3))
    calls: dict[str, Callable[[str], Any]] = {
        "report, whole period": lambda pid: programme_report.report(report_view, pid, now, None, None),
        "report, a quarter (bounds inside months)": lambda pid: programme_report.report(
            report_view, pid, now, *quarter
        ),
        "worklist": lambda pid: worklist.worklist(summary_view, pid, now),
        "at_risk (the report's count of the worklist)": lambda pid: worklist.at_risk(summary_view, pid, now),
        "anchor: the view's position (one transaction, one row)": lambda pid: report_view.position(),
    }
    samples: dict[tuple[str, str], list[float]] = {(p_, c): [] for p_ in programmes for c in calls}
    for _ in range(rounds):
        for label, pid in programmes.items():
            for name, call in calls.items():
                samples[(label, name)].append(timed(call, pid))
    rows: list[Row] = []
    for label in programmes:
        anchor = samples[(label, "anchor: the view's position (one transaction, one row)")]
        for name in calls:
            found = samples[(label, name)]
            rows.append(
                (
                    f"{name}, {label} (in process, {rounds} rounds)",
                    f"p50 {p(found, 50):.2f} ms, p99 {p(found, 99):.2f} ms",
                    f"p50 {p(found, 50) / p(anchor, 50):.1f}x the anchor's; target p99 <= 10 ms",
                )
            )
    return rows


if __name__ == "__main__":
    os.environ.setdefault("MENTORAT_MASTER_KEY", new_master_key())  # PostgreSQL stores need one: this run's own
    for row in run():
        print(*row, sep="  |  ")
