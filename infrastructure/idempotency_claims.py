"""One request's claim on an idempotency record: keyed ids and fingerprints, and its sealed answer.

The stored answer is sealed (AES-GCM) under a key derived from the Idempotency-Key and the deployment's
secret: an invitation's answer is a one-time code and a redemption's a bearer token, and the store must never
hold a usable secret. The record is found by a keyed hash; the header's value is never stored or logged.
The claim reaches the recorder through `current_claim`, which the middleware sets around the command.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from application.idempotency import Found
from application.mentorat import Mentorat
from infrastructure.encrypted_store import EncryptedMentorat


@dataclass(frozen=True)
class Claim:
    """One request's hold on an idempotency record."""

    record_id: str  # SHA-256 of caller, method, path and key: the record's primary key
    fingerprint: str  # SHA-256 of the request's body (canonical JSON when it parses)
    owner: str  # random: which request holds the lease
    cipher_key: bytes  # derived from the key; never stored

    def seal(self, answer: dict[str, Any]) -> bytes:
        """The answer encrypted and bound to this record."""
        nonce = os.urandom(12)
        return nonce + AESGCM(self.cipher_key).encrypt(nonce, json.dumps(answer).encode(), self.record_id.encode())

    def open(self, sealed: bytes) -> dict[str, Any]:
        """The answer sealed by `seal`."""
        plain = AESGCM(self.cipher_key).decrypt(sealed[:12], sealed[12:], self.record_id.encode())
        answer: dict[str, Any] = json.loads(plain)
        return answer


class Ledger(Protocol):
    """Where idempotency records live: beside the events, in the same store."""

    def claim_key(self, claim: Claim, now: datetime, lease_seconds: float, keep_hours: int) -> Found:
        """Take the record, or say why not (a finished answer to replay, another body, another request)."""

    def release_key(self, claim: Claim) -> None:
        """Forget a record this request still holds (its command did not succeed)."""

    def renew_key(self, claim: Claim, now: datetime, lease_seconds: float) -> None:
        """Extend the lease of a record this request still holds."""


def fingerprint(secret: bytes, body: bytes) -> str:
    """The body's keyed hash (a plain hash of a short text or a name could be guessed), JSON compared by value."""
    try:
        canonical = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")).encode()
    except (ValueError, RecursionError):  # not JSON, or nested too deep to compare by value: compared as bytes
        canonical = body
    return hmac.new(secret, b"body\0" + canonical, hashlib.sha256).hexdigest()


def claim_for(secret: bytes, caller: str, method: str, path: str, key: str, body: bytes) -> Claim:
    """The claim of this caller's request: scoped to the caller, method and path.

    The record's id and the key sealing its answer are keyed by the deployment's secret (derived from
    the master key): without it, a guessable Idempotency-Key would let a reader of the store find and
    open the answer, and a redemption's answer is a bearer token.
    """
    material = json.dumps([caller, method, path, key]).encode()
    return Claim(
        record_id=hmac.new(secret, b"record\0" + material, hashlib.sha256).hexdigest(),
        fingerprint=fingerprint(secret, body),
        owner=uuid.uuid4().hex,
        cipher_key=hmac.new(secret, b"answer-key\0" + material, hashlib.sha256).digest(),
    )


def deployment_secret(store: Mentorat) -> bytes:
    """The secret keying idempotency records: derived from the master key, so it is never stored."""
    if not isinstance(store, EncryptedMentorat):
        raise TypeError("the API runs over the store with keys (infrastructure.encrypted_store.EncryptedMentorat)")
    return store.keys.derived_secret("idempotency records")


class KeyedRecords:
    """The idempotency records of one store: claims keyed by the deployment's secret, held in the store's ledger."""

    def __init__(
        self, ledger: Ledger, secret: bytes, clock: Callable[[], datetime], lease_seconds: float, keep_hours: int
    ) -> None:
        self.ledger, self.secret, self.clock = ledger, secret, clock
        self.lease_seconds, self.keep_hours = lease_seconds, keep_hours

    def claim(self, caller: str, method: str, path: str, key: str, body: bytes) -> tuple[Claim, Found]:
        """This request's claim, and what taking its record found."""
        claim = claim_for(self.secret, caller, method, path, key, body)
        return claim, self.ledger.claim_key(claim, self.clock(), self.lease_seconds, self.keep_hours)

    def opened(self, claim: Claim, sealed: bytes) -> dict[str, Any]:
        """A replayed answer, opened with the claim's key."""
        return claim.open(sealed)

    def release(self, claim: Claim) -> None:
        """Forget a record this request still holds."""
        self.ledger.release_key(claim)

    def renew(self, claim: Claim) -> None:
        """Extend the lease of a record this request still holds."""
        self.ledger.renew_key(claim, self.clock(), self.lease_seconds)
