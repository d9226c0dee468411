"""The one settings object, read from `MENTORAT_*` environment variables."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Where the store lives, pool sizes and credential lifetimes."""

    model_config = SettingsConfigDict(env_prefix="MENTORAT_", extra="ignore")

    data_dir: Path = Path("var")
    database_url: str | None = None
    database_schema: str | None = Field(default=None, pattern=r"^[a-z_][a-z0-9_]{0,62}$")
    pool_size: int = Field(default=5, ge=1, le=100)
    max_overflow: int = Field(default=10, ge=0, le=100)
    database_connect_timeout_seconds: int = Field(default=3, ge=2, le=60)  # libpq's, per connection attempt
    pool_timeout_seconds: int = Field(default=10, ge=1, le=300)  # a request waits this long for a connection
    statement_timeout_seconds: float = Field(default=30.0, ge=0, le=24 * 3600)  # 0: none
    token_ttl_days: int = Field(default=30, ge=1, le=365)
    invitation_ttl_days: int = Field(default=7, ge=1, le=90)
    log_level: str = "INFO"
    log_format: Literal["text", "json"] = "text"  # json: one JSON object per line (time, level, logger, message)
    projections: bool = True
    projection_batch_size: int = Field(default=1000, ge=1, le=100_000)
    projection_poll_seconds: float = Field(default=1.0, gt=0, le=60)
    read_wait_seconds: float = Field(default=5.0, ge=0, le=60)
    read_waits_per_caller: int = Field(default=8, ge=1, le=10_000)  # pending `?after` waits of one participant
    read_waits_per_process: int = Field(default=64, ge=1, le=100_000)  # pending `?after` waits of this process
    worker_threads: int = Field(default=24, ge=2, le=1000)  # the API's pool for blocking work (anyio's is 40)
    idempotency_hours: int = Field(default=24, ge=24, le=24 * 30)  # contract v1: kept at least 24 hours
    idempotency_lease_seconds: float = Field(default=60.0, gt=0, le=3600)  # a crashed request's key frees after this
    master_key: SecretStr | None = None  # base64 of 32 bytes; required on PostgreSQL, generated into data_dir on SQLite
    key_schema: str | None = Field(default=None, pattern=r"^[a-z_][a-z0-9_]{0,62}$")  # default: <schema>_keys
    aggregate_cache_size: int = Field(default=1000, ge=0, le=1_000_000)  # aggregates a process keeps; 0: none
    key_cache_seconds: float = Field(default=60.0, ge=0, le=3600)  # how long a process keeps a data key in memory
    audit_key_file: Path | None = None  # checkpoints' Ed25519 key (PEM); on SQLite generated into data_dir if unset
    checkpoint_dir: Path | None = None  # where signed checkpoints go; SQLite default <data_dir>/checkpoints; PG: none
    checkpoint_minutes: float = Field(default=60.0, ge=0, le=7 * 24 * 60)  # periodic checkpoints; 0 turns them off

    metrics: bool = True  # GET /metrics (Prometheus text format); MENTORAT_METRICS=false answers it 404
    ready_max_lag_events: int = Field(default=1000, ge=0, le=10_000_000)  # /readyz: events a read model may be behind
    docs: bool = True  # /docs and /redoc (served offline); MENTORAT_DOCS=false turns them off
    mail_url: SecretStr | None = None  # smtp://[user[:password]@]host[:port][?starttls=true] or file:///dir
    mail_from: str = "Mentorat <mentorat@localhost>"
    public_url: str = Field(default="http://127.0.0.1:8000", pattern=r"^https?://[^\s#?]+$")  # links in messages
    outbox_poll_seconds: float = Field(default=1.0, gt=0, le=2)  # a commit in another process is sent within this

    @property
    def uses_postgres(self) -> bool:
        """True when `MENTORAT_DATABASE_URL` selects PostgreSQL."""
        return bool(self.database_url)

    @property
    def mail_target(self) -> str:
        """Where messages go: the setting, or the data directory's `outbox` folder."""
        if self.mail_url is not None:
            return self.mail_url.get_secret_value()
        return (self.data_dir.resolve() / "outbox").as_uri()

    @property
    def checkpoint_directory(self) -> Path | None:
        """The store's own checkpoint directory: the setting, the embedded store's `<data_dir>/checkpoints`, or None.

        A PostgreSQL store has no default: its checkpoints must not land beside an embedded store's (in the data
        directory), where verifying the folder would mix two histories.
        """
        if self.checkpoint_dir is not None:
            return self.checkpoint_dir
        return None if self.uses_postgres else self.data_dir / "checkpoints"

    @property
    def checkpoints_path(self) -> Path:
        """The checkpoint directory; `NoCheckpointDirectory` on PostgreSQL without `MENTORAT_CHECKPOINT_DIR`."""
        directory = self.checkpoint_directory
        if directory is None:
            raise NoCheckpointDirectory
        return directory


class NoCheckpointDirectory(ValueError):
    """PostgreSQL without `MENTORAT_CHECKPOINT_DIR`: no directory of the store's own for checkpoints."""

    def __init__(self) -> None:
        super().__init__(
            "no checkpoint directory: set MENTORAT_CHECKPOINT_DIR (PostgreSQL has no default), or give --out"
        )
