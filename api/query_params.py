"""Dependencies of the queries: the read side, `?after=<position>` waits (`api/waits.py`), paging with cursors."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Query, Request
from starlette.concurrency import run_in_threadpool

from api.deps import CurrentCaller
from api.problems import RequestInvalid
from api.waits import Waits
from application.authorization import Caller
from bootstrap.read_side import ReadSide
from domain.errors import Reason

AFTER = (
    "A store position (a command answer's `position`): the answer waits until these read models include it, "
    "then reads; 503 `not-ready` with `Retry-After` if they do not in time."
)
CURSOR = "The opaque `next_cursor` of the previous page (absent: the first page)."


async def get_read_side(request: Request) -> ReadSide:
    """The read models built at start-up (async: no worker thread for an attribute)."""
    read_side: ReadSide = request.app.state.read_side
    return read_side


Reads = Annotated[ReadSide, Depends(get_read_side)]


async def get_waits(request: Request) -> Waits:
    """The process's pending `?after` waits, made at start-up (`api.waits.lifespan`)."""
    waits: Waits = request.app.state.read_waits
    return waits


@dataclass(frozen=True)
class Freshness:
    """Who asks, for which read models, and the position they asked for; the route waits once the whole request
    is valid."""

    waits: Waits
    caller: Caller
    names: Collection[str]
    after: int | None

    async def wait(self) -> ReadSide:
        """The read side once these read models include `?after=<position>` (`api/waits.py`: 422, 503)."""
        if self.after is not None:
            await self.waits.until(self.caller.id, self.after, self.names)
        return self.waits.read_side

    async def wait_for_store(self, name: str) -> ReadSide:
        """The read side once this read model includes what is stored now (a row the write side already has)."""
        position = await run_in_threadpool(self.waits.read_side.store.position)
        await self.waits.until(self.caller.id, position, (name,))
        return self.waits.read_side


def fresh(names: Collection[str]) -> Callable[..., Awaitable[Freshness]]:
    """A dependency taking `?after=<position>` for these read models; the route awaits `wait()`.

    Waiting here would answer 503 to a request whose other parameters are invalid: FastAPI still calls a
    dependency after another one's parameters failed validation. The caller was authenticated by the route's
    scope dependency (FastAPI reuses it): waits are counted per participant.
    """

    async def wanted(
        waits: Annotated[Waits, Depends(get_waits)],
        caller: CurrentCaller,
        after: Annotated[int | None, Query(ge=0, le=2**62, description=AFTER)] = None,
    ) -> Freshness:
        return Freshness(waits, caller, names, after)

    return wanted


@dataclass(frozen=True)
class Page:
    """A page request: at most `limit` items after the cursor's position."""

    limit: int
    after: int

    def cursor(self, items: list[Any], position: Callable[[Any], int]) -> str | None:
        """The next page's cursor, if this page is full."""
        if len(items) < self.limit:
            return None
        return base64.urlsafe_b64encode(str(position(items[-1])).encode()).decode()


async def page(
    limit: Annotated[int, Query(ge=1, le=100, description="At most this many items (default 50, at most 100).")] = 50,
    cursor: Annotated[str | None, Query(max_length=64, description=CURSOR)] = None,
) -> Page:
    """`?limit` (default 50, at most 100) and the opaque `?cursor` of a previous page."""
    if cursor is None:
        return Page(limit, 0)
    try:
        after = int(base64.urlsafe_b64decode(cursor.encode()).decode())
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise RequestInvalid.query("cursor", "invalid", Reason.MALFORMED) from None
    if not 0 <= after <= 2**62:
        raise RequestInvalid.query("cursor", "invalid", Reason.MALFORMED)
    return Page(limit, after)


Paging = Annotated[Page, Depends(page)]
