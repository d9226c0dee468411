"""The report's counters: what one mentorship adds to its programme's counts, derived from its folded state.

Most counters are one-dimensional, by day, and rolled up by month too: a range of days sums at most two
partial months of day rows and the whole months between (so the work is bounded by the calendar):
- as of `to`, a status kept as +1 on the day it began and -1 on the day it stopped: the sum before `to`;
- in the window, an event (or the score still latest) counted on its day: the sum over [from, to).
The rest compare two days, `since` and `bound` (and a `gate`), and are few or read over a short range:
- a score superseded later: from <= since < to <= bound;
- first in window (a consultation of a dispute, a meeting in a month already met): from <= since < to and
  bound < from (its previous one; the same month for meetings, so `since` lies in the month of `from`).
The fold keeps each mentorship's contribution; when the mentorship changes, it adds the difference.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from projections.tables import Row

NEVER, NONE = "9999-12-31", ""  # `bound` of what lasts; `bound` or `gate` of what has none
OPEN_END = 10**9  # the end month of a mentorship that has not ended
MONTHLY = "/month"  # suffix of a day counter's roll-up by month (its `since` is the month, "YYYY-MM")
# as of `to`, by day
AWAITING, ACTIVE, COMPLETED, EARLY, WITHDRAWN, LENGTH, OBJECTIVE = (
    "awaiting", "active", "completed", "early", "withdrawn", "length", "objective",
)  # fmt: skip
# in the window, by day (events, added once when folded; the latest score; the first meeting of a month)
HELD, WITHIN_TARGET, WITH_AGENDA, CANCELLED, RAISED, SETTLED, SATISFACTION, MEETING_MONTH = (
    "held", "within_target", "with_agenda", "cancelled", "raised", "settled", "satisfaction", "meeting_month",
)  # fmt: skip
# two days
SUPERSEDED, CONSULTED, MEETING_AGAIN, MEETING_GATED = (
    "satisfaction_superseded", "consulted", "meeting_month_again", "meeting_month_gated",
)  # fmt: skip
AS_OF = (AWAITING, ACTIVE, COMPLETED, EARLY, WITHDRAWN, LENGTH, OBJECTIVE)
IN_WINDOW = (HELD, WITHIN_TARGET, WITH_AGENDA, CANCELLED, RAISED, SETTLED, SATISFACTION)
BY_DAY = frozenset((*AS_OF, *IN_WINDOW, MEETING_MONTH))

CountKey = tuple[str, str, str, str, str]  # metric, since, bound, gate, category
SpanKey = tuple[str, int, int]  # signed on, start month, end month


def rolled_up(metric: str, since: str) -> list[tuple[str, str]]:
    """Where a count goes: its day row, and for a day counter its month's row too."""
    return [(metric, since), (metric + MONTHLY, since[:7])] if metric in BY_DAY else [(metric, since)]


def _later(*days: str | None) -> str:
    return max(day for day in days if day)


def _earlier(*days: str | None) -> str:
    return min((day for day in days if day), default=NEVER)


def counts(row: Row) -> Counter[tuple[CountKey, str]]:
    """The mentorship's contribution to its programme's counters: (key, 'n' or 'total') -> amount."""
    found: Counter[tuple[CountKey, str]] = Counter()

    def count(
        metric: str, since: str, bound: str = NEVER, gate: str = NONE, category: str = "", **amounts: int
    ) -> None:
        for column, amount in (amounts or {"n": 1}).items():
            found[((metric, since, bound, gate, category), column)] += amount

    def lasting(metric: str, since: str, until: str, category: str = "") -> None:
        count(metric, since, category=category)
        if until != NEVER:  # stopped: -1 from that day (never before it began)
            count(metric, max(since, until), category=category, n=-1)

    drafted, signed, withdrawn, ended = row["drafted_on"], row["signed_on"], row["withdrawn_on"], row["ended_on"]
    lasting(AWAITING, drafted, _earlier(signed, withdrawn))
    if signed:
        lasting(ACTIVE, _later(drafted, signed), ended or NEVER)
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
            lasting(OBJECTIVE, day, _earlier(following, withdrawn), status)
    for role, scores in row["scores"].items():
        for index, (day, score) in enumerate(scores):
            if index + 1 < len(scores):
                count(SUPERSEDED, day, scores[index + 1][0], category=role, n=1, total=score)
            else:
                count(SATISFACTION, day, category=role, n=1, total=score)
    for days in row["consultations"].values():
        for index, day in enumerate(days):
            count(CONSULTED, day, days[index - 1] if index else NONE)
    _meeting_months(row, count)
    return found


def _meeting_months(row: Row, count: Any) -> None:
    """Each month with a meeting counted once: each distinct day with the one before it in its month.

    A day before the signature (a meeting recorded as held before it) keeps the signature as its gate.
    """
    end_month = row["end_month"] if row["end_month"] is not None else OPEN_END
    signed = row["signed_on"] or NEVER
    previous: dict[int, str] = {}
    for day, month in sorted({(day, month) for day, month in row["held"]}):
        if row["start_month"] <= month <= end_month:
            before = previous.get(month, NONE)
            if signed > day:
                count(MEETING_GATED, day, before, signed)
            elif before:
                count(MEETING_AGAIN, day, before)
            else:
                count(MEETING_MONTH, day)
            previous[month] = day


def spans(row: Row) -> Counter[SpanKey]:
    """The mentorship's active months, as (signed on, start month, end month) -> 1 once signed."""
    if not row["signed_on"]:
        return Counter()
    end_month = row["end_month"] if row["end_month"] is not None else OPEN_END
    return Counter({(row["signed_on"], row["start_month"], end_month): 1})


def span_months(row: Row) -> Counter[int]:
    """The mentorship's active months as deltas by month: +1 from its start month, -1 after its end month."""
    end_month = row["end_month"] if row["end_month"] is not None else OPEN_END
    if not row["signed_on"] or end_month < row["start_month"]:
        return Counter()
    deltas = Counter({row["start_month"]: 1})
    if end_month != OPEN_END:
        deltas[end_month + 1] -= 1
    return deltas


def difference(after: Counter[Any], before: Counter[Any]) -> dict[Any, int]:
    """What changes from `before` to `after` (non-zero amounts only)."""
    keys = set(after) | set(before)
    return {key: after[key] - before[key] for key in keys if after[key] != before[key]}
