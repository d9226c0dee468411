"""The programme report's query: a few indexed aggregates over the folded counters, read in one snapshot.

Event figures count over [from, to) by local date, status figures as of `to`; `report_counts` says how
each counter row is read. The work is bounded by the programme's days and categories, not its size.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta
from typing import Any

from domain.values import EndReason, ObjectiveStatus, local_date
from projections import report_counts as rc
from projections.dates import month_number
from projections.report_facts import COUNTS, PROGRAMMES, SPANS

EARLIEST, LATEST = "0001-01-01", "9999-12-31"
AFTER_LATEST = "9999-12-32"  # sorts after every date: no month cap


def rate(numerator: float, denominator: float, digits: int = 3) -> float | None:
    """A fraction rounded to 3 decimals, or None when the denominator is 0."""
    return round(numerator / denominator, digits) if denominator else None


def time_zone(view: Any, programme_id: str) -> str | None:
    """The programme's time zone, or None if the read model does not know the programme."""
    found = view.query(f"SELECT time_zone FROM {PROGRAMMES.name} WHERE id = ?", programme_id)
    return str(found[0]["time_zone"]) if found else None


def _in(metrics: tuple[str, ...]) -> str:
    return ", ".join(f"'{metric}'" for metric in metrics)


_SUMS = f"SELECT metric, category, SUM(n) AS n, SUM(total) AS total FROM {COUNTS.name} WHERE programme_id = ?"
_COUNTS_QUERY = " UNION ALL ".join(
    (
        f"{_SUMS} AND metric IN ({_in(rc.AS_OF)}) AND since < ? AND bound >= ? GROUP BY metric, category",
        f"{_SUMS} AND metric IN ({_in(rc.IN_WINDOW)}) AND since >= ? AND since < ? AND bound >= ?"
        " GROUP BY metric, category",
        f"{_SUMS} AND metric = '{rc.CONSULTED}' AND since >= ? AND since < ? AND bound < ? GROUP BY metric, category",
        f"{_SUMS} AND metric = '{rc.MEETING_MONTH}' AND since >= ? AND since < ? AND since < ? AND bound < ?"
        " AND gate < ? GROUP BY metric, category",
    )
)
_SPANS_QUERY = (
    "SELECT SUM(n * (CASE WHEN l >= f THEN l - f + 1 ELSE 0 END)) AS months FROM ("
    " SELECT n, CASE WHEN start_month > ? THEN start_month ELSE ? END AS f,"
    "  CASE WHEN end_month < ? THEN end_month ELSE ? END AS l"
    f" FROM {SPANS.name} WHERE programme_id = ? AND signed_on < ?) AS spans"
)


def report(view: Any, programme_id: str, now: datetime, start: date | None, end: date | None) -> dict[str, Any]:
    """The programme report of MISSION section 4 (without `at_risk`, which the worklist answers)."""
    low, high = (start.isoformat() if start else EARLIEST), (end.isoformat() if end else LATEST)
    with view.snapshot() as reads:
        zone = time_zone(reads, programme_id) or "UTC"
        first, last = _month_span(start, end, local_date(now, zone))
        cap = _first_day(last + 1) if last >= first else EARLIEST
        params = (
            programme_id, high, high,
            programme_id, low, high, high,
            programme_id, low, high, low,
            programme_id, low, high, cap, low, high,
        )  # fmt: skip
        counted = reads.query(_COUNTS_QUERY, *params)
        months = reads.query(_SPANS_QUERY, first, first, last, last, programme_id, high)[0]["months"]
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
    active_months = int(months or 0)
    figures["active_mentorship_months"] = active_months
    figures["meetings_per_active_month"] = rate(n[rc.HELD], active_months)
    figures["months_with_meeting_rate"] = rate(n[rc.MEETING_MONTH], active_months)
    figures.update(_satisfaction_and_objectives(by_category, counted))
    figures["disputes_raised"] = n[rc.RAISED]
    figures["disputes_settled"] = n[rc.SETTLED]
    figures["disputes_to_coordinator"] = n[rc.CONSULTED]
    figures["median_length_months"] = _median(by_category.get(rc.LENGTH, Counter()))
    return figures


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
