"""Who the caller is, and what they may reach: scope first (404), then the role the table allows (403)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol
from uuid import UUID

from domain.errors import Forbidden, NotFound
from domain.mentorship import Mentorship
from domain.permissions import Action, may
from domain.values import Actor, Role


@dataclass(frozen=True)
class Caller:
    """An authenticated participant."""

    id: UUID
    role: str
    programme_id: UUID


class Parties(Protocol):
    """What scope needs of a mentorship: its programme and its parties (the aggregate, or its index row)."""

    @property
    def programme_id(self) -> UUID: ...

    def role_of(self, participant_id: UUID | None) -> str | None: ...


def mentorship_actor(caller: Caller, mentorship: Parties | Mentorship, action: Action) -> Actor:
    """The caller's role in this mentorship, if it may run this action; not-found outside their scope."""
    if caller.programme_id != mentorship.programme_id:
        raise NotFound
    party_role = mentorship.role_of(caller.id)
    if party_role is not None:
        role = party_role
    elif caller.role in (Role.COORDINATOR, Role.AUDITOR):
        role = caller.role
    else:
        raise NotFound
    if not may(role, action):
        raise Forbidden
    return Actor(caller.id, role)


def programme_actor(caller: Caller, programme_id: UUID, action: Action) -> Actor:
    """The caller acting in a programme: their own only, in a role that may run this action."""
    if caller.programme_id != programme_id:
        raise NotFound
    if not may(caller.role, action):
        raise Forbidden
    return Actor(caller.id, caller.role)
