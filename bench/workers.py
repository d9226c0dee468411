"""`serve --workers 2` against `serve` (one process) in the same run: summary reads and commands under wrk.

Both serve the same seeded PostgreSQL schema (`bench.load.seed_mentorat`), one after the other (never at once:
they would share the machine and the elected projectors), each measured as `bench/load.py` measures (wrk, one
thread, a second's warm-up, round-robin over distinct mentorships) at 16 and 64 connections. The ratio is the
two-worker figure over the one-process figure. On a machine of 2 cores, shared with the database and wrk, it says
what a second process buys there, not what it would on more cores.
Alone: `.venv/bin/python -m bench.workers`.
"""

from __future__ import annotations

import os
import secrets
import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path

from pydantic import SecretStr

from bench.commands import PG_URL
from bench.load import PAIRS, Result, Row, Target, caught_up, drop, seed_mentorat, subprocess_server, unavailable, wrk
from bootstrap.service import build_service
from bootstrap.settings import Settings
from infrastructure.data_keys import new_master_key

WORKERS = 2
CONNECTIONS = (16, 64)


def measure(seconds: int) -> list[Row]:
    """Seed once, then serve with one process and with `WORKERS`, and run wrk on each."""
    schema = "mentorat_workers_" + secrets.token_hex(4)
    key = os.environ.get("MENTORAT_MASTER_KEY") or new_master_key()
    with tempfile.TemporaryDirectory() as scratch, ExitStack() as stack:
        directory = Path(scratch)
        stack.callback(drop, schema, f"{schema}_keys")
        settings = Settings(
            database_url=PG_URL, database_schema=schema, master_key=SecretStr(key), data_dir=directory / "var"
        )
        targets, _ = seed_mentorat(settings)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("MENTORAT_", "POSTGRES_"))}
        env.update(
            MENTORAT_DATABASE_URL=PG_URL,
            MENTORAT_DATABASE_SCHEMA=schema,
            MENTORAT_MASTER_KEY=key,
            MENTORAT_DATA_DIR=str(directory / "var"),
            MENTORAT_LOG_LEVEL="WARNING",
        )
        script = str(Path(sys.executable).parent / "mentorat")
        satisfaction = [(f"{path}/satisfaction", token) for path, token in targets]
        figures: dict[int, dict[str, Result]] = {}
        for workers in (1, WORKERS):
            command = [script, "serve", "--port", "{port}", "--workers", str(workers)]
            with subprocess_server(command, env, "/healthz", directory / f"serve-{workers}.log") as base:
                caught_up(base, targets[-1], position(settings))
                figures[workers] = runs(base, targets, satisfaction, seconds, directory)
    return rows(figures)


def position(settings: Settings) -> int:
    """The store's position now (the read models must reach it before reads are measured)."""
    service = build_service(settings, with_keys=False)
    try:
        return service.store.position()
    finally:
        service.close()


def runs(base: str, reads: list[Target], commands: list[Target], seconds: int, directory: Path) -> dict[str, Result]:
    """Summary reads and satisfaction commands at each connection count, each after a second's warm-up."""
    out = {}
    for connections in CONNECTIONS:
        for name, targets, method, body in (("read", reads, "GET", ""), ("command", commands, "POST", '{"score": 4}')):
            wrk(base, targets, method, body, connections, 1, directory)
            out[f"{name}-{connections}"] = wrk(base, targets, method, body, connections, seconds, directory)
    return out


def rows(figures: dict[int, dict[str, Result]]) -> list[Row]:
    """One row per measure and worker count; the ratio on the row of `WORKERS`."""
    conditions = f"wrk -t1, a second's warm-up each; load average {os.getloadavg()[0]:.2f}"
    out: list[Row] = [(f"wrk: serve --workers {WORKERS} vs serve, one schema, one after the other", conditions, "-")]
    for measure in figures[1]:
        name, connections = measure.split("-")
        what = "GET /v1/mentorships/{id}" if name == "read" else "POST /v1/mentorships/{id}/satisfaction"
        one, two = figures[1][measure], figures[WORKERS][measure]
        out += [
            (f"wrk: {what}, {PAIRS} mentorships, {connections} connections, serve", one.figures(), "the anchor"),
            (
                f"wrk: the same, serve --workers {WORKERS}",
                two.figures(),
                f"{WORKERS} workers / 1 {two.per_second / one.per_second:.2f}x",
            ),
        ]
    return out


def run() -> list[Row]:
    """Rows of (measure, figures, ratio), or one row saying why this part is skipped."""
    reason = unavailable()
    if reason is not None:
        return [("wrk: serve --workers", f"skipped: {reason}", "-")]
    return measure(int(os.environ.get("MENTORAT_BENCH_WRK_SECONDS", "5")))


if __name__ == "__main__":
    for row in run():
        print("  |  ".join(row))
