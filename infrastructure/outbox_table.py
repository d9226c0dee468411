"""The outbox: messages written in their command's own transaction, leased, sent, then deleted for good.

Each row is sealed (AES-GCM) under the recipient's data key, with the message id as associated data: the
store never holds a code in clear, and erasing the person makes a pending message unreadable. A worker
leases a due row (so two workers never send it at once), sends it, and deletes it; a failure counts an
attempt, keeps the error's class (never its message, which may quote an address) and backs off.
SQLite overwrites deleted rows (`secure_delete`); PostgreSQL vacuums the table after each batch.
"""

from __future__ import annotations

import json
import secrets
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from application.outbox import OutgoingMessage
from infrastructure.data_keys import KeyRing
from infrastructure.times import micros

OUTBOX = "mentorat_outbox"
OUTBOX_COLUMNS = (
    "message_id TEXT PRIMARY KEY, participant_id TEXT NOT NULL, created_at BIGINT NOT NULL, "
    "attempts INTEGER NOT NULL DEFAULT 0, next_attempt_at BIGINT NOT NULL, last_error TEXT, sealed {blob} NOT NULL"
)
INSERT_MESSAGE = (
    "INSERT INTO {o} (message_id, participant_id, created_at, next_attempt_at, sealed) VALUES (?, ?, ?, ?, ?)"
)
DUE = (
    "SELECT message_id, participant_id, attempts, sealed FROM {o} WHERE next_attempt_at <= ? "
    "ORDER BY created_at LIMIT ?"
)
LEASE = "UPDATE {o} SET next_attempt_at = ? WHERE message_id = ? AND next_attempt_at <= ? RETURNING message_id"
DELIVERED = "DELETE FROM {o} WHERE message_id = ?"
FAILED = "UPDATE {o} SET attempts = attempts + 1, last_error = ?, next_attempt_at = ? WHERE message_id = ?"
PENDING = (
    "SELECT message_id, participant_id, created_at, attempts, next_attempt_at, last_error FROM {o} "
    "ORDER BY created_at, message_id LIMIT ?"
)
BACKLOG = "SELECT count(*) AS waiting, min(created_at) AS oldest FROM {o}"
CONTEXT = b"mentorat/outbox/v1/"
NONCE_BYTES = 12


@dataclass(frozen=True)
class SealedMessage:
    """An outbox row as written beside the events."""

    message_id: str
    participant_id: str
    created_at: int
    sealed: bytes

    def row(self) -> tuple[Any, ...]:
        """The insert's parameters (due at once)."""
        return (self.message_id, self.participant_id, self.created_at, self.created_at, self.sealed)


@dataclass(frozen=True)
class Due:
    """A row due for an attempt."""

    message_id: str
    participant_id: str
    attempts: int
    sealed: bytes


@dataclass(frozen=True)
class Backlog:
    """How many messages wait, and since when the oldest does (microseconds; None when none waits)."""

    waiting: int
    oldest: int | None


@dataclass(frozen=True)
class Pending:
    """What the operator may see of a pending message: never its address or its code."""

    message_id: str
    participant_id: str
    created_at: int
    attempts: int
    next_attempt_at: int
    last_error: str | None


def seal_message(keys: KeyRing, message: OutgoingMessage, now: datetime) -> SealedMessage:
    """The message sealed under its recipient's data key, bound to its id."""
    payload = {
        "kind": message.kind,
        "email": message.email,
        "name": message.name,
        "language": message.language,
        "code": message.code,
        "expires_at": message.expires_at.isoformat(),
    }
    nonce = secrets.token_bytes(NONCE_BYTES)
    aead = keys.sealer(message.participant_id)
    sealed = nonce + aead.encrypt(nonce, json.dumps(payload).encode(), CONTEXT + message.message_id.bytes)
    return SealedMessage(str(message.message_id), str(message.participant_id), micros(now), sealed)


def open_message(keys: KeyRing, message_id: str, participant_id: str, sealed: bytes) -> OutgoingMessage | None:
    """The message, or None once its recipient's key is destroyed (erased: it is never sent)."""
    aead = keys.opener(UUID(participant_id))
    if aead is None:
        return None
    mid = UUID(message_id)
    payload = json.loads(aead.decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], CONTEXT + mid.bytes))
    return OutgoingMessage(
        message_id=mid,
        participant_id=UUID(participant_id),
        kind=payload["kind"],
        email=payload["email"],
        name=payload["name"],
        language=payload["language"],
        code=payload["code"],
        expires_at=datetime.fromisoformat(payload["expires_at"]),
    )


def outbox_rows(kwargs: dict[str, Any]) -> list[tuple[Any, ...]]:
    """The outbox rows a save carries (`Mentorat.commit(outbox=...)`), as insert parameters."""
    return [m.row() for m in kwargs.get("outbox") or () if isinstance(m, SealedMessage)]


class OutboxLedger(ABC):
    """Leasing, completing and listing outbox rows; each store supplies `_execute` and `_purge`."""

    @abstractmethod
    def _execute(self, statements: Sequence[tuple[str, tuple[Any, ...]]]) -> list[Any]:
        """Run statements in one transaction; the rows of the last."""

    @abstractmethod
    def _purge_deleted(self) -> None:
        """Overwrite what deleted rows left in the store's files, as far as the store allows."""

    @abstractmethod
    def _read(self, statement: str, params: tuple[Any, ...]) -> list[Any]:
        """Run one read-only statement; its rows."""

    def due_messages(self, now: datetime, limit: int) -> list[Due]:
        """Rows due for an attempt, oldest first."""
        rows = self._execute([(DUE, (micros(now), limit))])
        return [
            Due(str(r["message_id"]), str(r["participant_id"]), int(r["attempts"]), bytes(r["sealed"])) for r in rows
        ]

    def lease_message(self, message_id: str, now: datetime, until: datetime) -> bool:
        """Take a due row until a time (another worker's lease or a recent failure keeps it)."""
        return bool(self._execute([(LEASE, (micros(until), message_id, micros(now)))]))

    def message_delivered(self, message_ids: Sequence[str]) -> None:
        """Delete delivered (or undeliverable) rows and purge what they left."""
        if message_ids:
            self._execute([(DELIVERED, (mid,)) for mid in message_ids])
            self._purge_deleted()

    def message_failed(self, message_id: str, error: str, retry_at: datetime) -> None:
        """Count a failed attempt and when to try again."""
        self._execute([(FAILED, (error, micros(retry_at), message_id))])

    def pending_messages(self, limit: int = 1000) -> list[Pending]:
        """The rows waiting, oldest first."""
        return [
            Pending(
                str(r["message_id"]),
                str(r["participant_id"]),
                int(r["created_at"]),
                int(r["attempts"]),
                int(r["next_attempt_at"]),
                r["last_error"],
            )
            for r in self._execute([(PENDING, (limit,))])
        ]

    def backlog(self) -> Backlog:
        """The messages waiting (sent ones are deleted): their number and the oldest one's creation time."""
        [row] = self._read(BACKLOG, ())
        oldest = row["oldest"]
        return Backlog(int(row["waiting"]), None if oldest is None else int(oldest))
