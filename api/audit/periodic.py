"""The projector process's audit duty: seal any unchained tail within seconds, and checkpoint periodically.

Every tick it chains events a foreign writer left unchained (an older release during an upgrade);
once `MENTORAT_CHECKPOINT_MINUTES` have passed since the last recorded checkpoint (or since this
process started, on a store that has none), it writes a signed checkpoint to the checkpoint directory.
A failure is logged by its type and retried at the next tick; nothing here can stop the projectors. A
refused checkpoint (the chain no longer continues the last one, or does not verify) is logged by its type
and position only, and refused again (and logged) at every tick: only an operator's
`mentorat audit checkpoint --full` starts a new series.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from api.audit.checkpoints import CheckpointRefused, checkpoint_file, last_checkpoint_at, write_checkpoint
from api.audit.keys import MissingKey, signing_key
from api.audit.sealing import seal
from api.audit.store import AuditStore
from api.audit.tables import LOWEST, events_after, head
from api.settings import Settings

log = logging.getLogger("mentorat.audit")
TICK_SECONDS = 10.0


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
