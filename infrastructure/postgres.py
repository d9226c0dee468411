"""PostgreSQL helpers: connection arguments from the library's keys, the schema, and the start-up lock."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg import sql

from projections.coordination import lock_key

PERSISTENCE_TOPIC = "infrastructure.postgres_store:BoundedPostgresFactory"
LIBPQ_CONNECT_TIMEOUT = "POSTGRES_LIBPQ_CONNECT_TIMEOUT"  # seconds per connection attempt (libpq's connect_timeout)
LIBPQ_OPTIONS = "POSTGRES_LIBPQ_OPTIONS"  # libpq's `options`: the statement timeout, and PGOPTIONS


class DatabaseUnreachable(RuntimeError):
    """The database cannot be opened: the message names the host and port, never the password or the URL."""


def uses_postgres(env: Mapping[str, str]) -> bool:
    """True when the store's environment selects PostgreSQL."""
    return env.get("PERSISTENCE_MODULE") in (PERSISTENCE_TOPIC, "eventsourcing.postgres")


def connect_args(env: Mapping[str, str]) -> dict[str, Any]:
    """psycopg connection arguments from the library's POSTGRES_* keys (with our connect and statement timeouts)."""
    args: dict[str, Any] = {
        "dbname": env["POSTGRES_DBNAME"],
        "host": env["POSTGRES_HOST"],
        "port": env["POSTGRES_PORT"],
        "user": env["POSTGRES_USER"],
        "password": env["POSTGRES_PASSWORD"],
    }
    if env.get(LIBPQ_CONNECT_TIMEOUT):
        args["connect_timeout"] = env[LIBPQ_CONNECT_TIMEOUT]
    if env.get(LIBPQ_OPTIONS):
        args["options"] = env[LIBPQ_OPTIONS]
    return args


def with_search_path(env: Mapping[str, str]) -> dict[str, str]:
    """The environment, its connections opening with the store's schema as their search path, plans serial (PostgreSQL).

    The read models' statements name their tables without a schema: set once per connection, a query is one
    statement on an autocommit connection instead of BEGIN, SET LOCAL, the statement and ROLLBACK.
    """
    if not uses_postgres(env):
        return dict(env)
    path = f"-c search_path={env.get('POSTGRES_SCHEMA') or 'public'}"
    # The read models' statements are indexed aggregates of a few hundred rows: a parallel plan only adds the
    # launch of its workers (5 ms of a quarter's 17 ms report statement at 10,000 pairs, measured).
    serial = "-c max_parallel_workers_per_gather=0"
    return {**env, LIBPQ_OPTIONS: f"{env.get(LIBPQ_OPTIONS, '')} {path} {serial}".strip()}


def startup_key(schema: str) -> int:
    """The advisory-lock key that serialises start-up DDL in one schema."""
    return lock_key(schema, "start-up")  # never a read model's name, so never a projector's key


@contextmanager
def startup_lock(env: Mapping[str, str]) -> Iterator[None]:
    """On PostgreSQL, one process at a time creates tables, functions and indexes in a schema.

    Two processes starting at once otherwise collide in DDL (`CREATE TABLE IF NOT EXISTS` and the
    library's `CREATE OR REPLACE FUNCTION` are not safe to run concurrently). Waiting for another
    process's start-up is not a statement to time out.
    """
    if not uses_postgres(env):
        yield
        return
    key = startup_key(env.get("POSTGRES_SCHEMA") or "public")
    with psycopg.connect(**connect_args(env), autocommit=True) as conn:
        conn.execute("SET statement_timeout = 0")
        conn.execute("SELECT pg_advisory_lock(%s)", (key,))
        try:
            yield
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (key,))


def ensure_schema(env: Mapping[str, str]) -> None:
    """Open the database once, at start-up, and create the configured schema if missing (the library expects it)."""
    probe(env, create_schema=True)


def probe(env: Mapping[str, str], *, create_schema: bool = False) -> None:
    """Open the database once: `DatabaseUnreachable` within the connect timeout if it cannot be opened.

    Without this the first call would go to the library's pool, which retries each call for much longer.
    """
    if not uses_postgres(env):
        return
    try:
        with psycopg.connect(**connect_args(env), autocommit=True) as conn:
            schema = env.get("POSTGRES_SCHEMA")
            if schema and create_schema:
                conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema)))
    except psycopg.OperationalError as error:
        raise DatabaseUnreachable(unreachable(env, error)) from None


def unreachable(env: Mapping[str, str], error: psycopg.OperationalError) -> str:
    """One line naming the server (host and port), the database or the user: never the driver's message,
    the URL or the password."""
    where = f"{env['POSTGRES_HOST']}:{env['POSTGRES_PORT']}"
    text = str(error)  # libpq reports connection failures without a SQLSTATE: recognise its words
    if f'database "{env["POSTGRES_DBNAME"]}" does not exist' in text:
        return f'the database "{env["POSTGRES_DBNAME"]}" does not exist on the server at {where}'
    refused = ("authentication failed", "no pg_hba.conf entry", f'role "{env["POSTGRES_USER"]}" does not exist')
    if any(words in text for words in refused):
        return f'the server at {where} refused the connection of user "{env["POSTGRES_USER"]}"'
    if "timeout expired" in text:
        return f"the database server at {where} did not answer within the connect timeout"
    if "too many clients" in text or "remaining connection slots" in text:
        return f"the database server at {where} has no connection slot left (max_connections): try again later"
    return f"cannot connect to the database server at {where} (is it running and accepting connections?)"
