"""Test helpers: a settable clock and predictable ports."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

from application.ports import Ports

T0 = datetime(2026, 1, 5, 15, 0, tzinfo=UTC)


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime = T0) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        """Move forward by a timedelta's keyword arguments; answer the new time."""
        self.now += timedelta(**delta)
        return self.now


def ports(clock: FakeClock, token_days: int = 30) -> Ports:
    """Ports with the fake clock and the real id and secret sources."""
    return Ports(clock=clock, token_ttl=timedelta(days=token_days))


def fuzz_examples(default: int) -> int:
    """How many generated cases a property test runs: `MENTORAT_FUZZ_EXAMPLES` (`make fuzz`), else `default`."""
    return int(os.environ.get("MENTORAT_FUZZ_EXAMPLES", str(default)))
