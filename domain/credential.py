"""A credential: an invitation code or a bearer token, found by a keyed hash of its secret.

The aggregate id is a keyed one-way function of the secret (`application/credentials.py`), so a token
is looked up in one read and the secret itself is never stored (the library has no secondary index;
this is its documented way to find an aggregate by a unique key). `binding` proves the server wrote it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from domain.events import MentoratAggregate, MentoratCreated, MentoratEvent
from domain.values import Actor

INVITATION, TOKEN, SIGN_IN = "invitation", "token", "sign-in"
ONE_TIME = frozenset({INVITATION, SIGN_IN})  # codes spent by their one redemption


class Credential(MentoratAggregate):
    """The stored trace of a secret handed to a participant."""

    class CredentialIssued(MentoratCreated):
        """A code or token was issued (its keyed hash names the aggregate)."""

        participant_id: UUID
        kind: str
        expires_at: datetime
        binding: str = ""  # empty in credentials issued before ids were keyed: they authenticate nobody

    class CredentialUsed(MentoratEvent):
        """A one-time code was used."""

        def apply(self, aggregate: Any) -> None:
            """Mark it used."""
            aggregate.used = True

    class CredentialRevoked(MentoratEvent):
        """A bearer token was revoked (its holder signed out): spent like a used code, it authenticates no one."""

        def apply(self, aggregate: Any) -> None:
            """Mark it spent."""
            aggregate.used = True

    def __init__(self, participant_id: UUID, kind: str, expires_at: datetime, binding: str = "", **_: Any) -> None:
        self.participant_id = participant_id
        self.kind = kind
        self.expires_at = expires_at
        self.binding = binding
        self.used = False

    @classmethod
    def issue(
        cls,
        credential_id: UUID,
        binding: str,
        participant_id: UUID,
        kind: str,
        expires_at: datetime,
        actor: Actor,
        now: datetime,
    ) -> Credential:
        """Issue a credential under the id its secret's keyed hash gives, with the server's binding."""
        return cls._create(
            cls.CredentialIssued,
            id=credential_id,
            participant_id=participant_id,
            kind=kind,
            expires_at=expires_at,
            binding=binding,
            actor_id=actor.id,
            actor_role=actor.role,
            occurred_at=now,
            timestamp=now,
        )

    def is_valid(self, kind: str, now: datetime) -> bool:
        """Of the right kind, unexpired, and neither used (a code) nor revoked (a token)."""
        return self.kind == kind and now < self.expires_at and not self.used

    def use(self, actor: Actor, now: datetime) -> None:
        """Spend a one-time code."""
        self._happen(self.CredentialUsed, actor.id, actor.role, now)

    def revoke(self, actor: Actor, now: datetime) -> None:
        """Revoke a bearer token (signing out); revoking it again records nothing."""
        if self.kind == TOKEN and not self.used:
            self._happen(self.CredentialRevoked, actor.id, actor.role, now)
