"""What a process says when it starts: its store, data directory, key store and duties, in one line.

Never a password: the PostgreSQL store is named by host, port, database and schema only (read back from the
same parsing the store uses, so libpq's PG* defaults show as they apply).
"""

from __future__ import annotations

from collections.abc import Sequence

from bootstrap.settings import Settings
from bootstrap.store_env import KEYS_FILE, MASTER_KEY_FILE, SQLITE_FILE, key_schema, postgres_env


def store_named(settings: Settings) -> str:
    """`PostgreSQL host:port/db schema s`, or `SQLite /path/mentorat.sqlite3`."""
    if settings.database_url:
        env = postgres_env(settings.database_url, settings)
        where = f"{env['POSTGRES_HOST']}:{env['POSTGRES_PORT']}/{env['POSTGRES_DBNAME']}"
        return f"PostgreSQL {where} schema {settings.database_schema or 'public'}"
    return f"SQLite {(settings.data_dir / SQLITE_FILE).resolve()}"


def key_store_named(settings: Settings) -> str:
    """Where the master key comes from, and where the data keys it wraps are kept."""
    if settings.master_key is not None:
        master = "from MENTORAT_MASTER_KEY"
    elif settings.uses_postgres:
        master = "missing (MENTORAT_MASTER_KEY)"
    else:
        master = str((settings.data_dir / MASTER_KEY_FILE).resolve())
    data_keys = (
        f"schema {key_schema(settings)}" if settings.uses_postgres else str((settings.data_dir / KEYS_FILE).resolve())
    )
    return f"master key {master}, data keys in {data_keys}"


def startup_line(settings: Settings, command: str, duties: Sequence[str]) -> str:
    """The one start-up line of `mentorat serve` or `mentorat projector`."""
    return (
        f"mentorat {command}: store {store_named(settings)}; data directory {settings.data_dir.resolve()}; "
        f"keys: {key_store_named(settings)}; runs {', '.join(duties)}"
    )


def checkpoints_off(settings: Settings) -> str | None:
    """One line when this process writes no periodic checkpoint though it runs the audit duties (else None)."""
    if settings.checkpoint_minutes <= 0:
        return "periodic checkpoints are off (MENTORAT_CHECKPOINT_MINUTES=0)"
    if settings.checkpoint_directory is None:
        return "periodic checkpoints are off: set MENTORAT_CHECKPOINT_DIR to a directory of this store's own"
    if settings.uses_postgres and settings.audit_key_file is None:  # every process must sign with the same key
        return "periodic checkpoints are off: set MENTORAT_AUDIT_KEY_FILE to the signing key (a PEM file)"
    return None


def audit_duties_named(settings: Settings) -> str:
    """The audit duties, with where and how often they checkpoint."""
    directory = settings.checkpoint_directory
    if directory is None or checkpoints_off(settings) is not None:
        return "audit duties (no periodic checkpoints)"
    return f"audit duties (checkpoints to {directory.resolve()} every {settings.checkpoint_minutes:g} min)"


def serve_duties(settings: Settings, workers: int) -> list[str]:
    """What `mentorat serve` runs: the API in `workers` processes, and the background work beside it."""
    background = ["outbox delivery"]
    if settings.projections:
        background = ["projectors", "outbox delivery", audit_duties_named(settings)]
    if workers == 1:
        return ["the API (1 worker)", *background]
    return [f"the API ({workers} workers) and, in one worker at a time, {background[0]}", *background[1:]]


def projector_duties(settings: Settings, delivers: bool) -> list[str]:
    """What `mentorat projector` runs: the projectors and audit duties, and the outbox when it has the keys."""
    return ["projectors", audit_duties_named(settings), "outbox delivery" if delivers else "no outbox delivery"]
