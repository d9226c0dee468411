"""Credential ids and bindings keyed by the deployment's secret: the store alone cannot mint access.

A credential is found by an HMAC-SHA-256 of its secret under a secret derived from the master key, and its
issuing event carries a second HMAC binding the id to its participant, kind and expiry. Whoever can write the
events table but lacks the key can neither compute the id of a token they made up nor re-point a real one
to another participant: such a row authenticates nobody. Written with `hmac` from the standard library,
which is all this needs.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime
from uuid import UUID

ID_PURPOSE = "credential ids"


class CredentialKeys:
    """The keyed functions naming a credential and binding it to its holder."""

    def __init__(self, secret: bytes) -> None:
        self._secret = secret

    def id_of(self, secret: str) -> UUID:
        """The credential's aggregate id: a keyed one-way function of the secret."""
        digest = hmac.new(self._secret, b"id\0" + secret.encode("utf-8"), hashlib.sha256).digest()
        return UUID(bytes=digest[:16], version=4)

    def binding(self, credential_id: UUID, participant_id: UUID, kind: str, expires_at: datetime) -> str:
        """The issuing event's proof that this server wrote it, for this participant, kind and expiry."""
        expires = expires_at.astimezone(UTC).isoformat()  # one spelling of the instant, whatever offset it came with
        text = f"binding\0{credential_id}\0{participant_id}\0{kind}\0{expires}"
        return hmac.new(self._secret, text.encode("utf-8"), hashlib.sha256).hexdigest()

    def holds(self, credential_id: UUID, participant_id: UUID, kind: str, expires_at: datetime, binding: str) -> bool:
        """Whether a stored credential carries this server's binding (compared in constant time)."""
        return hmac.compare_digest(self.binding(credential_id, participant_id, kind, expires_at), binding)
