"""The outbox's delivery worker built from settings: the mail transport, and one active worker on PostgreSQL."""

from __future__ import annotations

from application.mentorat import Mentorat
from bootstrap.election import one_at_a_time
from bootstrap.settings import Settings
from bootstrap.store_env import ConfigurationError
from infrastructure.encrypted_store import EncryptedMentorat
from infrastructure.mail.delivery import Delivery, Envelope
from infrastructure.mail.transports import MailConfigurationError, Transport, transport_for
from infrastructure.outbox_table import OutboxLedger

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
    return Delivery(
        outbox_of(store),
        store.keys,
        mail_transport(settings),
        Envelope(settings.mail_from, settings.public_url),
        wake=store.outbox_written,
        poll_seconds=settings.outbox_poll_seconds,
        exclusive=one_at_a_time(settings, WORKER_LOCK, settings.outbox_poll_seconds),  # leases guard the rest
    )
