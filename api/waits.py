"""`?after=<position>` waits on the event loop, never in a worker thread, and bounded per caller and per process.

A read that asks for a position its read models have not reached yet waits here: it checks once (one short hop
to a worker thread: the read models' positions, then the store's), and then waits on an asyncio future. One
poller task per process reads every pending wait's read models at once, woken by the in-process followers as
they advance and polling otherwise (a projector may run in another process). Only the final read takes a thread.

- A position beyond the store's is refused at once: 422 naming `after`, never echoing it.
- Beyond `read_waits_per_caller` pending waits of one participant, or `read_waits_per_process` in all, the answer
  is 503 `not-ready` with `Retry-After` at once; a wait that outlasts `read_wait_seconds` is 503 too.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter
from collections.abc import AsyncIterator, Collection
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from uuid import UUID

import anyio.to_thread
from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool

from api.problems import NotReady, RequestInvalid
from bootstrap.read_side import ReadSide
from domain.errors import Reason

log = logging.getLogger("mentorat.api")
FIRST_PAUSE, LAST_PAUSE = 0.002, 0.05  # the poller's back-off between reads of the positions
BEYOND_STORE = ("after", "beyond_store_position", Reason.BEYOND_STORE_POSITION)  # the parameter, never its value


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """The read routes' share of start-up, after the app's own (FastAPI nests a router's lifespan in the app's):
    the process's pending waits, and the worker threads sized by `worker_threads`, so that a burst of requests
    cannot grow the process beyond them (more threads than the store has connections would only queue)."""
    read_side: ReadSide = app.state.read_side
    anyio.to_thread.current_default_thread_limiter().total_tokens = read_side.settings.worker_threads
    app.state.read_waits = Waits(read_side)
    yield


class TooManyWaits(NotReady):
    """Too many reads are already waiting for the read models; retry shortly."""


@dataclass
class _Waiter:
    position: int
    names: frozenset[str]
    reached: asyncio.Future[bool] = field(repr=False)


class Waits:
    """The pending waits of one process over one read side; used from the event loop only."""

    def __init__(self, read_side: ReadSide) -> None:
        settings = read_side.settings
        self.read_side = read_side
        self.per_caller, self.per_process = settings.read_waits_per_caller, settings.read_waits_per_process
        self.seconds = settings.read_wait_seconds
        self._waiters: list[_Waiter] = []
        self._callers: Counter[UUID] = Counter()
        self._poller: asyncio.Task[None] | None = None
        self._loop = asyncio.get_running_loop()
        self._nudge = asyncio.Event()
        read_side.on_progress(self._progressed)

    def _on_this_loop(self) -> bool:
        """Whether this loop may wait here: the server runs one; a test harness may bring another once idle."""
        loop = asyncio.get_running_loop()
        if loop is not self._loop:
            if self._waiters:
                return False
            self._loop, self._nudge, self._poller = loop, asyncio.Event(), None
        return True

    @property
    def pending(self) -> int:
        """How many reads are waiting now."""
        return len(self._waiters)

    async def until(self, caller: UUID, position: int, names: Collection[str]) -> None:
        """Return once these read models include `position`; else 422 (beyond the store) or 503 (full, too long)."""
        behind, stored = await run_in_threadpool(self._behind, position, names)
        if not behind:
            return
        if position > stored:
            raise RequestInvalid.query(*BEYOND_STORE)
        if self.read_side.failures or self.seconds <= 0:
            raise NotReady
        if self._callers[caller] >= self.per_caller or len(self._waiters) >= self.per_process:
            raise TooManyWaits
        if not self._on_this_loop():
            raise TooManyWaits
        waiter = _Waiter(position, frozenset(behind), self._loop.create_future())
        self._waiters.append(waiter)
        self._callers[caller] += 1
        try:
            self.read_side.wake(behind)
            self._start_polling()
            reached = await asyncio.wait_for(waiter.reached, self.seconds)
        except TimeoutError:
            raise NotReady from None
        finally:
            self._waiters.remove(waiter)
            self._callers[caller] -= 1
            if not self._callers[caller]:
                del self._callers[caller]
        if not reached:  # a read model stopped on an error
            raise NotReady

    def _behind(self, position: int, names: Collection[str]) -> tuple[list[str], int]:
        """In a worker thread: the read models behind `position`, and the store's position when any is."""
        behind = [name for name, at in self.read_side.positions(names).items() if at < position]
        return behind, (self.read_side.store.position() if behind else position)

    def _start_polling(self) -> None:
        self._nudge.set()  # a new wait: read the positions again soon
        if self._poller is None or self._poller.done():
            self._poller = self._loop.create_task(self._poll(), name="mentorat-read-waits")

    def _progressed(self) -> None:
        """From a follower's thread: a read model advanced."""
        with contextlib.suppress(RuntimeError):  # the server has stopped and its loop is closed
            self._loop.call_soon_threadsafe(self._nudge.set)

    async def _poll(self) -> None:
        """Read the pending waits' positions in one hop, release those reached, back off; until none is left."""
        pause = FIRST_PAUSE
        while self._waiters:
            self._nudge.clear()
            names = set().union(*(waiter.names for waiter in self._waiters))
            try:
                positions = await run_in_threadpool(self.read_side.positions, names)
            except Exception as error:  # a lost connection: the waits run out on their own deadlines
                log.warning("read waits could not read the positions (%s)", type(error).__name__)
                positions = {}
            failed = bool(self.read_side.failures)
            behind: set[str] = set()
            for waiter in self._waiters:
                late = {name for name in waiter.names if positions.get(name, -1) < waiter.position}
                if (failed or not late) and not waiter.reached.done():
                    waiter.reached.set_result(not failed)
                behind |= late
            self.read_side.wake(behind)
            try:
                await asyncio.wait_for(self._nudge.wait(), pause)
                pause = FIRST_PAUSE
            except TimeoutError:
                pause = min(pause * 2, LAST_PAUSE)
