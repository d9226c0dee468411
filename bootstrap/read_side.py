"""The read side's composition: one view and one follower per read model, over the configured store.

Followers run in threads of the API process (`mentorat serve`) or alone (`mentorat projector`). On
PostgreSQL each holds its read model's advisory lock while it runs (others stand by) and is woken by
LISTEN/NOTIFY, with polling as the fallback; on SQLite it polls and is woken by readers that wait.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from eventsourcing.persistence import InfrastructureFactory
from eventsourcing.utils import Environment

from application.mentorat import Mentorat
from bootstrap.settings import Settings
from bootstrap.store_env import store_env
from infrastructure.field_mapper import keyless
from infrastructure.postgres import connect_args, startup_lock, uses_postgres, with_search_path
from projections import coordination
from projections.access_log import AccessLogPostgresView, AccessLogSQLiteView
from projections.directory import DirectoryPostgresView, DirectorySQLiteView
from projections.follower import Follower, RecorderSource, run_guarded
from projections.read_model import ProjectionError
from projections.report_facts import ReportPostgresView, ReportSQLiteView
from projections.summary import SummaryPostgresView, SummarySQLiteView
from projections.timeline import TimelinePostgresView, TimelineSQLiteView
from projections.views import ReadView, analyzed

log = logging.getLogger("mentorat.projections")

VIEWS: dict[str, tuple[type[ReadView], type[ReadView]]] = {
    "summary": (SummarySQLiteView, SummaryPostgresView),
    "report": (ReportSQLiteView, ReportPostgresView),
    "timeline": (TimelineSQLiteView, TimelinePostgresView),
    "directory": (DirectorySQLiteView, DirectoryPostgresView),
    "access": (AccessLogSQLiteView, AccessLogPostgresView),
}
NAMES = tuple(VIEWS)
LISTENER = "projector-listen"


@dataclass
class _Running:
    stop: threading.Event
    wakes: dict[str, threading.Event]
    threads: list[threading.Thread]


class ReadSide:
    """The read models of one store: their views for queries, and followers to keep them up to date."""

    def __init__(self, store: Mentorat, settings: Settings) -> None:
        self.settings = settings
        self.env = env = store_env(settings)
        self.postgres = uses_postgres(env)
        factory = InfrastructureFactory.construct(Environment("Mentorat", with_search_path(env)))
        self._factory = factory
        kind = 1 if self.postgres else 0
        with startup_lock(env):
            self.views: dict[str, ReadView] = {
                name: factory.tracking_recorder(classes[kind])  # type: ignore[arg-type, misc]
                for name, classes in VIEWS.items()
            }
        reader = keyless(store.mapper)  # projections never need keys: sealed fields stay sealed
        self.followers = {
            name: Follower(view, RecorderSource(store.recorder, reader, name), settings.projection_batch_size)
            for name, view in self.views.items()
        }
        self.store = store
        self.failures: list[ProjectionError] = []
        self._running: _Running | None = None

    def view(self, name: str) -> Any:
        """The view of a read model, for its queries."""
        return self.views[name]

    # -- keeping up to date -------------------------------------------------------------------------

    def start(self, names: Iterable[str] = NAMES) -> None:
        """Follow the store in background threads (one per read model, plus a listener on PostgreSQL)."""
        stop = threading.Event()
        wakes = {name: threading.Event() for name in names}
        threads = [
            threading.Thread(target=self._follow, args=(name, stop, wakes[name]), name=f"projector-{name}", daemon=True)
            for name in wakes
        ]
        if self.postgres:
            channel = getattr(self.store.recorder, "channel_name", "mentorat_events")
            threads.append(
                threading.Thread(
                    target=coordination.listen,
                    args=(self.connect_args(), channel, wakes.values(), stop),
                    name=LISTENER,
                    daemon=True,
                )
            )
        self._running = _Running(stop, wakes, threads)
        for thread in threads:
            thread.start()

    def _follow(self, name: str, stop: threading.Event, wake: threading.Event) -> None:
        follower, poll = self.followers[name], self.settings.projection_poll_seconds
        if not self.postgres:
            run_guarded(lambda: follower.follow(stop, wake, poll), self.failures)
            return
        schema = self.env.get("POSTGRES_SCHEMA") or "public"
        while not stop.is_set():
            try:
                with coordination.exclusive(self.connect_args(), schema, name, stop, poll) as held:
                    if held:
                        run_guarded(lambda: follower.follow(stop, wake, poll), self.failures)
                if self.failures:
                    return
            except Exception as error:  # the lock's connection failed: wait and take it again
                log.warning("projector %s lost its lock connection (%s)", name, type(error).__name__)
                stop.wait(poll)

    def wake(self, names: Iterable[str] = NAMES) -> None:
        """Ask the in-process followers to look for new events now."""
        if self._running is not None:
            for name in names:
                if name in self._running.wakes:
                    self._running.wakes[name].set()

    def run_until_stopped(self) -> int:
        """Block until a follower stops on an error (exit status 1) or the process is interrupted (0)."""
        try:
            while self._running is not None and not self.failures:
                time.sleep(0.2)
        except KeyboardInterrupt:
            return 0
        return 1 if self.failures else 0

    def stop(self) -> None:
        """Stop the followers and wait for them."""
        if self._running is None:
            return
        self._running.stop.set()
        for wake in self._running.wakes.values():
            wake.set()
        for thread in self._running.threads:
            if thread.name != LISTENER:  # the listener holds no lock and ends within its poll
                thread.join(timeout=5)
        self._running = None

    # -- reading ------------------------------------------------------------------------------------

    def positions(self, names: Iterable[str] = NAMES) -> dict[str, int]:
        """Each read model's position."""
        return {name: self.views[name].position() for name in names}

    def wait_for(self, position: int, names: Iterable[str], timeout: float) -> bool:
        """Whether the read models include `position` within `timeout` seconds (waking followers)."""
        names = list(names)
        deadline = time.monotonic() + timeout
        pause = 0.002
        while True:
            behind = [name for name, at in self.positions(names).items() if at < position]
            if not behind:
                return True
            if time.monotonic() >= deadline or self.failures:
                return False
            self.wake(behind)
            condition = self.followers[behind[0]].progressed
            with condition:
                condition.wait(min(pause, max(0.0, deadline - time.monotonic())))
            pause = min(pause * 2, 0.05)

    def on_progress(self, listener: Callable[[], None]) -> None:
        """Call `listener` (from a follower's thread, so it must not block) whenever a read model advances here."""
        for follower in self.followers.values():
            follower.listeners.append(listener)

    def catch_up(self, names: Iterable[str] = NAMES) -> dict[str, int]:
        """Bring read models up to date now, in this thread (CLI, demo, tests)."""
        names = tuple(names)
        return analyzed(self.views, self.positions(names), {name: self.followers[name].catch_up() for name in names})

    def rebuild(self, names: Iterable[str] = NAMES) -> dict[str, int]:
        """Drop and replay read models."""
        return analyzed(self.views, {}, {name: self.followers[name].rebuild() for name in names})

    def connect_args(self) -> dict[str, Any]:
        """psycopg connection arguments from the store's environment."""
        return connect_args(self.env)

    def close(self) -> None:
        """Stop following and release the read side's connections."""
        self.stop()
        self._factory.close()
