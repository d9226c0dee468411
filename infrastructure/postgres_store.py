"""The library's PostgreSQL factory with bounded waits: libpq timeouts of our own, and a pool that fails fast.

The library retries each recorder call up to ten times on an `OperationalError`, and waiting for a pool
connection is one (`PoolTimeout`): with the database gone a request would wait ten pool timeouts. Here a
pool timeout is `StoreUnavailable`, which the library does not retry, so a request waits one.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from eventsourcing.persistence import OperationalError, PersistenceError
from eventsourcing.postgres import PostgresDatastore, PostgresFactory
from eventsourcing.utils import Environment, EnvType
from psycopg import Connection
from psycopg.rows import DictRow
from psycopg_pool import PoolTimeout
from psycopg_pool.base import AttemptWithBackoff

from infrastructure.postgres import LIBPQ_CONNECT_TIMEOUT, LIBPQ_OPTIONS

MOST_BETWEEN_RECONNECTS = 2.0  # seconds: a pool tries again this often at least while the database is away


class StoreUnavailable(PersistenceError):
    """No database connection within the pool timeout (not retried: the request answers 503 `unavailable`)."""


class BoundedDatastore(PostgresDatastore):
    """The library's datastore, but a pool timeout is not an `OperationalError` the library retries."""

    @contextmanager
    def get_connection(self) -> Iterator[Connection[DictRow]]:
        try:
            with super().get_connection() as conn:
                yield conn
        except OperationalError as error:
            if isinstance(error.__cause__, PoolTimeout):
                raise StoreUnavailable("no database connection within the pool timeout") from error
            raise


class BoundedPostgresFactory(PostgresFactory):
    """`PERSISTENCE_MODULE` for our PostgreSQL store: the library's factory, its datastore bounded."""

    def __init__(self, env: Environment | EnvType | None) -> None:
        super().__init__(env)
        datastore: Any = self.datastore
        datastore.__class__ = BoundedDatastore  # adds no state, only the method above; its pool is not open yet
        kwargs = datastore.pool.kwargs
        if self.env.get(LIBPQ_CONNECT_TIMEOUT):
            kwargs["connect_timeout"] = self.env.get(LIBPQ_CONNECT_TIMEOUT)
        if self.env.get(LIBPQ_OPTIONS):
            kwargs["options"] = self.env.get(LIBPQ_OPTIONS)


def bounded_backoff(update_delay: Any) -> Any:
    """psycopg_pool's reconnection delay, capped at `MOST_BETWEEN_RECONNECTS`.

    The pool doubles the delay after each failed attempt (1, 2, 4 ... 64 s) and offers no cap: after a 60 s outage
    its next attempt could come a minute after the database is back, every request a 503 meanwhile.
    """

    def capped(self: AttemptWithBackoff, now: float) -> None:
        update_delay(self, now)
        self.delay = min(self.delay, MOST_BETWEEN_RECONNECTS)

    capped.__wrapped__ = update_delay  # type: ignore[attr-defined]
    return capped


if not hasattr(AttemptWithBackoff.update_delay, "__wrapped__"):
    AttemptWithBackoff.update_delay = bounded_backoff(AttemptWithBackoff.update_delay)  # type: ignore[method-assign]
