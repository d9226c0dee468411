"""Running a command once per Idempotency-Key: the port the HTTP middleware and the store's recorder share.

The middleware claims a record before the command runs and sets the claim in `current_claim`; the
recorder completes that record inside the transaction that stores the command's events (the
application passes the answer down with `save(answer=...)`). The claim itself is the adapter's own
(`infrastructure/idempotency_claims.py`): here it is opaque.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Literal, Protocol

Outcome = Literal["claimed", "replay", "reused", "in-use"]


class IdempotencyKeyInUse(Exception):
    """Another request holds this key (or took it over after this one's lease ran out)."""


class MalformedKey(Exception):
    """The request's Idempotency-Key is not 1 to 255 visible ASCII characters."""


@dataclass(frozen=True)
class Found:
    """What claiming a record found (`sealed`: the stored answer of a finished request)."""

    outcome: Outcome
    sealed: bytes | None = None


class IdempotencyRecords(Protocol):
    """The records of one store, keyed by the deployment's secret."""

    lease_seconds: float

    def claim(self, caller: str, method: str, path: str, key: str, body: bytes) -> tuple[Any, Found]:
        """This request's claim, and whether it holds the record now (or a replay, another body, another request)."""

    def opened(self, claim: Any, sealed: bytes) -> dict[str, Any]:
        """A replayed answer, opened with the claim's key."""

    def release(self, claim: Any) -> None:
        """Forget a record this request still holds (its command did not succeed)."""

    def renew(self, claim: Any) -> None:
        """Extend the lease of a record this request still holds (its command is still running)."""


# The claim of the request whose command is running, or the malformed key it came with.
current_claim: ContextVar[object | None] = ContextVar("current_claim", default=None)
