"""The anchors of `bench/load.py`: a straightforward FastAPI + eventsourcing service, and a bare FastAPI hello.

No Mentorat code here: only the library, FastAPI and uvicorn, as someone would write them from their docs.

- `service`: one POST route loads an existing aggregate, triggers one event and saves, with the library's own
  PostgreSQL recorder (`eventsourcing.postgres`, configured from `POSTGRES_*` variables, its default pool);
  a save that loses a race answers 409.
- `hello`: FastAPI's first-steps hello route, nothing else.

Both are served by one uvicorn worker, with the options `mentorat serve` uses (no access log, no server header):
`python -m bench.anchor_service {service,hello} PORT`.
"""

from __future__ import annotations

import sys
from uuid import UUID

import uvicorn
from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event
from eventsourcing.persistence import IntegrityError
from fastapi import FastAPI, HTTPException

EVENTS_PER_AGGREGATE = 6  # the created event and five ticks when seeded


class Counter(Aggregate):
    """An aggregate with one command."""

    @event("Created")
    def __init__(self, name: str) -> None:
        self.name = name
        self.ticks = 0

    @event("Ticked")
    def tick(self, amount: int) -> None:
        """One event."""
        self.ticks += amount


class Counters(Application[UUID]):
    """The library's application; persistence from the environment (`PERSISTENCE_MODULE`, `POSTGRES_*`)."""

    def seed(self, count: int) -> list[UUID]:
        """`count` aggregates of `EVENTS_PER_AGGREGATE` events each, saved one by one."""
        ids = []
        for n in range(count):
            counter = Counter(f"counter {n}")
            for _ in range(EVENTS_PER_AGGREGATE - 1):
                counter.tick(1)
            self.save(counter)
            ids.append(counter.id)
        return ids

    def tick(self, counter_id: UUID, amount: int) -> int:
        """Load, trigger one event, save: the new version."""
        counter: Counter = self.repository.get(counter_id)
        counter.tick(amount)
        self.save(counter)
        return counter.version


def service() -> FastAPI:
    """The straightforward service: one command route over the library's application."""
    app = FastAPI()
    counters = Counters()

    @app.post("/counters/{counter_id}/ticks", status_code=201)
    def tick(counter_id: UUID, body: dict[str, int]) -> dict[str, int]:
        try:
            return {"version": counters.tick(counter_id, body.get("amount", 1))}
        except IntegrityError as error:  # another request saved this aggregate first
            raise HTTPException(409, "conflict") from error

    return app


def hello() -> FastAPI:
    """A bare FastAPI app: the hello route of its tutorial."""
    app = FastAPI()

    @app.get("/")
    async def root() -> dict[str, str]:
        return {"message": "Hello World"}

    return app


def main() -> None:
    """Serve one of the anchors on 127.0.0.1 on the port given."""
    which, port = sys.argv[1], int(sys.argv[2])
    app = {"service": service, "hello": hello}[which]()
    uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False, server_header=False)
    ).run()


if __name__ == "__main__":
    main()
