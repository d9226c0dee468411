"""PostgreSQL coordination of projectors: one active projector per read model, woken by LISTEN/NOTIFY.

The library's runner listens on one connection and stops for good if it drops (upstream issue #305);
here a dropped listener reconnects, and the followers also poll, so a lost notification only delays.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg import sql

log = logging.getLogger("mentorat.projections")


def lock_key(schema: str, model: str) -> int:
    """A stable 64-bit advisory-lock key for one read model in one schema."""
    digest = hashlib.sha256(f"mentorat:{schema}:{model}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


@contextmanager
def exclusive(connect: dict[str, Any], schema: str, model: str, stop: threading.Event, retry: float) -> Iterator[bool]:
    """Hold the read model's advisory lock while the body runs (yields False if stopped while waiting)."""
    key = lock_key(schema, model)
    with psycopg.connect(**connect, autocommit=True) as conn:
        while not stop.is_set():
            row = conn.execute("SELECT pg_try_advisory_lock(%s)", (key,)).fetchone()
            if row and row[0]:
                break
            stop.wait(retry)
        else:
            yield False
            return
        try:
            yield True
        finally:
            if not conn.closed:
                conn.execute("SELECT pg_advisory_unlock(%s)", (key,))


def listen(connect: dict[str, Any], channel: str, wakes: Iterable[threading.Event], stop: threading.Event) -> None:
    """Set every wake event on each notification of the channel until stopped; reconnect when dropped."""
    wakes = list(wakes)
    while not stop.is_set():
        try:
            with psycopg.connect(**connect, autocommit=True) as conn:
                conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(channel)))
                for wake in wakes:  # events may have arrived while not listening
                    wake.set()
                while not stop.is_set():
                    if any(True for _ in conn.notifies(timeout=0.5, stop_after=1)):
                        for wake in wakes:
                            wake.set()
        except psycopg.Error as error:
            log.warning("projector lost its LISTEN connection (%s); reconnecting", type(error).__name__)
            stop.wait(1.0)
