"""The audit duties: the configured store and signing key, the operator's sealing, the periodic checkpoints.

Nothing here chains an event silently. When the duty starts it counts the stored events without a chain link
(written by someone else: an older release, a restore, a manual insert) and, if there are any, logs one warning
line with their number, never their content; the process keeps serving so that the operator can investigate
(`mentorat audit verify` names them) and, for a store written before the chain existed, seal them explicitly
(`mentorat audit seal --yes`, recorded as an event).

Once `MENTORAT_CHECKPOINT_MINUTES` have passed since the last recorded checkpoint (or since this process
started, on a store that has none), the duty writes a signed checkpoint to the store's checkpoint directory
(`Settings.checkpoint_directory`: on PostgreSQL only with `MENTORAT_CHECKPOINT_DIR`, else none is written),
continuing from the newest signed one there. A failure is logged by its type and retried at the next
tick; nothing here can stop the projectors. A refused checkpoint (the chain no longer matches the newest
signed one, or does not verify) is logged by its type and position only, and refused again (and logged)
at every tick: only an operator's `mentorat audit checkpoint --full` starts a new series.

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

from application.mentorat import CommandResult
from application.store_sealing import HistorySealing
from bootstrap.election import one_at_a_time
from bootstrap.service import build_service
from bootstrap.settings import Settings
from bootstrap.store_env import store_env
from infrastructure.audit.checkpoint_format import CheckpointRefused, checkpoint_file
from infrastructure.audit.checkpoint_reader import CheckpointIndex
from infrastructure.audit.checkpoint_writer import last_checkpoint_at, write_checkpoint
from infrastructure.audit.findings import Finding, Report
from infrastructure.audit.history_state import record_verification
from infrastructure.audit.sealing import unchained
from infrastructure.audit.signing_key import KEY_FILE, MissingKey, generate, read_signing_key
from infrastructure.audit.store import AuditStore, audit_store
from infrastructure.audit.verify import Progress, Verification, verify
from infrastructure.postgres import ensure_schema, probe, startup_lock

log = logging.getLogger("mentorat.audit")
TICK_SECONDS = 10.0
DUTY_LOCK = "audit duties"  # one advisory lock per schema: one process warns and writes checkpoints


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
    """The configured store for the audit commands: as is, or started (its tables created; nothing is chained)."""
    env = store_env(settings)
    if start:
        ensure_schema(env)
    else:
        probe(env)  # an unreachable database is one line at once, not the library's retries
    env = {**env, "CREATE_TABLE": "yes" if start else "no"}
    factory = InfrastructureFactory.construct(Environment("Mentorat", env))
    try:
        with startup_lock(env) if start else nullcontext():
            recorder = factory.application_recorder()
        yield audit_store(recorder)
    finally:
        factory.close()


def verify_and_record(
    store: AuditStore, index: CheckpointIndex | None, now: datetime, progress: Progress | None = None
) -> Report:
    """`mentorat audit verify`: verify the history (against the checkpoints when given) and keep the outcome.

    The outcome (time, intact or not, events, head, the first event named: no content) is what the auditor's
    page `/audit/history` shows.
    """
    report = verify(store, index, now, progress=progress)
    record_verification(store, report, now)
    return report


class NotIntact(RuntimeError):
    """The history does not verify (other than events without a link): nothing is sealed."""

    def __init__(self, finding: Finding) -> None:
        super().__init__(finding.kind)
        self.finding = finding


def warn_unchained(store: AuditStore) -> int:
    """Log one warning line if stored events have no chain link (their number only); how many there are."""
    with store.reading() as cursor:
        found = unchained(cursor, store.dialect)
    if found is not None:
        log.warning("the stored history holds %d events without a chain link: run mentorat audit verify", found.count)
    return 0 if found is None else found.count


def seal_store(
    settings: Settings, verifying: Progress | None = None, chaining: Progress | None = None
) -> CommandResult | None:
    """The operator's sealing: chain the events stored without a link and record it (None: nothing to seal).

    The history is verified first, going past the unchained events: any other finding raises `NotIntact`.
    `verifying` and `chaining` hear the positions each pass reaches.
    """
    service = build_service(settings, with_keys=False)  # the sealing event holds no confidential field
    try:
        store = audit_store(service.store.recorder)
        with store.reading() as cursor:
            report = Verification(
                cursor, store.dialect, None, datetime.now(UTC), 20_000, skip_unchained=True, progress=verifying
            ).run()
            found = unchained(cursor, store.dialect)
        if report.failure is not None:
            raise NotIntact(report.failure)
        return None if found is None else HistorySealing(service.store, service.ports).seal(found, chaining)
    finally:
        service.close()


def tick(store: AuditStore, settings: Settings, started: datetime, now: datetime) -> None:
    """Write a checkpoint if one is due (continuing from the newest signed one in the checkpoint directory)."""
    if settings.checkpoint_minutes <= 0 or settings.checkpoint_directory is None:  # off (PostgreSQL: no directory)
        return
    last = last_checkpoint_at(store)  # the table only times the writer: a row dated in the future is ignored
    due = (last if last is not None and last <= now else started) + timedelta(minutes=settings.checkpoint_minutes)
    if now >= due:
        directory = settings.checkpoints_path
        written = write_checkpoint(store, signing_key(settings), checkpoint_file(directory, now), now)
        log.info("checkpoint %s: %d events through position %s", written.path.name, written.events, written.head)


def run_periodically(
    store: AuditStore, settings: Settings, stop: threading.Event, clock: Callable[[], datetime] | None = None
) -> None:
    """Tick until stopped."""
    now = clock or (lambda: datetime.now(UTC))
    started = now()
    interval = min(TICK_SECONDS, settings.checkpoint_minutes * 60 or TICK_SECONDS)
    warned = False
    try:
        warn_unchained(store)
    except Exception as error:  # logged by type only
        log.warning("could not count the events without a chain link (%s)", type(error).__name__)
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
    """The unchained-events warning and the periodic checkpoints of one store, in a background thread.

    One process of the store runs them at a time (`bootstrap/election.py`: `serve --workers N`, or a projector
    beside `serve`, would otherwise each warn and each write a checkpoint); the others stand by.
    """

    def __init__(self, recorder: ApplicationRecorder, settings: Settings) -> None:
        self.store = audit_store(recorder)
        self.settings = settings
        self.exclusive = one_at_a_time(settings, DUTY_LOCK, TICK_SECONDS)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Tick in a daemon thread until `stop()`."""
        self._thread = threading.Thread(target=self._run, name="audit-checkpoints", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                with self.exclusive(self._stop) as elected:
                    if elected:
                        run_periodically(self.store, self.settings, self._stop)
            except Exception as error:  # the lock's connection failed: stand by again
                log.warning("audit duties lost their lock (%s)", type(error).__name__)
                self._stop.wait(TICK_SECONDS)

    def stop(self) -> None:
        """Stop ticking and wait for the thread."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
