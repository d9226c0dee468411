"""The programme report's query: event figures over [from, to) by local date, status figures as of `to`."""

from __future__ import annotations

import statistics
from datetime import date, datetime, timedelta
from typing import Any

from domain.values import EndReason, ObjectiveStatus, local_date
from projections.dates import month_number
from projections.report_facts import (
    CANCELLED_FACT,
    CONSULTED,
    FACTS,
    HELD_FACT,
    MENTORSHIPS,
    OBJECTIVE,
    PROGRAMMES,
    RAISED,
    SATISFACTION,
    SETTLED_FACT,
)

EARLIEST, LATEST = "0001-01-01", "9999-12-31"


def rate(numerator: float, denominator: float, digits: int = 3) -> float | None:
    """A fraction rounded to 3 decimals, or None when the denominator is 0."""
    return round(numerator / denominator, digits) if denominator else None


def time_zone(view: Any, programme_id: str) -> str | None:
    """The programme's time zone, or None if the read model does not know the programme."""
    found = view.query(f"SELECT time_zone FROM {PROGRAMMES.name} WHERE id = ?", programme_id)
    return str(found[0]["time_zone"]) if found else None


def report(view: Any, programme_id: str, now: datetime, start: date | None, end: date | None) -> dict[str, Any]:
    """The programme report of MISSION section 4 (without `at_risk`, which the worklist answers)."""
    zone = time_zone(view, programme_id) or "UTC"
    low, high = (start.isoformat() if start else EARLIEST), (end.isoformat() if end else LATEST)
    figures: dict[str, Any] = {}
    figures.update(_statuses(view, programme_id, high))
    figures.update(_meetings(view, programme_id, low, high))
    figures.update(_months(view, programme_id, low, high, _month_span(start, end, local_date(now, zone))))
    figures.update(_satisfaction_and_objectives(view, programme_id, low, high))
    figures.update(_disputes(view, programme_id, low, high))
    figures["median_length_months"] = _median_length(view, programme_id, high)
    return figures


def _one(view: Any, statement: str, *params: Any) -> dict[str, Any]:
    return dict(view.query(statement, *params)[0])


def _statuses(view: Any, programme_id: str, high: str) -> dict[str, Any]:
    row = _one(
        view,
        "SELECT"
        " SUM(CASE WHEN (signed_on IS NULL OR signed_on >= ?) AND (withdrawn_on IS NULL OR withdrawn_on >= ?)"
        "  THEN 1 ELSE 0 END) AS awaiting,"
        " SUM(CASE WHEN signed_on < ? AND (ended_on IS NULL OR ended_on >= ?) THEN 1 ELSE 0 END) AS active,"
        " SUM(CASE WHEN ended_on < ? AND completed = 1 THEN 1 ELSE 0 END) AS completed,"
        " SUM(CASE WHEN ended_on < ? AND completed = 0 THEN 1 ELSE 0 END) AS early,"
        " SUM(CASE WHEN withdrawn_on < ? THEN 1 ELSE 0 END) AS withdrawn"
        f" FROM {MENTORSHIPS.name} WHERE programme_id = ? AND drafted_on < ?",
        *([high] * 7),
        programme_id,
        high,
    )
    counts = {name: int(row[name] or 0) for name in ("awaiting", "active", "completed", "early", "withdrawn")}
    reasons = dict.fromkeys((reason.value for reason in EndReason), 0)
    for found in view.query(
        f"SELECT end_reason, COUNT(*) AS n FROM {MENTORSHIPS.name}"
        " WHERE programme_id = ? AND ended_on < ? AND completed = 0 GROUP BY end_reason",
        programme_id,
        high,
    ):
        reasons[found["end_reason"]] = int(found["n"])
    return {
        "mentorships_awaiting_signatures": counts["awaiting"],
        "mentorships_active": counts["active"],
        "mentorships_completed": counts["completed"],
        "mentorships_ended_early": counts["early"],
        "mentorships_withdrawn": counts["withdrawn"],
        "early_end_rate": rate(counts["early"], counts["early"] + counts["completed"]),
        "early_end_reasons": reasons,
    }


def _meetings(view: Any, programme_id: str, low: str, high: str) -> dict[str, Any]:
    row = _one(
        view,
        "SELECT"
        " SUM(CASE WHEN kind = ? THEN 1 ELSE 0 END) AS held,"
        " SUM(CASE WHEN kind = ? THEN 1 ELSE 0 END) AS cancelled,"
        " SUM(CASE WHEN kind = ? THEN value ELSE 0 END) AS minutes,"
        " SUM(CASE WHEN kind = ? THEN within_target ELSE 0 END) AS within_target,"
        " SUM(CASE WHEN kind = ? THEN with_agenda ELSE 0 END) AS with_agenda"
        f" FROM {FACTS.name} WHERE programme_id = ? AND kind IN (?, ?) AND on_date >= ? AND on_date < ?",
        HELD_FACT, CANCELLED_FACT, HELD_FACT, HELD_FACT, HELD_FACT, programme_id, HELD_FACT, CANCELLED_FACT, low, high,
    )  # fmt: skip
    held, cancelled = int(row["held"] or 0), int(row["cancelled"] or 0)
    return {
        "meetings_held": held,
        "meetings_cancelled": cancelled,
        "cancellation_rate": rate(cancelled, held + cancelled),
        "minutes_mean": rate(int(row["minutes"] or 0), held, 2),
        "within_target_rate": rate(int(row["within_target"] or 0), held),
        "agenda_rate": rate(int(row["with_agenda"] or 0), held),
    }


def _month_span(start: date | None, end: date | None, today: date) -> tuple[int, int]:
    """The first and last calendar months (as numbers) that count as active months in the window."""
    first = month_number(start) if start else 0
    last = month_number(today)
    if end is not None:  # the month of the window's last day (none before the calendar's first day)
        last = min(last, month_number(end - timedelta(days=1)) if end > date.min else first - 1)
    return first, last


def _months(view: Any, programme_id: str, low: str, high: str, span: tuple[int, int]) -> dict[str, Any]:
    first, last = span
    months = _one(
        view,
        "SELECT SUM(CASE WHEN l >= f THEN l - f + 1 ELSE 0 END) AS months FROM ("
        " SELECT CASE WHEN start_month > ? THEN start_month ELSE ? END AS f,"
        "  CASE WHEN end_month IS NOT NULL AND end_month < ? THEN end_month ELSE ? END AS l"
        f" FROM {MENTORSHIPS.name} WHERE programme_id = ? AND signed_on < ?) AS spans",
        first, first, last, last, programme_id, high,
    )["months"]  # fmt: skip
    with_meeting = _one(
        view,
        "SELECT COUNT(*) AS n FROM (SELECT DISTINCT f.mentorship_id, f.month"
        f" FROM {FACTS.name} f JOIN {MENTORSHIPS.name} m ON m.id = f.mentorship_id"
        " WHERE f.programme_id = ? AND f.kind = ? AND f.on_date >= ? AND f.on_date < ? AND m.signed_on < ?"
        " AND f.month >= ? AND f.month <= ? AND f.month >= m.start_month"
        " AND (m.end_month IS NULL OR f.month <= m.end_month)) AS months",
        programme_id, HELD_FACT, low, high, high, first, last,
    )["n"]  # fmt: skip
    held = _one(
        view,
        f"SELECT COUNT(*) AS n FROM {FACTS.name} WHERE programme_id = ? AND kind = ? AND on_date >= ? AND on_date < ?",
        programme_id,
        HELD_FACT,
        low,
        high,
    )["n"]
    active_months = int(months or 0)
    return {
        "active_mentorship_months": active_months,
        "meetings_per_active_month": rate(int(held), active_months),
        "months_with_meeting_rate": rate(int(with_meeting), active_months),
    }


def _latest(kind: str, partition: str, where: str) -> str:
    """Each partition's latest fact of a kind (highest position)."""
    return (
        f"SELECT * FROM (SELECT role, status, value, ROW_NUMBER() OVER (PARTITION BY {partition}"
        f" ORDER BY position DESC) AS rn FROM {FACTS.name} WHERE programme_id = ? AND kind = '{kind}' {where})"
        " AS facts WHERE rn = 1"
    )


def _satisfaction_and_objectives(view: Any, programme_id: str, low: str, high: str) -> dict[str, Any]:
    scores: dict[str, list[int]] = {"mentor": [], "mentee": []}
    latest_scores = _latest(SATISFACTION, "mentorship_id, role", "AND on_date >= ? AND on_date < ?")
    for found in view.query(latest_scores, programme_id, low, high):
        scores.setdefault(found["role"], []).append(int(found["value"]))
    withdrawn = (
        f"AND mentorship_id NOT IN (SELECT id FROM {MENTORSHIPS.name} WHERE programme_id = ? AND withdrawn_on < ?)"
    )
    statuses = [
        row["status"]
        for row in view.query(
            _latest(OBJECTIVE, "ref", f"AND on_date < ? {withdrawn}"), programme_id, high, programme_id, high
        )
    ]
    kept = len(statuses) - statuses.count(ObjectiveStatus.ABANDONED.value)
    return {
        "objective_attainment_rate": rate(statuses.count(ObjectiveStatus.ATTAINED.value), kept),
        "mean_satisfaction_mentors": rate(sum(scores["mentor"]), len(scores["mentor"]), 2),
        "mean_satisfaction_mentees": rate(sum(scores["mentee"]), len(scores["mentee"]), 2),
    }


def _disputes(view: Any, programme_id: str, low: str, high: str) -> dict[str, Any]:
    row = _one(
        view,
        "SELECT SUM(CASE WHEN kind = ? THEN 1 ELSE 0 END) AS raised,"
        " SUM(CASE WHEN kind = ? THEN 1 ELSE 0 END) AS settled,"
        " COUNT(DISTINCT CASE WHEN kind = ? THEN ref END) AS consulted"
        f" FROM {FACTS.name} WHERE programme_id = ? AND kind IN (?, ?, ?) AND on_date >= ? AND on_date < ?",
        RAISED, SETTLED_FACT, CONSULTED, programme_id, RAISED, SETTLED_FACT, CONSULTED, low, high,
    )  # fmt: skip
    return {
        "disputes_raised": int(row["raised"] or 0),
        "disputes_settled": int(row["settled"] or 0),
        "disputes_to_coordinator": int(row["consulted"] or 0),
    }


def _median_length(view: Any, programme_id: str, high: str) -> float | int | None:
    lengths = [
        int(row["length_months"])
        for row in view.query(
            f"SELECT length_months FROM {MENTORSHIPS.name} WHERE programme_id = ? AND ended_on < ?", programme_id, high
        )
    ]
    if not lengths:
        return None
    median = statistics.median(lengths)
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
