"""The read side's composition: one view and one follower per read model, and one shared pass over the store.

Catch-up, rebuild and the background projector read and decode each batch of the log once for every read
model behind (`projections/shared_pass.py`). The projector runs in a thread of the API process (`mentorat
serve`) or alone (`mentorat projector`). On PostgreSQL a thread per read model holds that model's advisory
lock (others stand by) and the pass drives only the models this process holds, so a model another process
holds is never written here; it is woken by LISTEN/NOTIFY, with polling as the fallback. On SQLite it drives
every model, polls, and is woken by readers that wait.
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
from projections.follower import Follower, RecorderSource
from projections.read_model import ProjectionError
from projections.report_facts import ReportPostgresView, ReportSQLiteView
from projections.shared_pass import SharedPass
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
WRITERS = 2  # read models a PostgreSQL pass writes at once: one folds while the other's statements run


DRIVER = "projector-pass"


@dataclass
class _Running:
    stop: threading.Event
    wake: threading.Event
    names: tuple[str, ...]
    held: set[str]  # the models this process may write (PostgreSQL: whose lock it holds)
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
        writers = WRITERS if self.postgres else 1  # SQLite has one writer at a time anyway
        self.shared = SharedPass(
            self.followers.values(), store.recorder, reader, settings.projection_batch_size, writers
        )
        self.store = store
        self.failures: list[ProjectionError] = []
        self._running: _Running | None = None

    def view(self, name: str) -> Any:
        """The view of a read model, for its queries."""
        return self.views[name]

    # -- keeping up to date -------------------------------------------------------------------------

    def start(self, names: Iterable[str] = NAMES) -> None:
        """Follow the store in background threads: the shared pass; on PostgreSQL a lock per model and a listener."""
        stop, wake, names = threading.Event(), threading.Event(), tuple(names)
        held: set[str] = set() if self.postgres else set(names)
        threads = [threading.Thread(target=self._drive, args=(stop, wake, len(names), held), name=DRIVER, daemon=True)]
        if self.postgres:
            for name in names:
                lock = threading.Thread(target=self._hold, args=(name, stop, wake, held), name=f"projector-{name}")
                lock.daemon = True
                threads.append(lock)
            channel = getattr(self.store.recorder, "channel_name", "mentorat_events")
            threads.append(
                threading.Thread(
                    target=coordination.listen,
                    args=(self.connect_args(), channel, [wake], stop),
                    name=LISTENER,
                    daemon=True,
                )
            )
        self._running = _Running(stop, wake, names, held, threads)
        for thread in threads:
            thread.start()

    def _drive(self, stop: threading.Event, wake: threading.Event, models: int, held: set[str]) -> None:
        """Catch up the models held here, then wait to be woken (or for the polling interval), until stopped."""
        poll = self.settings.projection_poll_seconds
        if self.postgres:  # give every lock a first try, so that the first pass reads for all the models held
            deadline = time.monotonic() + poll
            while len(held) < models and time.monotonic() < deadline:
                stop.wait(0.02)
        while not stop.is_set():
            wake.clear()
            try:
                outcome = self.shared.catch_up((), lambda: self._holding(held))
            except Exception as error:  # a lost connection: log, wait, retry
                log.warning("read models could not catch up (%s); retrying", type(error).__name__)
                stop.wait(poll)
                continue
            for failure in outcome.failures:
                log.critical("read model %s stopped at position %s", failure.model, failure.position)
                self.failures.append(failure)
            wake.wait(poll)

    def _holding(self, held: set[str]) -> list[str]:
        """The models the pass may write now: held here and not stopped on an error."""
        failed = {error.model for error in self.failures}
        return [name for name in NAMES if name in held and name not in failed]

    def _hold(self, name: str, stop: threading.Event, wake: threading.Event, held: set[str]) -> None:
        """Hold one read model's advisory lock for the shared pass while this process runs (or until it fails)."""
        poll = self.settings.projection_poll_seconds
        schema = self.env.get("POSTGRES_SCHEMA") or "public"
        while not stop.is_set():
            try:
                with coordination.exclusive(self.connect_args(), schema, name, stop, poll) as holding:
                    if holding:
                        held.add(name)
                        wake.set()
                        while not stop.is_set() and not any(error.model == name for error in self.failures):
                            stop.wait(poll)
                        held.discard(name)
                if any(error.model == name for error in self.failures):
                    return
            except Exception as error:  # the lock's connection failed: wait and take it again
                held.discard(name)
                log.warning("projector %s lost its lock connection (%s)", name, type(error).__name__)
                stop.wait(poll)

    def wake(self, names: Iterable[str] = NAMES) -> None:
        """Ask the in-process projector to look for new events now (if it follows any of the named models)."""
        running = self._running
        if running is not None and any(name in running.names for name in names):
            running.wake.set()

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
        self._running.wake.set()
        for thread in self._running.threads:
            if thread.name != LISTENER:  # the listener holds no lock and ends within its poll
                thread.join(timeout=5)
        self._running = None

    # -- reading ------------------------------------------------------------------------------------

    def positions(self, names: Iterable[str] = NAMES) -> dict[str, int]:
        """Each read model's position."""
        return {name: self.views[name].position() for name in names}

    def wait_for(self, position: int, names: Iterable[str], timeout: float) -> bool:
        """Whether the read models include `position` within `timeout` seconds (False at once if one stopped)."""
        names = list(names)
        deadline = time.monotonic() + timeout
        pause = 0.002
        while True:
            behind = [name for name, at in self.positions(names).items() if at < position]
            if not behind:
                return True
            if time.monotonic() >= deadline or any(failure.model in behind for failure in self.failures):
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
        """Bring read models up to date now, in this thread, in one shared pass (CLI, demo, tests).

        A model that meets an event it cannot process stops there; the others still go as far as they can,
        then the first `ProjectionError` is raised. A model moved far, or rebuilt, is analyzed (PostgreSQL).
        """
        names = list(names)
        before = self.positions(names)
        positions = self.shared.catch_up(names).raise_first()
        return analyzed(self.views, before, {name: positions[name] for name in names})

    def rebuild(
        self, names: Iterable[str] = NAMES, progress: Callable[[int, int], None] | None = None
    ) -> dict[str, int]:
        """Drop read models and replay the whole history into them, in one shared pass.

        `progress` hears (position reached, last position) after each batch: counts only, never content.
        """
        names = list(names)
        for name in names:
            self.views[name].drop()
            self.views[name].create()
        positions = self.shared.catch_up(names, progress=progress).raise_first()
        return analyzed(self.views, {}, {name: positions[name] for name in names})

    def connect_args(self) -> dict[str, Any]:
        """psycopg connection arguments from the store's environment."""
        return connect_args(self.env)

    def close(self) -> None:
        """Stop following and release the read side's connections."""
        self.stop()
        self._factory.close()
