"""What the application needs from outside: a clock, an id source and a secret source."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

Clock = Callable[[], datetime]
IdSource = Callable[[], UUID]
SecretSource = Callable[[int], str]


def system_clock() -> datetime:
    """The current time, in UTC."""
    return datetime.now(UTC)


@dataclass(frozen=True)
class Ports:
    """Clock, ids, secrets and credential lifetimes, injected into every use case."""

    clock: Clock = system_clock
    new_id: IdSource = uuid4
    new_secret: SecretSource = secrets.token_urlsafe
    invitation_ttl: timedelta = field(default=timedelta(days=7))
    token_ttl: timedelta = field(default=timedelta(days=30))
