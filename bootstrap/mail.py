"""The outbox's delivery worker built from settings: the mail transport, and one active worker on PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from application.mentorat import Mentorat
from bootstrap.settings import Settings
from bootstrap.store_env import ConfigurationError, store_env
from infrastructure.encrypted_store import EncryptedMentorat
from infrastructure.mail.delivery import Delivery, Envelope
from infrastructure.mail.transports import MailConfigurationError, Transport, transport_for
from infrastructure.outbox_table import OutboxLedger
from infrastructure.postgres import connect_args
from projections import coordination

WORKER_LOCK = "outbox delivery"  # one advisory lock per schema: one active worker, the others stand by


def mail_transport(settings: Settings) -> Transport:
    """The transport `MENTORAT_MAIL_URL` names (default: `<data dir>/outbox`)."""
    try:
        return transport_for(settings.mail_target)
    except MailConfigurationError as error:
        raise ConfigurationError(str(error)) from None


def outbox_of(store: Mentorat) -> OutboxLedger:
    """The store's outbox (its recorder)."""
    recorder = store.recorder
    if not isinstance(recorder, OutboxLedger):
        raise TypeError("the store's recorder keeps no outbox (APPLICATION_RECORDER_TOPIC)")
    return recorder


def build_delivery(store: Mentorat, settings: Settings) -> Delivery:
    """The delivery worker of a store with keys (it opens each message with its recipient's key)."""
    if not isinstance(store, EncryptedMentorat):
        raise TypeError("delivery needs the store with keys (bootstrap.service.build_service)")
    env = store_env(settings)

    @contextmanager
    def exclusive(stop: threading.Event) -> Iterator[bool]:
        if not settings.uses_postgres:
            yield True  # one process writes the embedded store; leases keep any other from sending twice
            return
        schema = env.get("POSTGRES_SCHEMA") or "public"
        with coordination.exclusive(connect_args(env), schema, WORKER_LOCK, stop, settings.outbox_poll_seconds) as held:
            yield held

    return Delivery(
        outbox_of(store),
        store.keys,
        mail_transport(settings),
        Envelope(settings.mail_from, settings.public_url),
        wake=store.outbox_written,
        poll_seconds=settings.outbox_poll_seconds,
        exclusive=exclusive,
    )
