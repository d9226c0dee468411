"""One process at a time for a duty of the whole store (the outbox worker, the audit duties), whatever runs beside.

`serve --workers N`, a `projector` beside `serve`, two projectors: on PostgreSQL each such duty holds an advisory
lock of its own per schema while it runs, and the other processes stand by, trying it every `retry` seconds (a
process that dies frees it with its session). The embedded store runs one process, so its duties just run.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager

from bootstrap.settings import Settings
from bootstrap.store_env import store_env
from infrastructure.postgres import connect_args
from projections import coordination

Exclusive = Callable[[threading.Event], AbstractContextManager[bool]]


def one_at_a_time(settings: Settings, duty: str, retry: float) -> Exclusive:
    """A context (given the duty's stop event) that yields True once this process may run the duty, False if stopped."""

    @contextmanager
    def exclusive(stop: threading.Event) -> Iterator[bool]:
        if not settings.uses_postgres:
            yield True
            return
        env = store_env(settings)
        schema = env.get("POSTGRES_SCHEMA") or "public"
        with coordination.exclusive(connect_args(env), schema, duty, stop, retry) as held:
            yield held

    return exclusive
