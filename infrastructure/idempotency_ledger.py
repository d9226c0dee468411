"""The idempotency records' table and statements: claim, release, renew, and complete within an insert.

A record is claimed and released in its own short transactions; it is *completed* inside the
transaction that inserts the command's events, through the recorder's insert hooks
(`infrastructure/recorders.py`), with the answer the application passes to `save(answer=...)`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from application.idempotency import Found, MalformedKey, current_claim
from application.mentorat import CommandResult
from infrastructure.idempotency_claims import Claim
from infrastructure.times import micros

TABLE = "mentorat_idempotency"
COLUMNS = (
    "record_id TEXT PRIMARY KEY, fingerprint TEXT NOT NULL, owner TEXT NOT NULL, state TEXT NOT NULL, "
    "lease_until BIGINT NOT NULL, created_at BIGINT NOT NULL, answer {blob}"
)
FORGET = "DELETE FROM {t} WHERE created_at < ?"
TAKE = (
    "INSERT INTO {t} (record_id, fingerprint, owner, state, lease_until, created_at) VALUES (?, ?, ?, 'running', ?, ?) "
    "ON CONFLICT (record_id) DO UPDATE SET owner = excluded.owner, lease_until = excluded.lease_until "
    "WHERE mentorat_idempotency.state = 'running' AND mentorat_idempotency.lease_until < ? "
    "AND mentorat_idempotency.fingerprint = excluded.fingerprint "
    "RETURNING owner"
)
LOOK = "SELECT fingerprint, state, answer FROM {t} WHERE record_id = ?"
RELEASE = "DELETE FROM {t} WHERE record_id = ? AND owner = ? AND state = 'running'"
RENEW = "UPDATE {t} SET lease_until = ? WHERE record_id = ? AND owner = ? AND state = 'running'"
HOLD = "UPDATE {t} SET state = 'committing' WHERE record_id = ? AND owner = ? AND state = 'running' RETURNING owner"
COMPLETE = "UPDATE {t} SET state = 'done', answer = ? WHERE record_id = ? AND owner = ?"


class IdempotencyLedger(ABC):
    """Claiming and releasing records; each store supplies `_execute` in its own dialect."""

    @abstractmethod
    def _execute(self, statements: Sequence[tuple[str, tuple[Any, ...]]]) -> list[Any]:
        """Run statements in one transaction; the rows of the last."""

    def claim_key(self, claim: Claim, now: datetime, lease_seconds: float, keep_hours: int) -> Found:
        """Take the record (new, forgotten after `keep_hours`, or abandoned past its lease), or say why not."""
        now_us, lease_us = micros(now), int(lease_seconds * 1_000_000)
        take = (claim.record_id, claim.fingerprint, claim.owner, now_us + lease_us, now_us, now_us)
        taken = self._execute([(FORGET, (micros(now - timedelta(hours=keep_hours)),)), (TAKE, take)])
        if taken and taken[0]["owner"] == claim.owner:
            return Found("claimed")
        rows = self._execute([(LOOK, (claim.record_id,))])
        if not rows:
            return Found("in-use")  # released or forgotten a moment ago: the client retries
        row = rows[0]
        if row["fingerprint"] != claim.fingerprint:
            return Found("reused")
        if row["state"] == "done":
            return Found("replay", bytes(row["answer"]))
        return Found("in-use")

    def release_key(self, claim: Claim) -> None:
        """Forget a record this request still holds."""
        self._execute([(RELEASE, (claim.record_id, claim.owner))])

    def renew_key(self, claim: Claim, now: datetime, lease_seconds: float) -> None:
        """Extend the lease of a record this request still holds (its command is still running)."""
        self._execute([(RENEW, (micros(now) + int(lease_seconds * 1_000_000), claim.record_id, claim.owner))])

    @staticmethod
    def pending(answer: Any) -> Claim | None:
        """The request's claim when this save is a command's (it carries its answer); a malformed key stops it."""
        claim = current_claim.get()
        if claim is None or not isinstance(answer, CommandResult):
            return None
        if isinstance(claim, MalformedKey):
            raise claim  # before anything is inserted: the transaction rolls back
        if not isinstance(claim, Claim):
            raise TypeError("the request's idempotency claim is not one of this store's claims")
        return claim

    @staticmethod
    def sealed_answer(claim: Claim, answer: CommandResult, ids: Sequence[int]) -> bytes:
        """The command's answer at the position its events were just given, sealed for the record."""
        return claim.seal(replace(answer, position=max(ids)).body())
