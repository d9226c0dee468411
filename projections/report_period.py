"""The programme report's period as a query gives it: `from` and `to`, each a date or a time with an offset.

Read the same way by `GET /v1/programmes/{pid}/report` and the coordinator's dashboard: a bound is parsed before
anything is read (`given`), then counted as its date in the programme's time zone (`period`). A refused bound
raises `InvalidValue` naming the field; `QUERY_CODES` gives the API's code for each reason. `figures` and
`csv_text` are the report's answer, in JSON and in CSV, for both.
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from typing import Any

from domain.errors import InvalidValue, Reason
from domain.values import local_date
from projections import programme_report, worklist

# The API's code of a refused bound, by reason (any other reason: "invalid")
QUERY_CODES = {Reason.TIMEZONE_REQUIRED: "timezone_required", Reason.NOT_AFTER_FROM: "before_from"}


def query_code(reason: Reason) -> str:
    """The API's code of a refused bound."""
    return QUERY_CODES.get(reason, "invalid")


def given(value: str | None, field: str) -> date | None:
    """A bound as given: a date (`2026-01-01`), or a time with an offset (a `datetime`); None when absent."""
    if value is None:
        return None
    try:
        if len(value) == 10:
            return date.fromisoformat(value)
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidValue(field, reason=Reason.MALFORMED) from None
    if moment.tzinfo is None:
        raise InvalidValue(field, reason=Reason.TIMEZONE_REQUIRED)
    return moment


def day(bound: date | None, zone: str, field: str) -> date | None:
    """A bound's date: a time counts as its date in the programme's time zone."""
    if isinstance(bound, datetime):
        return local_date(bound, zone, field)
    return bound


def period(start: date | None, end: date | None, zone: str) -> tuple[date | None, date | None]:
    """The report's days [from, to) in the programme's time zone; `to` must come after `from`."""
    low, high = day(start, zone, "from"), day(end, zone, "to")
    if low is not None and high is not None and high <= low:
        raise InvalidValue("to", reason=Reason.NOT_AFTER_FROM)
    return low, high


def figures(
    report: Any, summary: Any, programme_id: str, now: datetime, bounds: tuple[date | None, date | None]
) -> dict[str, Any]:
    """The report's figures over [from, to) (the report read model), with `at_risk` (the worklist's, now)."""
    low, high = bounds
    found = programme_report.report(report, programme_id, now, low, high)
    found["at_risk"] = worklist.at_risk(summary, programme_id, now)
    return found


def csv_text(found: dict[str, Any]) -> str:
    """The figures as CSV: a `metric,value` header, then one row per figure (`programme_report.csv_rows`)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(("metric", "value"))
    writer.writerows(programme_report.csv_rows(found))
    return out.getvalue()
