"""The application recorders: the hash chain of `api/audit/`, and the idempotency records of `api/idempotency.py`.

A record is claimed and released in its own short transactions; it is *completed* inside the
transaction that inserts the command's events, through the recorder's insert hooks, with the answer
the application passes to `save(answer=...)`. Every inserted event is also chained in that transaction
(`api/audit/recorders.py`). Selected by the `APPLICATION_RECORDER_TOPIC` setting.
"""

from __future__ import annotations

from datetime import datetime


def micros(moment: datetime) -> int:
    """Microseconds since the epoch: a portable, ordered column type on both stores."""
    return round(moment.timestamp() * 1_000_000)
