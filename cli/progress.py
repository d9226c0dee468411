"""Progress of long operator work on stderr: a rich bar on a terminal, a few plain lines otherwise.

The loops below (rebuild, verify, checkpoint, seal, the demo) report `(done, total)` through a plain callback
and know nothing of rich; only counts are ever shown, never content. Stdout stays the command's answer
(`--json` included).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

Report = Callable[[int, int], None]
MILESTONES = (25, 50, 75, 100)  # the percentages a non-terminal run prints a line at


def on_terminal() -> bool:
    """Whether stderr is a terminal (a bar can redraw itself there)."""
    return sys.stderr.isatty()


@contextmanager
def progress(label: str, unit: str) -> Iterator[Report]:
    """A callback `(done, total)` drawing a bar for `label` on a terminal, or printing a line at 25/50/75/100%.

    `unit` names what is counted, in the singular (`position`, `day`).
    """
    with phases(unit) as phase:
        yield phase(label)


@contextmanager
def phases(unit: str) -> Iterator[Callable[[str], Report]]:
    """A callback per phase of one command (`phase("seal: chaining")`), each with its bar or its lines."""
    if not on_terminal():
        yield lambda label: PlainLines(label, unit)
        return
    columns = (TextColumn("{task.description}"), BarColumn(), TextColumn(unit), MofNCompleteColumn())
    with Progress(*columns, TimeElapsedColumn(), console=Console(stderr=True), transient=True) as bar:

        def phase(label: str) -> Report:
            task = bar.add_task(label, total=None)

            def report(done: int, total: int) -> None:
                bar.update(task, completed=done, total=max(total, done))

            return report

        yield phase  # the bars disappear when the work ends (the command prints its own summary)


class PlainLines:
    """Without a terminal: a line when a milestone is passed (`rebuild: 50% (position 1200 of 2400)`)."""

    def __init__(self, label: str, unit: str) -> None:
        self.label, self.unit = label, unit
        self.next = 0  # the index of the next milestone to print

    def __call__(self, done: int, total: int) -> None:
        """Print one line when `done` passed a milestone since the last line (the highest one it passed)."""
        percent = 100 if total <= 0 else min(100, done * 100 // total)
        passed = [index for index in range(self.next, len(MILESTONES)) if percent >= MILESTONES[index]]
        if passed:
            print(f"{self.label}: {percent}% ({self.unit} {done} of {total})", file=sys.stderr, flush=True)
            self.next = passed[-1] + 1
