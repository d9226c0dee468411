"""The composition root: turns settings into the library's environment and builds the service."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import unquote, urlsplit

import psycopg
from psycopg import sql

from api.settings import Settings
from application.ports import Ports
from application.service import MentoratService
from application.store import Mentorat

SQLITE_FILE = "mentorat.sqlite3"


class ConfigurationError(ValueError):
    """The settings cannot describe a store."""


def postgres_env(url: str, settings: Settings) -> dict[str, str]:
    """Split `postgresql://user[:password]@host[:port]/dbname` into the library's POSTGRES_* keys."""
    parts = urlsplit(url)
    if parts.scheme not in ("postgresql", "postgres") or not parts.path.strip("/"):
        raise ConfigurationError("MENTORAT_DATABASE_URL must look like postgresql://user@host:port/dbname")
    env = {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": unquote(parts.path.lstrip("/")),
        "POSTGRES_HOST": parts.hostname or "localhost",
        "POSTGRES_PORT": str(parts.port or 5432),
        "POSTGRES_USER": unquote(parts.username or "postgres"),
        "POSTGRES_PASSWORD": unquote(parts.password or ""),
        "POSTGRES_POOL_SIZE": str(settings.pool_size),
        "POSTGRES_MAX_OVERFLOW": str(settings.max_overflow),
    }
    if settings.database_schema:
        env["POSTGRES_SCHEMA"] = settings.database_schema
    return env


def store_env(settings: Settings) -> dict[str, str]:
    """The eventsourcing environment for the configured store."""
    if settings.database_url:
        return postgres_env(settings.database_url, settings)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return {
        "PERSISTENCE_MODULE": "eventsourcing.sqlite",
        "SQLITE_DBNAME": str(settings.data_dir / SQLITE_FILE),
        "SQLITE_LOCK_TIMEOUT": "10",
    }


def ensure_schema(settings: Settings) -> None:
    """Create the configured PostgreSQL schema if missing (the library expects it to exist)."""
    if settings.database_url and settings.database_schema:
        with psycopg.connect(settings.database_url, autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(settings.database_schema)))


def build_service(settings: Settings, ports: Ports | None = None) -> MentoratService:
    """The write side over the configured store (connects now: call it at start-up, never at import)."""
    ports = ports or Ports(
        invitation_ttl=timedelta(days=settings.invitation_ttl_days),
        token_ttl=timedelta(days=settings.token_ttl_days),
    )
    ensure_schema(settings)
    return MentoratService(Mentorat(env=store_env(settings)), ports)
