"""The store's environment: settings become the library's keys (recorder, mapper, PostgreSQL or SQLite)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from urllib.parse import unquote, urlsplit

from application.mentorat import MENTORSHIP_CACHE_SIZE
from bootstrap.settings import Settings
from infrastructure.postgres import (
    LIBPQ_CONNECT_TIMEOUT,
    LIBPQ_OPTIONS,
    PERSISTENCE_TOPIC,
    ensure_schema,
)
from infrastructure.postgres import DatabaseUnreachable as DatabaseUnreachable  # the CLI's to report
from infrastructure.postgres_store import StoreUnavailable as StoreUnavailable  # the CLI's to report
from infrastructure.private_files import private_directory, private_file

SQLITE_FILE = "mentorat.sqlite3"
KEYS_FILE = "keys.sqlite3"  # the data keys, beside the events but in a file of their own
MASTER_KEY_FILE = "master.key"  # generated once, owner-only, when MENTORAT_MASTER_KEY is unset
MAPPER_TOPIC = "infrastructure.field_mapper:FieldMapper"
MAX_IDENTIFIER = 63


class ConfigurationError(ValueError):
    """The settings cannot describe a store."""


def postgres_env(url: str, settings: Settings, libpq_env: Mapping[str, str] | None = None) -> dict[str, str]:
    """Split `postgresql://user[:password]@host[:port]/dbname` into the library's POSTGRES_* keys.

    The library passes every key to libpq explicitly, which would silence libpq's own PGHOST, PGPORT,
    PGUSER and PGPASSWORD: what the URL leaves out is taken from them, as libpq would. Errors never
    repeat the URL (it may hold a password). Our timeouts: libpq's connect timeout on every connection,
    the pool timeout as the library's `POSTGRES_CONNECT_TIMEOUT` (how long a call waits for a pooled
    connection), and the statement timeout in libpq's `options`, after PGOPTIONS (which it would replace).
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
        "PERSISTENCE_MODULE": PERSISTENCE_TOPIC,
        "APPLICATION_RECORDER_TOPIC": "infrastructure.recorders:PostgresIdempotentRecorder",
        "POSTGRES_DBNAME": unquote(parts.path.lstrip("/")),
        "POSTGRES_HOST": unquote(parts.hostname or "") or pg.get("PGHOST", "localhost"),
        "POSTGRES_PORT": str(port or pg.get("PGPORT", "5432")),
        "POSTGRES_USER": unquote(parts.username or "") or pg.get("PGUSER", "postgres"),
        "POSTGRES_PASSWORD": unquote(parts.password or "") or pg.get("PGPASSWORD", ""),
        "POSTGRES_POOL_SIZE": str(settings.pool_size),
        "POSTGRES_MAX_OVERFLOW": str(settings.max_overflow),
        "POSTGRES_CONNECT_TIMEOUT": str(settings.pool_timeout_seconds),
        LIBPQ_CONNECT_TIMEOUT: str(settings.database_connect_timeout_seconds),
    }
    if settings.statement_timeout_seconds:
        statement = f"-c statement_timeout={round(settings.statement_timeout_seconds * 1000)}"
        env[LIBPQ_OPTIONS] = f"{pg.get('PGOPTIONS', '')} {statement}".strip()
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


def cache_env(settings: Settings) -> dict[str, str]:
    """The mentorships' cache (`Mentorat.load`), and the library's own cache pinned off.

    The library's would keep every aggregate, participants' names in clear among them: a key destroyed
    without an erasure event (a key store restored from an old backup) would not reach a cached copy.
    """
    return {"AGGREGATE_CACHE_MAXSIZE": "", MENTORSHIP_CACHE_SIZE: str(settings.aggregate_cache_size)}


def store_env(settings: Settings) -> dict[str, str]:
    """The eventsourcing environment for the configured store; its mapper seals confidential fields."""
    cache = cache_env(settings)  # pinned too: the process environment cannot turn the library's cache on
    if settings.database_url:
        return {**postgres_env(settings.database_url, settings), **PINNED, **cache}
    private_directory(settings.data_dir)
    private_file(settings.data_dir / SQLITE_FILE)  # its -wal and -shm files take the database file's mode
    return {
        **PINNED,
        **cache,
        "PERSISTENCE_MODULE": "eventsourcing.sqlite",
        "APPLICATION_RECORDER_TOPIC": "infrastructure.recorders:SQLiteIdempotentRecorder",
        "SQLITE_DBNAME": str(settings.data_dir / SQLITE_FILE),
        "SQLITE_LOCK_TIMEOUT": "10",
    }


def check_store(settings: Settings) -> None:
    """Open the configured database once, now: `DatabaseUnreachable` (one line, host and port) if it cannot be."""
    ensure_schema(store_env(settings))


def key_schema(settings: Settings) -> str:
    """The PostgreSQL schema of the data keys: apart from the events' (`<schema>_keys` unless set)."""
    schema = settings.key_schema or f"{settings.database_schema or 'mentorat'}_keys"
    if len(schema) > MAX_IDENTIFIER or schema == (settings.database_schema or "public"):
        raise ConfigurationError("MENTORAT_KEY_SCHEMA must be a schema of its own, at most 63 characters")
    return schema
