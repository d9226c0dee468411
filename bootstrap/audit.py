"""The audit duties: the configured store and signing key, and the background sealing and checkpoints.

Every tick the duty chains events a foreign writer left unchained (an older release during an upgrade);
once `MENTORAT_CHECKPOINT_MINUTES` have passed since the last recorded checkpoint (or since this
process started, on a store that has none), it writes a signed checkpoint to the checkpoint directory.
A failure is logged by its type and retried at the next tick; nothing here can stop the projectors. A
refused checkpoint (the chain no longer continues the last one, or does not verify) is logged by its type
and position only, and refused again (and logged) at every tick: only an operator's
`mentorat audit checkpoint --full` starts a new series.

The signing key: on the embedded store it is generated once in the data directory (owner-only) when
absent; on PostgreSQL it must be given (`MENTORAT_AUDIT_KEY_FILE`), since every process signs with it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from eventsourcing.persistence import ApplicationRecorder, InfrastructureFactory
from eventsourcing.utils import Environment

from bootstrap.settings import Settings
from bootstrap.store_env import store_env
from infrastructure.audit.chain_sql import LOWEST, events_after, head
from infrastructure.audit.checkpoint_format import CheckpointRefused, checkpoint_file
from infrastructure.audit.checkpoint_writer import last_checkpoint_at, write_checkpoint
from infrastructure.audit.sealing import seal
from infrastructure.audit.signing_key import KEY_FILE, MissingKey, generate, read_signing_key
from infrastructure.audit.store import AuditStore, audit_store
from infrastructure.postgres import ensure_schema, startup_lock

log = logging.getLogger("mentorat.audit")
TICK_SECONDS = 10.0


def key_path(settings: Settings) -> Path:
    """Where the private key is: the setting, or the embedded store's data directory."""
    if settings.audit_key_file is not None:
        return settings.audit_key_file
    if settings.uses_postgres:
        raise MissingKey("set MENTORAT_AUDIT_KEY_FILE to the checkpoint signing key (a PEM file)")
    return settings.data_dir / KEY_FILE


def signing_key(settings: Settings) -> Ed25519PrivateKey:
    """The signing key; generated on the embedded store when absent."""
    path = key_path(settings)
    if not path.exists():
        if settings.audit_key_file is not None:  # on PostgreSQL `key_path` already required the setting
            raise MissingKey(f"the checkpoint signing key {path} does not exist")
        generate(path)
    return read_signing_key(path)


@contextmanager
def opened(settings: Settings, *, start: bool = False) -> Iterator[AuditStore]:
    """The configured store for the audit commands: as is, or started (tables created, unchained tail sealed)."""
    env = store_env(settings)
    if start:
        ensure_schema(env)
    env = {**env, "CREATE_TABLE": "yes" if start else "no"}
    factory = InfrastructureFactory.construct(Environment("Mentorat", env))
    try:
        with startup_lock(env) if start else nullcontext():
            recorder = factory.application_recorder()
        yield audit_store(recorder)
    finally:
        factory.close()


def unchained_tail(store: AuditStore) -> bool:
    """Whether events are stored after the chain's head (read only: no lock taken when there are none)."""
    with store.reading() as cursor:
        top = head(cursor, store.dialect)
        return bool(events_after(cursor, store.dialect, LOWEST if top is None else top.position, 1))


def tick(store: AuditStore, settings: Settings, started: datetime, now: datetime) -> None:
    """Seal the unchained tail, then write a checkpoint if one is due."""
    if unchained_tail(store):
        log.info("sealed %d unchained events", seal(store))
    if settings.checkpoint_minutes <= 0:
        return
    due = (last_checkpoint_at(store) or started) + timedelta(minutes=settings.checkpoint_minutes)
    if now >= due:
        written = write_checkpoint(store, signing_key(settings), checkpoint_file(settings.checkpoints_path, now), now)
        log.info("checkpoint %s: %d events through position %s", written.path.name, written.events, written.head)


def run_periodically(
    store: AuditStore, settings: Settings, stop: threading.Event, clock: Callable[[], datetime] | None = None
) -> None:
    """Tick until stopped."""
    now = clock or (lambda: datetime.now(UTC))
    started = now()
    interval = min(TICK_SECONDS, settings.checkpoint_minutes * 60 or TICK_SECONDS)
    warned = False
    while not stop.wait(interval):
        try:
            tick(store, settings, started, now())
        except CheckpointRefused as error:  # by type and position: never the store's content
            log.error(
                "checkpoint refused (%s at position %d); refused again until --full",
                type(error).__name__,
                error.position,
            )
        except MissingKey as error:
            if not warned:
                log.warning("no periodic checkpoints: %s", error)
                warned = True
        except Exception as error:  # logged by type only (a message may quote the store)
            log.warning("audit tick failed (%s); retrying", type(error).__name__)


class AuditDuties:
    """The periodic sealing and checkpoints of one store, in a background thread of the serving process."""

    def __init__(self, recorder: ApplicationRecorder, settings: Settings) -> None:
        self.store = audit_store(recorder)
        self.settings = settings
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Tick in a daemon thread until `stop()`."""
        args = (self.store, self.settings, self._stop)
        self._thread = threading.Thread(target=run_periodically, args=args, name="audit-checkpoints", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop ticking and wait for the thread."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
