"""PostgreSQL helpers: connection arguments from the library's keys, the schema, and the start-up lock."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg import sql

from projections.coordination import lock_key


def connect_args(env: Mapping[str, str]) -> dict[str, Any]:
    """psycopg connection arguments from the library's POSTGRES_* keys."""
    return {
        "dbname": env["POSTGRES_DBNAME"],
        "host": env["POSTGRES_HOST"],
        "port": env["POSTGRES_PORT"],
        "user": env["POSTGRES_USER"],
        "password": env["POSTGRES_PASSWORD"],
    }


def startup_key(schema: str) -> int:
    """The advisory-lock key that serialises start-up DDL in one schema."""
    return lock_key(schema, "start-up")  # never a read model's name, so never a projector's key


@contextmanager
def startup_lock(env: Mapping[str, str]) -> Iterator[None]:
    """On PostgreSQL, one process at a time creates tables, functions and indexes in a schema.

    Two processes starting at once otherwise collide in DDL (`CREATE TABLE IF NOT EXISTS` and the
    library's `CREATE OR REPLACE FUNCTION` are not safe to run concurrently).
    """
    if env.get("PERSISTENCE_MODULE") != "eventsourcing.postgres":
        yield
        return
    key = startup_key(env.get("POSTGRES_SCHEMA") or "public")
    with psycopg.connect(**connect_args(env), autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (key,))
        try:
            yield
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (key,))


def ensure_schema(env: Mapping[str, str]) -> None:
    """Create the configured PostgreSQL schema if missing (the library expects it to exist)."""
    schema = env.get("POSTGRES_SCHEMA")
    if not schema:
        return
    with psycopg.connect(**connect_args(env), autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema)))
