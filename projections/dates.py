"""Dates and times as the read models store them: ISO text that sorts in time order, and month numbers."""

from __future__ import annotations

from datetime import UTC, date, datetime

from domain.values import add_months, local_date


def utc_text(moment: datetime) -> str:
    """A time as fixed-width UTC ISO text, so text order is time order on both stores."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def from_utc_text(text: str) -> datetime:
    """The time a `utc_text` stands for."""
    return datetime.fromisoformat(text)


def local_day(moment: datetime, time_zone: str) -> str:
    """The programme-local date of a time, as ISO text."""
    return local_date(moment, time_zone).isoformat()


def month_number(day: date) -> int:
    """A calendar month as one integer (consecutive months differ by one)."""
    return day.year * 12 + day.month - 1


def whole_months(start: date, end: date) -> int:
    """Whole months from `start` to `end` (0 when `end` is not after `start`)."""
    months = max(0, (end.year - start.year) * 12 + end.month - start.month)
    while months > 0 and add_months(start, months) > end:
        months -= 1
    return months
