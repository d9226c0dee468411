"""The programme report's query: a few indexed aggregates over the folded counters, read in one snapshot.

Event figures count over [from, to) by local date, status figures as of `to`; `report_counts` says how
each counter row is read. The work is bounded by the programme's days and categories, not its size.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any

from domain.values import EndReason, ObjectiveStatus, local_date
from projections import report_counts as rc
from projections.dates import month_number
from projections.report_facts import COUNTS, PROGRAMMES, SPAN_MONTHS, SPANS

EARLIEST, LATEST = "0001-01-01", "9999-12-31"
AFTER_LATEST = "9999-12-32"  # sorts after every date: no month cap


def rate(numerator: float, denominator: float, digits: int = 3) -> float | None:
    """A fraction rounded to 3 decimals, or None when the denominator is 0."""
    return round(numerator / denominator, digits) if denominator else None


def time_zone(view: Any, programme_id: str) -> str | None:
    """The programme's time zone, or None if the read model does not know the programme."""
    found = view.query(f"SELECT time_zone FROM {PROGRAMMES.name} WHERE id = ?", programme_id)
    return str(found[0]["time_zone"]) if found else None


def _in(metrics: Iterable[str]) -> str:
    return ", ".join(f"'{metric}'" for metric in metrics)


_SUMS = f"SELECT metric, category, SUM(n) AS n, SUM(total) AS total FROM {COUNTS.name} WHERE programme_id = ?"
_GROUP = " GROUP BY metric, category"
_TWO_DAYS = {  # counters comparing two days: their condition over (from, to, the end of what they may count)
    rc.CONSULTED: "since >= ? AND since < ? AND bound < ?",
    rc.MEETING_AGAIN: "since >= ? AND since < ? AND bound < ?",
    rc.MEETING_GATED: "since >= ? AND since < ? AND bound < ? AND gate < ?",
    rc.SUPERSEDED: "since >= ? AND since < ? AND bound >= ?",
}
_COUNTED_AS = {rc.SUPERSEDED: rc.SATISFACTION, rc.MEETING_AGAIN: rc.MEETING_MONTH, rc.MEETING_GATED: rc.MEETING_MONTH}
_SPAN_DELTAS = f"SELECT month, SUM(n) AS n FROM {SPAN_MONTHS.name} WHERE programme_id = ? AND month <= ? GROUP BY month"
_SPANS_SIGNED_SINCE = (
    "SELECT SUM(n * (CASE WHEN l >= f THEN l - f + 1 ELSE 0 END)) AS months FROM ("
    " SELECT n, CASE WHEN start_month > ? THEN start_month ELSE ? END AS f,"
    "  CASE WHEN end_month < ? THEN end_month ELSE ? END AS l"
    f" FROM {SPANS.name} WHERE programme_id = ? AND signed_on >= ?) AS spans"
)


class _Statement:
    """One UNION ALL of counter sums, built branch by branch with its parameters."""

    def __init__(self, programme_id: str) -> None:
        self.programme_id = programme_id
        self.branches: list[str] = []
        self.params: list[Any] = []

    def by_day(self, metrics: tuple[str, ...], low: str, high: str) -> None:
        """Day counters summed over [low, high): partial months by day, whole months by their roll-up."""
        if high <= low:
            return
        whole_from, whole_to = _month_after(low) if low[8:] != "01" else low[:7], high[:7]
        if whole_from >= whole_to:
            ranges = [(low, high), ("", "")]
        else:
            ranges = [(low, whole_from + "-01"), (whole_to + "-01", high)]
            monthly = tuple(metric + rc.MONTHLY for metric in metrics)
            self.add(f"metric IN ({_in(monthly)}) AND since >= ? AND since < ?", whole_from, whole_to)
        days = "(since >= ? AND since < ?) OR (since >= ? AND since < ?)"
        self.add(f"metric IN ({_in(metrics)}) AND ({days})", *ranges[0], *ranges[1])

    def add(self, condition: str, *params: Any) -> None:
        """One more branch."""
        self.branches.append(f"{_SUMS} AND {condition}{_GROUP}")
        self.params += [self.programme_id, *params]

    def two_days(self, metric: str, *params: Any) -> None:
        """A counter comparing two days."""
        self.add(f"metric = '{metric}' AND {_TWO_DAYS[metric]}", *params)

    def rows(self, reads: Any) -> list[dict[str, Any]]:
        """The sums, each two-day counter under the metric it counts for."""
        found = reads.query(" UNION ALL ".join(self.branches), *self.params)
        for row in found:
            metric = row["metric"].removesuffix(rc.MONTHLY)
            row["metric"] = _COUNTED_AS.get(metric, metric)
        return list(found)


def report(view: Any, programme_id: str, now: datetime, start: date | None, end: date | None) -> dict[str, Any]:
    """The programme report of MISSION section 4 (without `at_risk`, which the worklist answers)."""
    low, high = (start.isoformat() if start else EARLIEST), (end.isoformat() if end else LATEST)
    with view.snapshot() as reads:
        zone = time_zone(reads, programme_id) or "UTC"
        first, last = _month_span(start, end, local_date(now, zone))
        counted = _counted(reads, programme_id, low, high, _first_day(last + 1) if last >= first else EARLIEST)
        months = _active_months(reads, programme_id, high, first, last)
    n: Counter[str] = Counter()
    total: Counter[str] = Counter()
    by_category: dict[str, Counter[str]] = {}
    for row in counted:
        n[row["metric"]] += int(row["n"] or 0)
        total[row["metric"]] += int(row["total"] or 0)
        by_category.setdefault(row["metric"], Counter())[row["category"]] += int(row["n"] or 0)
    figures: dict[str, Any] = {}
    figures.update(_statuses(n, by_category.get(rc.EARLY, Counter())))
    figures.update(_meetings(n, total))
    figures["active_mentorship_months"] = months
    figures["meetings_per_active_month"] = rate(n[rc.HELD], months)
    figures["months_with_meeting_rate"] = rate(n[rc.MEETING_MONTH], months)
    figures.update(_satisfaction_and_objectives(by_category, counted))
    figures["disputes_raised"] = n[rc.RAISED]
    figures["disputes_settled"] = n[rc.SETTLED]
    figures["disputes_to_coordinator"] = n[rc.CONSULTED]
    figures["median_length_months"] = _median(by_category.get(rc.LENGTH, Counter()))
    return figures


def _counted(reads: Any, programme_id: str, low: str, high: str, cap: str) -> list[dict[str, Any]]:
    """Every counter's sums for the window, in one statement; `cap`: the day after the last month that counts."""
    statement = _Statement(programme_id)
    statement.by_day(rc.AS_OF, EARLIEST, high)
    statement.by_day(rc.IN_WINDOW, low, high)
    until = min(high, cap)
    statement.by_day((rc.MEETING_MONTH,), low, until)
    statement.two_days(rc.CONSULTED, low, high, low)
    statement.two_days(rc.MEETING_AGAIN, low, min(until, _month_after(low) + "-01"), low)
    statement.two_days(rc.MEETING_GATED, low, until, low, high)
    if high != LATEST:  # no score is superseded after the calendar's last day
        statement.two_days(rc.SUPERSEDED, low, high, high)
    return statement.rows(reads)


def _active_months(reads: Any, programme_id: str, high: str, first: int, last: int) -> int:
    """Signed mentorships' months within [first, last]: the deltas by month summed, less those signed from `to`."""
    if last < first:
        return 0
    deltas = sorted((int(row["month"]), int(row["n"])) for row in reads.query(_SPAN_DELTAS, programme_id, last))
    months, running = 0, 0
    ends = [month for month, _ in deltas[1:]] + [last + 1] if deltas else []
    for (month, delta), following in zip(deltas, ends, strict=True):
        running += delta
        months += running * max(0, min(following - 1, last) - max(month, first) + 1)
    later = reads.query(_SPANS_SIGNED_SINCE, first, first, last, last, programme_id, high)[0]["months"]
    return months - int(later or 0)


def _month_after(day: str) -> str:
    """The month after a day's, as "YYYY-MM" (after every month beyond the calendar's last year)."""
    year, month = int(day[:4]), int(day[5:7])
    return f"{year + month // 12:04d}-{month % 12 + 1:02d}" if (year, month) < (9999, 12) else "9999-13"


def _first_day(month: int) -> str:
    """The first day of a month number, as ISO text (after every date beyond the calendar's last year)."""
    year, index = divmod(month, 12)
    return f"{year:04d}-{index + 1:02d}-01" if 1 <= year <= 9999 else (AFTER_LATEST if year > 9999 else EARLIEST)


def _statuses(n: Counter[str], early: Counter[str]) -> dict[str, Any]:
    reasons = dict.fromkeys((reason.value for reason in EndReason), 0)
    for reason, count in early.items():
        if count:
            reasons[reason] = count
    ended_early, completed = n[rc.EARLY], n[rc.COMPLETED]
    return {
        "mentorships_awaiting_signatures": n[rc.AWAITING],
        "mentorships_active": n[rc.ACTIVE],
        "mentorships_completed": completed,
        "mentorships_ended_early": ended_early,
        "mentorships_withdrawn": n[rc.WITHDRAWN],
        "early_end_rate": rate(ended_early, ended_early + completed),
        "early_end_reasons": reasons,
    }


def _meetings(n: Counter[str], total: Counter[str]) -> dict[str, Any]:
    held, cancelled = n[rc.HELD], n[rc.CANCELLED]
    return {
        "meetings_held": held,
        "meetings_cancelled": cancelled,
        "cancellation_rate": rate(cancelled, held + cancelled),
        "minutes_mean": rate(total[rc.HELD], held, 2),
        "within_target_rate": rate(n[rc.WITHIN_TARGET], held),
        "agenda_rate": rate(n[rc.WITH_AGENDA], held),
    }


def _month_span(start: date | None, end: date | None, today: date) -> tuple[int, int]:
    """The first and last calendar months (as numbers) that count as active months in the window."""
    first = month_number(start) if start else 0
    last = month_number(today)
    if end is not None:  # the month of the window's last day (none before the calendar's first day)
        last = min(last, month_number(end - timedelta(days=1)) if end > date.min else first - 1)
    return first, last


def _satisfaction_and_objectives(by_category: dict[str, Counter[str]], counted: list[dict[str, Any]]) -> dict[str, Any]:
    scores = {role: [0, 0] for role in ("mentor", "mentee")}
    for row in counted:
        if row["metric"] == rc.SATISFACTION and row["category"] in scores:
            scores[row["category"]][0] += int(row["total"] or 0)
            scores[row["category"]][1] += int(row["n"] or 0)
    statuses = by_category.get(rc.OBJECTIVE, Counter())
    kept = sum(statuses.values()) - statuses[ObjectiveStatus.ABANDONED.value]
    return {
        "objective_attainment_rate": rate(statuses[ObjectiveStatus.ATTAINED.value], kept),
        "mean_satisfaction_mentors": rate(scores["mentor"][0], scores["mentor"][1], 2),
        "mean_satisfaction_mentees": rate(scores["mentee"][0], scores["mentee"][1], 2),
    }


def _median(lengths: Counter[str]) -> float | int | None:
    """The median of the lengths counted by value (the middle one, or the mean of the middle two)."""
    values = sorted((int(length), count) for length, count in lengths.items() if count)
    size = sum(count for _, count in values)
    if not size:
        return None
    middle: list[int] = []
    seen = 0
    for length, count in values:
        middle += [length] * sum(1 for index in ((size - 1) // 2, size // 2) if seen <= index < seen + count)
        seen += count
    median = sum(middle) / 2
    return int(median) if median == int(median) else median


REPORT_ORDER = (
    "mentorships_awaiting_signatures", "mentorships_active", "mentorships_completed", "mentorships_ended_early",
    "mentorships_withdrawn", "early_end_rate", "early_end_reasons", "meetings_held", "meetings_cancelled",
    "cancellation_rate", "active_mentorship_months", "meetings_per_active_month", "months_with_meeting_rate",
    "minutes_mean",
    "within_target_rate", "agenda_rate", "objective_attainment_rate", "mean_satisfaction_mentors",
    "mean_satisfaction_mentees", "disputes_raised", "disputes_settled", "disputes_to_coordinator",
    "median_length_months", "at_risk",
)  # fmt: skip


def csv_rows(figures: dict[str, Any]) -> list[tuple[str, str]]:
    """The report as `metric,value` pairs, maps flattened as `name.key`, null as an empty value."""
    pairs: list[tuple[str, str]] = []
    for name in (*REPORT_ORDER, *(k for k in figures if k not in REPORT_ORDER)):
        value = figures.get(name)
        if isinstance(value, dict):
            pairs += [(f"{name}.{key}", "" if item is None else str(item)) for key, item in value.items()]
        else:
            pairs.append((name, "" if value is None else str(value)))
    return pairs
