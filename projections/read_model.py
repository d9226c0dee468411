"""What every read model is: named tables and a fold of (event, position) into rows."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Collection, Sequence
from typing import Any, ClassVar

from projections.tables import Rows, Table


class ReadModel(ABC):
    """A read model: its tables and how one event changes them. Holds process facts only, never content."""

    name: ClassVar[str]
    tables: ClassVar[tuple[Table, ...]]
    retired: ClassVar[tuple[str, ...]] = ()  # older layouts' tables, dropped when the model is rebuilt

    @abstractmethod
    def folds(self) -> Collection[type[Any]]:
        """The event classes `apply` changes rows for; the shared pass hands the model no other."""

    @abstractmethod
    def apply(self, event: Any, position: int, rows: Rows) -> None:
        """Fold one event into the rows; events the model does not use change nothing."""

    def preload(self, events: Sequence[tuple[int, Any]], rows: Rows, load_many: Any) -> None:
        """Fetch in bulk the rows a batch will touch (optional: rows also load one by one)."""
        return


class ProjectionError(RuntimeError):
    """A read model met an event it cannot process: it stops there, it never skips."""

    def __init__(self, model: str, position: int, cause: BaseException, before: Sequence[tuple[int, Any]] = ()) -> None:
        super().__init__(f"read model {model!r} stopped at position {position}: {type(cause).__name__}")
        self.model = model
        self.position = position
        self.before = before  # events read before the bad one, still to be projected
