"""Dependencies of the queries: the read side, `?after=<position>` waits, and paging with opaque cursors."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Query, Request

from api.problems import NotReady, RequestInvalid
from bootstrap.read_side import ReadSide


def get_read_side(request: Request) -> ReadSide:
    """The read models built at start-up."""
    read_side: ReadSide = request.app.state.read_side
    return read_side


Reads = Annotated[ReadSide, Depends(get_read_side)]


@dataclass(frozen=True)
class Freshness:
    """The read side and the position a read asked for; the route waits only once the whole request is valid."""

    read_side: ReadSide
    names: Collection[str]
    after: int | None

    def wait(self) -> ReadSide:
        """The read side once these read models include `?after=<position>` (a bounded wait), else 503."""
        settings = self.read_side.settings
        if self.after is not None and not self.read_side.wait_for(self.after, self.names, settings.read_wait_seconds):
            raise NotReady
        return self.read_side


def fresh(names: Collection[str]) -> Callable[[ReadSide, int | None], Freshness]:
    """A dependency taking `?after=<position>` for these read models; the route calls `wait()`.

    Waiting here would answer 503 to a request whose other parameters are invalid: FastAPI still calls a
    dependency after another one's parameters failed validation.
    """

    def wanted(read_side: Reads, after: Annotated[int | None, Query(ge=0, le=2**62)] = None) -> Freshness:
        return Freshness(read_side, names, after)

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


def page(
    limit: Annotated[int, Query(ge=1, le=100)] = 50, cursor: Annotated[str | None, Query(max_length=64)] = None
) -> Page:
    """`?limit` (default 50, at most 100) and the opaque `?cursor` of a previous page."""
    if cursor is None:
        return Page(limit, 0)
    try:
        after = int(base64.urlsafe_b64decode(cursor.encode()).decode())
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise RequestInvalid([{"field": "cursor", "code": "invalid"}]) from None
    if not 0 <= after <= 2**62:
        raise RequestInvalid([{"field": "cursor", "code": "invalid"}])
    return Page(limit, after)


Paging = Annotated[Page, Depends(page)]
