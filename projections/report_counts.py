"""The report's counters: what one mentorship adds to its programme's counts, derived from its folded state.

A counter row counts items over a day `since`, with a second day `bound` and a `gate`: the query picks rows
by comparing them with the window's ends, so any [from, to) is exact without scanning mentorships.
- as of `to`:        since < to and bound >= to  (a status that began on `since` and lasted until `bound`);
- in the window:     from <= since < to and bound >= to  (an event; a score that stayed latest until `bound`);
- first in window:   from <= since < to and bound < from and gate < to  (one of several dated facts counted once).
The fold keeps each mentorship's contribution; when the mentorship changes, it adds the difference.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from projections.tables import Row

NEVER, NONE = "9999-12-31", ""  # `bound` of what lasts; `bound` or `gate` of what has none
OPEN_END = 10**9  # the end month of a mentorship that has not ended
# as of `to`
AWAITING, ACTIVE, COMPLETED, EARLY, WITHDRAWN, LENGTH, OBJECTIVE = (
    "awaiting", "active", "completed", "early", "withdrawn", "length", "objective",
)  # fmt: skip
# in the window (events, added once when folded, and the latest score)
HELD, WITHIN_TARGET, WITH_AGENDA, CANCELLED, RAISED, SETTLED, SATISFACTION = (
    "held", "within_target", "with_agenda", "cancelled", "raised", "settled", "satisfaction",
)  # fmt: skip
# first in window
CONSULTED, MEETING_MONTH = "consulted", "meeting_month"
AS_OF = (AWAITING, ACTIVE, COMPLETED, EARLY, WITHDRAWN, LENGTH, OBJECTIVE)
IN_WINDOW = (HELD, WITHIN_TARGET, WITH_AGENDA, CANCELLED, RAISED, SETTLED, SATISFACTION)

CountKey = tuple[str, str, str, str, str]  # metric, since, bound, gate, category
SpanKey = tuple[str, int, int]  # signed on, start month, end month


def _later(*days: str | None) -> str:
    return max(day for day in days if day)


def _earlier(*days: str | None) -> str:
    return min((day for day in days if day), default=NEVER)


def counts(row: Row) -> Counter[tuple[CountKey, str]]:
    """The mentorship's contribution to its programme's counters: (key, 'n' or 'total') -> amount."""
    found: Counter[tuple[CountKey, str]] = Counter()

    def count(
        metric: str, since: str, bound: str = NEVER, gate: str = NONE, category: str = "", total: int = 0
    ) -> None:
        found[((metric, since, bound, gate, category), "n")] += 1
        if total:
            found[((metric, since, bound, gate, category), "total")] += total

    drafted, signed, withdrawn, ended = row["drafted_on"], row["signed_on"], row["withdrawn_on"], row["ended_on"]
    count(AWAITING, drafted, _earlier(signed, withdrawn))
    if signed:
        count(ACTIVE, _later(drafted, signed), ended or NEVER)
    if withdrawn:
        count(WITHDRAWN, _later(drafted, withdrawn))
    if ended:
        since = _later(drafted, ended)
        if row["completed"]:
            count(COMPLETED, since)
        else:
            count(EARLY, since, category=row["end_reason"])
        count(LENGTH, ended, category=str(row["length_months"]))
    for facts in row["objectives"].values():
        for index, (day, status) in enumerate(facts):
            following = facts[index + 1][0] if index + 1 < len(facts) else None
            count(OBJECTIVE, day, _earlier(following, withdrawn), category=status)
    for role, scores in row["scores"].items():
        for index, (day, score) in enumerate(scores):
            following = scores[index + 1][0] if index + 1 < len(scores) else NEVER
            count(SATISFACTION, day, following, category=role, total=score)
    for days in row["consultations"].values():
        for index, day in enumerate(days):
            count(CONSULTED, day, days[index - 1] if index else NONE)
    _meeting_months(row, count)
    return found


def _meeting_months(row: Row, count: Any) -> None:
    """Each month with a meeting counted once: each distinct day, gated by the signature, with the one before."""
    end_month = row["end_month"] if row["end_month"] is not None else OPEN_END
    previous: dict[int, str] = {}
    for day, month in sorted({(day, month) for day, month in row["held"]}):
        if row["start_month"] <= month <= end_month:
            count(MEETING_MONTH, day, previous.get(month, NONE), row["signed_on"] or NEVER)
            previous[month] = day


def spans(row: Row) -> Counter[SpanKey]:
    """The mentorship's active months, as (signed on, start month, end month) -> 1 once signed."""
    if not row["signed_on"]:
        return Counter()
    end_month = row["end_month"] if row["end_month"] is not None else OPEN_END
    return Counter({(row["signed_on"], row["start_month"], end_month): 1})


def difference(after: Counter[Any], before: Counter[Any]) -> dict[Any, int]:
    """What changes from `before` to `after` (non-zero amounts only)."""
    keys = set(after) | set(before)
    return {key: after[key] - before[key] for key in keys if after[key] != before[key]}
