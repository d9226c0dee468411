"""How often commands wait for the events table's lock: `pg_stat_activity` sampled while a load runs.

The library serialises inserts with `LOCK TABLE … IN EXCLUSIVE MODE`; a backend waiting for it shows the
statement with `wait_event_type = 'Lock'`. If few commands ever wait, batching saves (group commit) has
little to win: the time goes elsewhere.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import psycopg

WAITING = (
    "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE %s AND pid <> pg_backend_pid()"
)


@dataclass
class LockWaits:
    """Samples of how many backends waited for the lock."""

    samples: list[int] = field(default_factory=list)
    failure: str | None = None  # why sampling stopped early

    def figures(self) -> str:
        """Mean waiting backends, and the share of samples with at least one."""
        if not self.samples:
            return f"table lock: not sampled ({self.failure or 'no samples'})"
        mean = sum(self.samples) / len(self.samples)
        some = sum(1 for n in self.samples if n) / len(self.samples)
        return f"table lock: {mean:.2f} backends waiting on average, >= 1 waiting in {some:.0%} of samples"


@contextmanager
def sampled(url: str, schema: str, every: float = 0.01) -> Iterator[LockWaits]:
    """Sample the waits for the schema's events-table lock every `every` seconds while the body runs."""
    waits, stop = LockWaits(), threading.Event()
    pattern = f"LOCK TABLE%{schema}%"

    def sample() -> None:
        try:
            with psycopg.connect(url, autocommit=True) as conn:
                while not stop.wait(every):
                    row = conn.execute(WAITING, (pattern,)).fetchone()
                    waits.samples.append(int(row[0]) if row else 0)
        except psycopg.Error as error:  # a busy server's last connection slot: the figure says so
            waits.failure = type(error).__name__

    thread = threading.Thread(target=sample, name="lock-waits", daemon=True)
    thread.start()
    try:
        yield waits
    finally:
        stop.set()
        thread.join(timeout=5)
