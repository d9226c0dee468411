"""Times as ordered integer columns (microseconds since the epoch), portable to both stores."""

from __future__ import annotations

from datetime import UTC, datetime


def micros(moment: datetime) -> int:
    """Microseconds since the epoch: a portable, ordered column type on both stores."""
    return round(moment.timestamp() * 1_000_000)


def now_utc() -> datetime:
    """The system's time, in UTC (for bookkeeping columns, not for the facts events record)."""
    return datetime.now(UTC)


def from_micros(value: int) -> datetime:
    """The UTC time of a `micros` column."""
    return datetime.fromtimestamp(value / 1_000_000, UTC)
