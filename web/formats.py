"""Dates, times and numbers in the locale's format (Babel), in the programme's time zone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time, get_datetime_format
from babel.numbers import format_decimal, format_percent

from web.catalogues import locale_of


@dataclass(frozen=True)
class Formats:
    """The formatting of one page: its language's locale and the programme's time zone."""

    language: str
    time_zone: str

    def date(self, value: str | date | None) -> str:
        """A calendar date (`2026-01-05` or a `date`), spelled out in the locale; empty when there is none."""
        if value is None:
            return ""
        day = date.fromisoformat(value) if isinstance(value, str) else value
        return format_date(day, "long", locale=locale_of(self.language))

    def moment(self, value: str | datetime | None) -> str:
        """An instant (ISO 8601 with an offset, or an aware `datetime`) as the programme's local date and time."""
        if value is None:
            return ""
        instant = datetime.fromisoformat(value) if isinstance(value, str) else value
        local, locale = instant.astimezone(ZoneInfo(self.time_zone)), locale_of(self.language)
        # The locale's own way of joining a date and a time ("{1}, {0}"), with the time to the minute
        pattern = get_datetime_format("medium", locale=locale)
        day, hour = format_date(local, "medium", locale=locale), format_time(local, "short", locale=locale)
        return str(pattern).replace("{1}", day).replace("{0}", hour)

    def number(self, value: float | int | None) -> str:
        """A number in the locale's format; empty when there is none."""
        return "" if value is None else format_decimal(value, locale=locale_of(self.language))

    def percent(self, value: float | None) -> str:
        """A fraction (0 to 1) as a percentage in the locale's format, every decimal kept; empty when there is none."""
        if value is None:
            return ""
        return format_percent(value, locale=locale_of(self.language), decimal_quantization=False)
