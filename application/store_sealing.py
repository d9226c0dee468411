"""The operator's sealing of unchained events, recorded as an event in the same transaction as the chaining."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from application.mentorat import CommandResult, Mentorat
from application.ports import Ports
from domain.store_sealing import StoreSealing
from domain.values import Actor

SEAL_UNCHAINED = "seal_unchained"  # the keyword the recorder reads: chain these events before the new ones
SEAL_PROGRESS = "seal_progress"  # and whom it tells the positions it chained, `(position, last)`: counts only


@dataclass(frozen=True)
class UnchainedRange:
    """The events stored without a chain link, as found before sealing: the recorder checks them again."""

    first_position: int
    last_position: int
    count: int


class HistorySealing:
    """`mentorat audit seal --yes`: chain what was found unchained, and record who did it and which range."""

    def __init__(self, store: Mentorat, ports: Ports) -> None:
        self.store = store
        self.ports = ports

    def seal(self, found: UnchainedRange, progress: Callable[[int, int], None] | None = None) -> CommandResult:
        """Record the sealing by the operator; the recorder chains the range in the event's own transaction.

        The recorder refuses (and nothing is stored) if the unchained events are no longer exactly `found`;
        `progress` hears the positions it chains.
        """
        sealing = StoreSealing.seal(
            self.ports.new_id(),
            found.first_position,
            found.last_position,
            found.count,
            Actor.operator(),
            self.ports.clock(),
        )
        recorder_keywords: dict[str, Any] = {SEAL_UNCHAINED: found}
        if progress is not None:
            recorder_keywords[SEAL_PROGRESS] = progress
        position = self.store.commit(sealing, **recorder_keywords)
        data = {"first_position": found.first_position, "last_position": found.last_position, "count": found.count}
        return CommandResult(sealing.id, sealing.version, position, data)
