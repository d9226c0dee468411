"""Which errors mean the store is unavailable for now (unreachable, restarting, out of connections, too slow).

Such a request may be retried as it is: the API answers 503 `unavailable` with `Retry-After`. Anything else
stays unexpected (500 `internal-error`).
"""

from __future__ import annotations

import sqlite3

import psycopg

from infrastructure.postgres_store import StoreUnavailable

TRANSIENT = (StoreUnavailable, psycopg.OperationalError, psycopg.InterfaceError)
SQLITE_BUSY = ("database is locked", "database table is locked")


def is_unavailable(error: BaseException) -> bool:
    """True for a driver's or the library's connection, pool, timeout or lock error, at any depth of its causes.

    The library wraps the driver's errors in its own (`OperationalError`, from the driver's): the driver's error is
    what decides. On SQLite those are mostly programming errors (a missing table): only a locked database counts.
    """
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, TRANSIENT):
            return True
        if isinstance(current, sqlite3.OperationalError):
            return any(text in str(current) for text in SQLITE_BUSY)
        current = current.__cause__ or current.__context__
    return False
