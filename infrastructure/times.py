"""Times as ordered integer columns (microseconds since the epoch), portable to both stores."""

from __future__ import annotations

from datetime import datetime


def micros(moment: datetime) -> int:
    """Microseconds since the epoch: a portable, ordered column type on both stores."""
    return round(moment.timestamp() * 1_000_000)
