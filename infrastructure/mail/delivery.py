"""The delivery worker: sends the outbox's due messages, retries with backoff, deletes what was sent.

Woken at once by a commit in this process (the store's `outbox_written` event), and every `poll_seconds`
otherwise (a commit in another process). A message is leased before it is sent, so two workers never send
it at the same moment; a worker that dies after sending and before deleting leaves it to be sent again
with the same Message-ID (at least once). Failures are logged by their class only: an SMTP error's text
may quote the recipient's address.
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography.exceptions import InvalidTag

from infrastructure.data_keys import KeyRing
from infrastructure.mail.compose import compose
from infrastructure.mail.transports import Transport
from infrastructure.outbox_table import Due, OutboxLedger, open_message
from infrastructure.times import now_utc

log = logging.getLogger("mentorat.outbox")
BATCH = 50
LEASE = timedelta(seconds=60)  # a send still running after this may be repeated by another worker
MAX_BACKOFF_SECONDS = 300.0


def backoff(attempts: int) -> timedelta:
    """The wait before the next attempt: doubling from 1 s up to 5 minutes, with a little jitter."""
    seconds = min(MAX_BACKOFF_SECONDS, 2.0 ** max(0, attempts))
    return timedelta(seconds=seconds * random.uniform(0.8, 1.0))  # noqa: S311 (jitter, not a secret)


@dataclass(frozen=True)
class Envelope:
    """Who the messages come from and where the sign-in page is."""

    sender: str
    public_url: str


class Delivery:
    """One store's delivery worker (a daemon thread), or a caller's single pass (`deliver_due`)."""

    def __init__(
        self,
        ledger: OutboxLedger,
        keys: KeyRing,
        transport: Transport,
        envelope: Envelope,
        *,
        wake: threading.Event | None = None,
        poll_seconds: float = 1.0,
        exclusive: Callable[[threading.Event], AbstractContextManager[bool]] | None = None,
    ) -> None:
        self.ledger, self.keys, self.transport, self.envelope = ledger, keys, transport, envelope
        self.wake = wake or threading.Event()
        self.poll_seconds = poll_seconds
        self.exclusive = exclusive or (lambda _stop: nullcontext(True))
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._pass = threading.Lock()

    def deliver_due(self, now: datetime | None = None) -> int:
        """Send every message due now; how many were handed over."""
        sent = 0
        with self._pass:
            while True:
                due = self.ledger.due_messages(now or now_utc(), BATCH)
                if not due:
                    return sent
                done = [row.message_id for row in due if self._attempt(row, now or now_utc())]
                self.ledger.message_delivered(done)
                sent += len(done)
                if len(due) < BATCH:
                    return sent

    def _attempt(self, row: Due, now: datetime) -> bool:
        """Lease, open and send one row: True when it is done with (sent, or its recipient erased)."""
        if not self.ledger.lease_message(row.message_id, now, now + LEASE):
            return False  # another worker has it
        try:
            message = open_message(self.keys, row.message_id, row.participant_id, row.sealed)
        except InvalidTag:  # not sealed by this server for this recipient and id: never sent, never retried
            log.warning("outbox: message %s dropped, it does not open (damaged, or not written here)", row.message_id)
            return True
        except Exception as error:  # a key store that cannot answer now, a malformed row: counted, retried later
            return self._failed(row, error)
        if message is None:
            log.info("outbox: message %s dropped, its recipient was erased", row.message_id)
            return True
        try:
            self.transport.send(compose(message, self.envelope.sender, self.envelope.public_url), row.message_id)
        except Exception as error:
            return self._failed(row, error)
        return True

    def _failed(self, row: Due, error: Exception) -> bool:
        """Count a failed attempt by the error's class and back off; the row is not done with."""
        name = type(error).__name__
        log.warning("outbox: message %s not delivered (%s), attempt %d", row.message_id, name, row.attempts + 1)
        self.ledger.message_failed(row.message_id, name, now_utc() + backoff(row.attempts))
        return False

    def start(self) -> None:
        """Deliver in a daemon thread until stopped."""
        self._thread = threading.Thread(target=self._run, name="mentorat-outbox", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                with self.exclusive(self._stop) as active:
                    while active and not self._stop.is_set():
                        self._tick()
            except Exception as error:  # the lock's connection failed: take it again
                log.warning("outbox: delivery lock lost (%s)", type(error).__name__)
                self._stop.wait(self.poll_seconds)

    def _tick(self) -> None:
        self.wake.clear()  # a commit during the pass below wakes the next one at once
        try:
            self.deliver_due()
        except Exception as error:  # the store is unreachable: try again at the next tick
            log.warning("outbox: delivery pass failed (%s)", type(error).__name__)
        self.wake.wait(self.poll_seconds)

    def stop(self) -> None:
        """Stop the thread and wait for it."""
        self._stop.set()
        self.wake.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
