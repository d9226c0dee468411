"""A database that cannot be opened at start-up: one line naming host and port, exit 2, at once.

Not the library's retries (ten attempts, each waiting its pool timeout) and a traceback. Each command runs as
the operator runs it: the installed `mentorat` script, in a process of its own.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from tests.conftest import postgres_url, require_postgres
from tests.throwaway_cluster import free_port

MENTORAT = str(Path(sys.executable).parent / "mentorat")
PASSWORD = "s3cret-pw"
COMMANDS = [["serve", "--port", "0"], ["projector"], ["programme", "create", "--name", "P", "--coordinator-name", "C"]]
SANITY_SECONDS = 10  # the contract says 5 s; this only catches the old minutes-long wait, not a slow machine


def run(command: list[str], url: str, tmp_path: Path) -> tuple[subprocess.CompletedProcess[str], float]:
    env = {**os.environ, "MENTORAT_DATABASE_URL": url, "MENTORAT_DATA_DIR": str(tmp_path / "var")}
    env.pop("MENTORAT_DATABASE_SCHEMA", None)
    started = time.monotonic()
    done = subprocess.run([MENTORAT, *command], env=env, capture_output=True, text=True, timeout=120)
    return done, time.monotonic() - started


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c[0])
def test_a_port_where_nothing_listens_is_one_line_naming_host_and_port(command: list[str], tmp_path: Path) -> None:
    port = free_port()
    # Given a URL, with a password, to a port nothing listens on
    done, seconds = run(command, f"postgresql://mentorat:{PASSWORD}@127.0.0.1:{port}/mentorat", tmp_path)
    # Then the command exits 2 at once, with one line on stderr naming the server, never the password or URL
    assert done.returncode == 2, done.stderr
    assert seconds < SANITY_SECONDS
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), done.stderr
    assert f"127.0.0.1:{port}" in lines[0]
    assert PASSWORD not in done.stderr + done.stdout and "postgresql://" not in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.postgres
@pytest.mark.parametrize("command", COMMANDS[:2], ids=lambda c: c[0])
def test_a_missing_database_is_one_line_naming_it_and_the_server(command: list[str], tmp_path: Path) -> None:
    require_postgres()
    parts = urlsplit(postgres_url())
    host, port = parts.hostname, parts.port or 5432
    # Given the real server, and a database name it does not have (and a password: trust ignores it)
    netloc = f"{parts.username or 'postgres'}:{PASSWORD}@{host}:{port}"
    done, seconds = run(command, urlunsplit(("postgresql", netloc, "/mentorat_no_such_db", "", "")), tmp_path)
    # Then one line says which database is missing where, and the command exits 2
    assert done.returncode == 2, done.stderr
    assert seconds < SANITY_SECONDS
    assert done.stderr.splitlines() == [
        f'error: the database "mentorat_no_such_db" does not exist on the server at {host}:{port}'
    ]
    assert PASSWORD not in done.stderr + done.stdout


def test_a_server_without_a_free_connection_slot_says_so() -> None:
    from psycopg import OperationalError

    from infrastructure.postgres import unreachable

    env = {"POSTGRES_HOST": "db.example", "POSTGRES_PORT": "5432", "POSTGRES_DBNAME": "m", "POSTGRES_USER": "u"}
    full = OperationalError('connection to server at "db.example", port 5432 failed: FATAL:  sorry, too many clients')
    assert unreachable(env, full) == (
        "the database server at db.example:5432 has no connection slot left (max_connections): try again later"
    )
