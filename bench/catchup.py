"""Catch-up of the summary read model: our batched `Follower` against the library's `ProjectionRunner`.

Both drive the same fold (`SummaryModel`) and the same SQL (`SummaryPostgresView.project`) over the same
events table; the library's runner hands the view one event per call, so one event per transaction, as it
would any `Projection`. Its copy of the read model lives in a scratch schema, so ours stays in place.
Positions count events: the seeded table's notification ids run from 1 without gaps.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from eventsourcing.persistence import InfrastructureFactory, Tracking
from eventsourcing.projection import Projection, ProjectionRunner
from eventsourcing.utils import Environment

from application.mentorat import Mentorat
from projections.follower import Follower, NotificationSource, RecorderSource
from projections.summary import SummaryPostgresView
from projections.views import ReadView

NAME = SummaryPostgresView.model.name


class LibrarySummary(Projection[Any]):
    """The summary as a library `Projection`: each event is projected and tracked in a transaction of its own."""

    name = NAME

    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        """Fold one event and record its position, through the view our follower uses."""
        self.view.project([(tracking.notification_id, domain_event)], tracking.notification_id)


@dataclass(frozen=True)
class Pace:
    """Events projected in a measured time."""

    events: int
    seconds: float

    @property
    def per_second(self) -> float:
        """Events per second."""
        return self.events / self.seconds if self.seconds else 0.0


class Timed:
    """A notification source that notes when each read starts: by then every event before it is projected."""

    def __init__(self, source: NotificationSource) -> None:
        self.source = source
        self.started = time.perf_counter()
        self.checkpoints: list[Pace] = []

    def read(self, after: int, limit: int) -> Sequence[tuple[int, Any]]:
        """Note (position reached, time), then read."""
        if after:
            self.checkpoints.append(Pace(after, time.perf_counter() - self.started))
        return self.source.read(after, limit)


def ours(store: Mentorat, env: dict[str, str], batch_size: int) -> list[Pace]:
    """`Follower.catch_up()` from a fresh summary over the whole store: (position, time) after each batch."""
    factory = InfrastructureFactory[Any].construct(Environment(Mentorat.name, env))
    try:
        view = factory.tracking_recorder(SummaryPostgresView)
        view.drop()
        view.create()
        source = Timed(RecorderSource(store.recorder, store.mapper, NAME))
        follower = Follower(view, source, batch_size)
        source.started = time.perf_counter()
        reached = follower.catch_up()
        return [*source.checkpoints, Pace(reached, time.perf_counter() - source.started)]
    finally:
        factory.close()


def first(checkpoints: list[Pace], events: int) -> Pace:
    """Our pace over at least the first `events` (to the end of the batch that reached them)."""
    return next((pace for pace in checkpoints if pace.events >= events), checkpoints[-1])


def library_projection(view_class: type[ReadView]) -> type[Projection[Any]]:
    """A read model as a library `Projection` (what `LibrarySummary` is for the summary), named after it."""
    return type(f"Library{view_class.model.name.title()}", (LibrarySummary,), {"name": view_class.model.name})


def library(
    env: dict[str, str],
    scratch_schema: str,
    mark: int,
    timeout: float,
    view_class: type[ReadView] = SummaryPostgresView,
) -> Pace:
    """The library's runner, its view in `scratch_schema`, until it has projected position `mark` (or `timeout`)."""
    started = time.perf_counter()
    name = view_class.model.name
    runner = ProjectionRunner(
        application_class=Mentorat,
        projection_class=library_projection(view_class),
        view_class=view_class,
        env={**env, f"{name.upper()}_POSTGRES_SCHEMA": scratch_schema},
    )
    with runner:
        with contextlib.suppress(TimeoutError):
            runner.wait(mark, timeout=timeout)
        seconds = time.perf_counter() - started
        reached = runner.view.position()  # its wait polls with a back-off (to 0.8 s): count what it did meanwhile
    return Pace(reached, seconds)
