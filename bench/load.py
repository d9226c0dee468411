"""Throughput under load (issue 12's anchors): wrk against real uvicorn sockets, each figure beside its anchor.

Three servers run in subprocesses of the same interpreter, each one uvicorn worker on a free loopback port,
over the same PostgreSQL (a schema each, dropped afterwards):

- `mentorat serve`, seeded through the application with `PAIRS` signed mentorships (`signed_pairs`), each
  with its mentor's token from the operator's invite + redeem;
- the straightforward service of `bench/anchor_service.py` (FastAPI + the library's PostgreSQL recorder,
  no Mentorat code), seeded with `PAIRS` aggregates of 6 events;
- a bare FastAPI hello (`bench/anchor_service.py`).

wrk (Debian's 4.1.0, one thread, `--latency`) drives each with `bench/wrk.lua`, which sends a table of
(path, token) round-robin, so the requests in flight go to distinct aggregates, and counts the statuses.
Each measure is warmed up for a second first. Ratios are of requests per second, measured in the same run:
commands against the straightforward service at 16 and 64 connections, the summary read against the same
server's `/healthz`, `/healthz` against the hello. `MENTORAT_BENCH_WRK_SECONDS` sets each measure's length (5).
Alone: `.venv/bin/python -m bench.load`.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from uuid import UUID

import httpx
import psycopg
from psycopg.conninfo import conninfo_to_dict
from pydantic import SecretStr

from bench import lock_waits
from bench.anchor_service import Counters
from bench.commands import PG_URL, signed_pairs
from bootstrap.service import build_service
from bootstrap.settings import Settings
from infrastructure.data_keys import new_master_key

PAIRS = 200
SCRIPT = Path(__file__).with_name("wrk.lua")
ROOT = Path(__file__).resolve().parent.parent  # where `python -m bench.anchor_service` finds the package
Row = tuple[str, str, str]
Target = tuple[str, str]  # a path and the bearer token to send it with ("" for none)


@dataclass(frozen=True)
class Result:
    """What one wrk run measured."""

    requests: int
    seconds: float
    p50: float  # milliseconds
    p99: float
    statuses: dict[int, int]
    socket_errors: int  # connect, read, write and timeout errors

    @property
    def per_second(self) -> float:
        """Requests answered per second."""
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def non_2xx(self) -> int:
        """Answers outside 200-299."""
        return sum(n for status, n in self.statuses.items() if not 200 <= status < 300)

    def count(self, low: int, high: int | None = None) -> int:
        """Answers with a status in [low, high] (high defaults to low)."""
        return sum(n for status, n in self.statuses.items() if low <= status <= (high or low))

    def figures(self) -> str:
        """requests/s, p50, p99, non-2xx (and which)."""
        text = f"{self.per_second:,.0f} req/s, p50 {self.p50:.1f} ms, p99 {self.p99:.1f} ms, non-2xx {self.non_2xx}"
        if self.non_2xx:
            others = {s: n for s, n in sorted(self.statuses.items()) if not 200 <= s < 300}
            text += " (" + ", ".join(f"{n} x {s}" for s, n in others.items()) + ")"
        if self.socket_errors:
            text += f", {self.socket_errors} socket errors"
        return text + f" [{self.requests:,} in {self.seconds:.1f} s]"


def unavailable() -> str | None:
    """Why this part cannot run here (None when it can)."""
    if shutil.which("wrk") is None:
        return "wrk not found (apt-get install wrk)"
    try:
        with psycopg.connect(PG_URL, connect_timeout=3):
            pass
    except psycopg.Error as error:
        return f"PostgreSQL unreachable at {PG_URL.rsplit('@', 1)[-1]}: {type(error).__name__}"
    return None


def free_port() -> int:
    """A loopback port nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def subprocess_server(command: Sequence[str], env: dict[str, str], ready: str, log: Path) -> Iterator[str]:
    """A server started by `command` ("{port}" replaced by a free port): its base URL once GET `ready` answers 200."""
    port = free_port()
    with log.open("wb") as out:
        process = subprocess.Popen(
            [part.replace("{port}", str(port)) for part in command],
            env=env,
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"{command[0]} exited with {process.returncode}: {log.read_text()[-2000:]}")
            try:
                if httpx.get(base + ready, timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{command[0]} did not answer within 60 s: {log.read_text()[-2000:]}")
            time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wrk(
    base: str,
    targets: Sequence[Target],
    method: str,
    body: str,
    connections: int,
    seconds: int,
    directory: Path,
    start: int = 0,
) -> Result:
    """One wrk run (one thread) over the targets, round-robin from the one after `start`."""
    table = directory / f"targets-{secrets.token_hex(4)}.tsv"
    table.write_text("".join(f"{path}\t{token}\n" for path, token in targets))
    command = [
        "wrk",
        "-t1",
        f"-c{connections}",
        f"-d{seconds}s",
        "--latency",
        "--timeout",
        "10s",
        "-s",
        str(SCRIPT),
        base,
        "--",
        str(table),
        method,
        body,
        str(start % len(targets)),
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60, check=True)
    line = next((x for x in done.stdout.splitlines() if x.startswith("WRK-RESULT ")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no result: {done.stdout[-2000:]} {done.stderr[-2000:]}")
    found = json.loads(line.removeprefix("WRK-RESULT "))
    errors = found["errors"]
    return Result(
        requests=found["requests"],
        seconds=found["duration_us"] / 1e6,
        p50=found["p50_us"] / 1000,
        p99=found["p99_us"] / 1000,
        statuses={int(status): n for status, n in found["statuses"].items()},
        socket_errors=errors["connect"] + errors["read"] + errors["write"] + errors["timeout"],
    )


def wrk_version() -> str:
    """wrk's first line of `--version` (`wrk debian/4.1.0-3+b2 [epoll] ...`), its name and version."""
    done = subprocess.run(["wrk", "--version"], capture_output=True, text=True, check=False)
    return " ".join((done.stdout or done.stderr).split()[:2]) or "wrk"


def seed_anchor(schema: str) -> tuple[dict[str, str], list[UUID]]:
    """The straightforward service's environment, and its seeded aggregates."""
    info = conninfo_to_dict(PG_URL)
    env = {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": str(info.get("dbname") or "postgres"),
        "POSTGRES_HOST": str(info.get("host") or "127.0.0.1"),
        "POSTGRES_PORT": str(info.get("port") or 5432),
        "POSTGRES_USER": str(info.get("user") or "postgres"),
        "POSTGRES_PASSWORD": str(info.get("password") or ""),
        "POSTGRES_SCHEMA": schema,
        "CREATE_TABLE": "y",
    }
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    counters = Counters(env=env)
    try:
        return env, counters.seed(PAIRS)
    finally:
        counters.close()


def seed_mentorat(settings: Settings) -> tuple[list[Target], int]:
    """Signed mentorships through the application: (mentorship path, its mentor's token) each; the position."""
    service = build_service(settings)
    try:
        _, pairs = signed_pairs(service, PAIRS)
        targets = []
        for mentor, mentorship_id in pairs:
            code = service.participants.invite_as_operator(mentor.id).data["code"]
            targets.append((f"/v1/mentorships/{mentorship_id}", service.participants.redeem(code).data["token"]))
        return targets, service.store.position()
    finally:
        service.close()


def caught_up(base: str, target: Target, position: int) -> None:
    """Wait until the summary read model has folded the seeded events."""
    path, token = target
    deadline = time.monotonic() + 60
    with httpx.Client(base_url=base, timeout=15, headers={"Authorization": f"Bearer {token}"}) as client:
        while client.get(path, params={"after": position}).status_code != 200:
            if time.monotonic() > deadline:
                raise RuntimeError("the summaries did not catch up within 60 s")


@dataclass(frozen=True)
class Measured:
    """Every wrk figure of one run, and what it ran under."""

    conditions: str
    hello: Result
    healthz: Result
    summary: Result
    anchor: dict[int, Result]  # by connections
    commands: dict[int, Result]
    lock_waits: dict[int, lock_waits.LockWaits]  # sampled during the commands' runs


def measure(seconds: int) -> Measured:
    """Seed, serve the three, and run wrk on each in turn."""
    schema = "mentorat_load_" + secrets.token_hex(4)
    anchor_schema = schema + "_anchor"
    key = os.environ.get("MENTORAT_MASTER_KEY") or new_master_key()
    with tempfile.TemporaryDirectory() as scratch, ExitStack() as stack:
        directory = Path(scratch)
        stack.callback(drop, schema, f"{schema}_keys", anchor_schema)
        settings = Settings(
            database_url=PG_URL, database_schema=schema, master_key=SecretStr(key), data_dir=directory / "var"
        )
        targets, position = seed_mentorat(settings)
        anchor_env, counter_ids = seed_anchor(anchor_schema)
        inherited = {k: v for k, v in os.environ.items() if not k.startswith(("MENTORAT_", "POSTGRES_"))}
        # the servers run this checkout's code (ahead of the editable install's, which may point elsewhere)
        inherited["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
        mentorat_env = {
            **inherited,
            "MENTORAT_DATABASE_URL": PG_URL,
            "MENTORAT_DATABASE_SCHEMA": schema,
            "MENTORAT_MASTER_KEY": key,
            "MENTORAT_DATA_DIR": str(directory / "var"),
            "MENTORAT_LOG_LEVEL": "WARNING",
        }
        script = Path(sys.executable).parent / "mentorat"
        serve = [str(script)] if script.exists() else [sys.executable, "-c", "from cli.main import main; main()"]
        mentorat = stack.enter_context(
            subprocess_server(
                [*serve, "serve", "--host", "127.0.0.1", "--port", "{port}"],
                mentorat_env,
                "/healthz",
                directory / "mentorat.log",
            )
        )
        anchor = stack.enter_context(
            subprocess_server(
                [sys.executable, "-m", "bench.anchor_service", "service", "{port}"],
                {**inherited, **anchor_env},
                "/docs",
                directory / "anchor.log",
            )
        )
        hello = stack.enter_context(
            subprocess_server(
                [sys.executable, "-m", "bench.anchor_service", "hello", "{port}"],
                inherited,
                "/",
                directory / "hello.log",
            )
        )
        caught_up(mentorat, targets[-1], position)
        conditions = f"{wrk_version()}, -t1, -d{seconds}s after 1 s warm-up; load average {os.getloadavg()[0]:.2f}"

        started: dict[int, int] = {}  # where each table's round-robin goes on from

        def run(base: str, on: Sequence[Target], connections: int, method: str = "GET", body: str = "") -> Result:
            """A second's warm-up (not kept), then the measure; each run goes on past the previous one's requests
            and past what it may have left in flight (the server finishes those after wrk hangs up)."""
            result = None
            for length in (1, seconds):
                start = started.get(id(on), 0)
                result = wrk(base, on, method, body, connections, length, directory, start)
                started[id(on)] = start + result.requests + connections
            assert result is not None
            return result

        measured_hello = run(hello, [("/", "")], 16)
        measured_healthz = run(mentorat, [("/healthz", "")], 16)
        measured_summary = run(mentorat, targets, 16)
        anchors, commands = {}, {}
        ticks = [(f"/counters/{counter_id}/ticks", "") for counter_id in counter_ids]
        satisfaction = [(f"{path}/satisfaction", token) for path, token in targets]
        waits = {}
        for connections in (16, 64):
            anchors[connections] = run(anchor, ticks, connections, "POST", '{"amount": 1}')
            with lock_waits.sampled(PG_URL, schema) as waits[connections]:
                commands[connections] = run(mentorat, satisfaction, connections, "POST", '{"score": 4}')
            time.sleep(1)  # the read models fold what the commands wrote before the next measure
        return Measured(conditions, measured_hello, measured_healthz, measured_summary, anchors, commands, waits)


def drop(*schemas: str) -> None:
    """Drop this run's schemas."""
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        for name in schemas:
            conn.execute(f"DROP SCHEMA IF EXISTS {name} CASCADE")


def rows_of(m: Measured) -> list[Row]:
    """One row per measure: its figures and its ratio to its anchor."""
    out: list[Row] = [
        ("wrk: this run (PostgreSQL, one uvicorn worker each)", m.conditions, "-"),
        ("wrk, anchor: a bare FastAPI hello, 16 connections", m.hello.figures(), "the edge's anchor"),
        (
            "wrk: /healthz (mentorat serve), 16 connections",
            m.healthz.figures(),
            f"/healthz / hello {m.healthz.per_second / m.hello.per_second:.2f}x (target >= 0.7x)",
        ),
        (
            f"wrk: GET /v1/mentorships/{{id}}, {PAIRS} mentorships, 16 connections",
            m.summary.figures(),
            f"summary / /healthz {m.summary.per_second / m.healthz.per_second:.2f}x (target >= 0.6x, p99 <= 10 ms)",
        ),
    ]
    for connections, anchor in m.anchor.items():
        command = m.commands[connections]
        target = ">= 2x, 0 x 409, 0 x 5xx" + (", p99 <= 50 ms" if connections == 16 else "")
        out += [
            (
                f"wrk, anchor: FastAPI + eventsourcing POST, {PAIRS} aggregates, {connections} connections",
                anchor.figures(),
                "the commands' anchor",
            ),
            (
                f"wrk: POST /v1/mentorships/{{id}}/satisfaction, {PAIRS} mentorships, {connections} connections",
                command.figures() + f"; 409: {command.count(409)}, 5xx: {command.count(500, 599)}; "
                + m.lock_waits[connections].figures(),
                f"commands / anchor {command.per_second / anchor.per_second:.2f}x (target {target})",
            ),
        ]
    return out


def run() -> list[Row]:
    """Rows of (measure, figures, ratio), or one row saying why this part is skipped."""
    reason = unavailable()
    if reason is not None:
        return [("wrk under load (issue 12's anchors)", f"skipped: {reason}", "-")]
    return rows_of(measure(int(os.environ.get("MENTORAT_BENCH_WRK_SECONDS", "5"))))


if __name__ == "__main__":
    rows = run()
    width = max(len(r[0]) for r in rows)
    print(f"{'measure':<{width}}  figures  |  ratio (same run)")
    for measure_, figures, ratio in rows:
        print(f"{measure_:<{width}}  {figures}  |  {ratio}")
