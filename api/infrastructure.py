"""The composition root: turns settings into the library's environment and builds the service."""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import timedelta
from typing import Any
from urllib.parse import unquote, urlsplit

import psycopg
from psycopg import sql

from api.encryption import EncryptedMentorat
from api.key_tables import PostgresKeyTable, SQLiteKeyTable
from api.keys import KeyRing, KeyTable, MasterKeyError, decode_master_key, master_key_file
from api.settings import Settings
from application.ports import Ports
from application.service import MentoratService
from application.store import Mentorat
from projections.coordination import lock_key

SQLITE_FILE = "mentorat.sqlite3"
KEYS_FILE = "keys.sqlite3"  # the data keys, beside the events but in a file of their own
MASTER_KEY_FILE = "master.key"  # generated once, owner-only, when MENTORAT_MASTER_KEY is unset
MAPPER_TOPIC = "api.encryption:FieldMapper"
MAX_IDENTIFIER = 63


class ConfigurationError(ValueError):
    """The settings cannot describe a store."""


def postgres_env(url: str, settings: Settings, libpq_env: Mapping[str, str] | None = None) -> dict[str, str]:
    """Split `postgresql://user[:password]@host[:port]/dbname` into the library's POSTGRES_* keys.

    The library passes every key to libpq explicitly, which would silence libpq's own PGHOST, PGPORT,
    PGUSER and PGPASSWORD: what the URL leaves out is taken from them, as libpq would. Errors never
    repeat the URL (it may hold a password).
    """
    pg = os.environ if libpq_env is None else libpq_env
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise ConfigurationError("MENTORAT_DATABASE_URL is not a valid URL") from None
    if parts.scheme not in ("postgresql", "postgres") or not parts.path.strip("/"):
        raise ConfigurationError("MENTORAT_DATABASE_URL must look like postgresql://user[:password]@host[:port]/dbname")
    if parts.query or parts.fragment:
        raise ConfigurationError("MENTORAT_DATABASE_URL takes no options: use the PG* environment variables")
    env = {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "APPLICATION_RECORDER_TOPIC": "api.recorders:PostgresIdempotentRecorder",
        "POSTGRES_DBNAME": unquote(parts.path.lstrip("/")),
        "POSTGRES_HOST": unquote(parts.hostname or "") or pg.get("PGHOST", "localhost"),
        "POSTGRES_PORT": str(port or pg.get("PGPORT", "5432")),
        "POSTGRES_USER": unquote(parts.username or "") or pg.get("PGUSER", "postgres"),
        "POSTGRES_PASSWORD": unquote(parts.password or "") or pg.get("PGPASSWORD", ""),
        "POSTGRES_POOL_SIZE": str(settings.pool_size),
        "POSTGRES_MAX_OVERFLOW": str(settings.max_overflow),
    }
    if settings.database_schema:
        env["POSTGRES_SCHEMA"] = settings.database_schema
    return env


# The library merges the process environment under ours. Its insert functions would bypass our recorders'
# insert hooks (the chain, idempotency records) and snapshots would hold sealed state, so these keys are
# pinned, not inherited (a whole-event CIPHER_KEY or compressor may still be added on top of the sealing).
PINNED = {
    "POSTGRES_ENABLE_DB_FUNCTIONS": "no",
    "IS_SNAPSHOTTING_ENABLED": "no",
    "MAPPER_TOPIC": MAPPER_TOPIC,
}


def store_env(settings: Settings) -> dict[str, str]:
    """The eventsourcing environment for the configured store; its mapper seals confidential fields."""
    if settings.database_url:
        return {**postgres_env(settings.database_url, settings), **PINNED}
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return {
        **PINNED,
        "PERSISTENCE_MODULE": "eventsourcing.sqlite",
        "APPLICATION_RECORDER_TOPIC": "api.recorders:SQLiteIdempotentRecorder",
        "SQLITE_DBNAME": str(settings.data_dir / SQLITE_FILE),
        "SQLITE_LOCK_TIMEOUT": "10",
    }


def key_schema(settings: Settings) -> str:
    """The PostgreSQL schema of the data keys: apart from the events' (`<schema>_keys` unless set)."""
    schema = settings.key_schema or f"{settings.database_schema or 'mentorat'}_keys"
    if len(schema) > MAX_IDENTIFIER or schema == (settings.database_schema or "public"):
        raise ConfigurationError("MENTORAT_KEY_SCHEMA must be a schema of its own, at most 63 characters")
    return schema


def open_key_ring(settings: Settings, env: Mapping[str, str]) -> KeyRing:
    """The data keys: a file of their own beside the embedded store, or a schema of their own on PostgreSQL."""
    try:
        if settings.master_key is not None:
            master = decode_master_key(settings.master_key.get_secret_value())
        elif settings.uses_postgres:
            raise MasterKeyError("MENTORAT_MASTER_KEY is required with PostgreSQL (base64 of 32 random bytes)")
        else:
            master = master_key_file(settings.data_dir / MASTER_KEY_FILE)
        table: KeyTable = (
            PostgresKeyTable(connect_args(env), key_schema(settings))
            if settings.uses_postgres
            else SQLiteKeyTable(settings.data_dir / KEYS_FILE)
        )
        try:
            return KeyRing(table, master, settings.key_cache_seconds)
        except BaseException:
            table.close()
            raise
    except MasterKeyError as error:
        raise ConfigurationError(str(error)) from None


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


def build_service(settings: Settings, ports: Ports | None = None, *, with_keys: bool = True) -> MentoratService:
    """The write side over the configured store (connects now: call it at start-up, never at import).

    Without keys (the projector, a rebuild) no master key is needed: sealed fields read as `Sealed` values,
    and a command storing a confidential text is refused.
    """
    ports = ports or Ports(
        invitation_ttl=timedelta(days=settings.invitation_ttl_days),
        token_ttl=timedelta(days=settings.token_ttl_days),
    )
    env = store_env(settings)
    ensure_schema(env)
    with startup_lock(env):
        if not with_keys:
            return MentoratService(Mentorat(env=env), ports)
        keys = open_key_ring(settings, env)
        try:
            store = EncryptedMentorat(env=env, keys=keys)
        except BaseException:
            keys.close()
            raise
    return MentoratService(store, ports)
