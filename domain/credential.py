"""A credential: an invitation code or a bearer token, found by the hash of its secret.

The aggregate id is derived from the secret's SHA-256, so a token is looked up in one read
and the secret itself is never stored (the library has no secondary index; this is its
documented way to find an aggregate by a unique key).
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from domain.events import MentoratAggregate, MentoratCreated, MentoratEvent
from domain.values import Actor

INVITATION, TOKEN = "invitation", "token"
_NAMESPACE = uuid5(NAMESPACE_URL, "urn:mentorat:credential")


def credential_id(secret: str) -> UUID:
    """The aggregate id of the credential for a secret (a one-way function of it)."""
    digest = hashlib.sha256(secret.encode("utf-8")).hexdigest()
    return uuid5(_NAMESPACE, digest)


class Credential(MentoratAggregate):
    """The stored trace of a secret handed to a participant."""

    class CredentialIssued(MentoratCreated):
        """A code or token was issued (its hash names the aggregate)."""

        participant_id: UUID
        kind: str
        expires_at: datetime

    class CredentialUsed(MentoratEvent):
        """A one-time code was used."""

        def apply(self, aggregate: Any) -> None:
            """Mark it used."""
            aggregate.used = True

    def __init__(self, participant_id: UUID, kind: str, expires_at: datetime, **_: Any) -> None:
        self.participant_id = participant_id
        self.kind = kind
        self.expires_at = expires_at
        self.used = False

    @classmethod
    def issue(
        cls, secret: str, participant_id: UUID, kind: str, expires_at: datetime, actor: Actor, now: datetime
    ) -> Credential:
        """Issue a credential for a secret."""
        return cls._create(
            cls.CredentialIssued,
            id=credential_id(secret),
            participant_id=participant_id,
            kind=kind,
            expires_at=expires_at,
            actor_id=actor.id,
            actor_role=actor.role,
            occurred_at=now,
            timestamp=now,
        )

    def is_valid(self, kind: str, now: datetime) -> bool:
        """Of the right kind, unexpired, and unused when one-time."""
        return self.kind == kind and now < self.expires_at and not (kind == INVITATION and self.used)

    def use(self, actor: Actor, now: datetime) -> None:
        """Spend a one-time code."""
        self._happen(self.CredentialUsed, actor.id, actor.role, now)
