"""The coordinator worklist (MISSION section 4): reasons computed at query time over the summary's open rows.

The summary read model keeps a narrow copy of each mentorship awaiting signatures or active (dates, counts,
open-meeting times); each reason is one SQL condition against "today" in the programme's time zone and the
programme's own thresholds, read with the programme in one snapshot.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from domain.mentorship import ACTIVE, AWAITING
from domain.values import local_date
from projections import summary
from projections.dates import utc_text

REASONS = (
    "no_meeting_45_days",
    "no_next_meeting",
    "two_cancellations_in_a_row",
    "open_dispute",
    "low_satisfaction",
    "ends_within_30_days",
    "awaiting_signatures_14_days",
    "meeting_outcome_missing",
    "past_planned_end",
)


def _conditions(programme: Mapping[str, Any], now: datetime) -> list[tuple[str, str, tuple[Any, ...]]]:
    """Each reason as (slug, SQL condition, parameters) for this programme at `now`."""
    limits = programme["thresholds"]
    today = local_date(now, programme["time_zone"])

    def days_before(days: int) -> str:
        return (today - timedelta(days=days)).isoformat()

    active = f"status = '{ACTIVE}'"
    return [
        ("no_meeting_45_days", f"{active} AND COALESCE(last_meeting_on, starts_on) < ?",
         (days_before(limits["no_meeting_days"]),)),
        ("no_next_meeting", f"{active} AND (last_open_meeting_at IS NULL OR last_open_meeting_at <= ?)",
         (utc_text(now),)),
        ("two_cancellations_in_a_row", f"{active} AND ? > 0 AND cancellations_in_a_row >= ?",
         (limits["cancellations_in_a_row"], limits["cancellations_in_a_row"])),
        ("open_dispute", f"{active} AND disputes_open > 0", ()),
        ("low_satisfaction", f"{active} AND (satisfaction_mentor <= ? OR satisfaction_mentee <= ?)",
         (limits["low_satisfaction_max"], limits["low_satisfaction_max"])),
        ("ends_within_30_days", f"{active} AND planned_end_on >= ? AND planned_end_on <= ?",
         (today.isoformat(), (today + timedelta(days=limits["ends_within_days"])).isoformat())),
        ("awaiting_signatures_14_days", f"status = '{AWAITING}' AND drafted_on < ?",
         (days_before(limits["awaiting_signatures_days"]),)),
        ("meeting_outcome_missing", f"{active} AND first_open_meeting_at < ?",
         (utc_text(now - timedelta(days=limits["outcome_missing_days"])),)),
        ("past_planned_end", f"{active} AND planned_end_on < ?", (today.isoformat(),)),
    ]  # fmt: skip


def _scope(programme_id: str, conditions: list[tuple[str, str, tuple[Any, ...]]]) -> tuple[str, list[Any]]:
    """The WHERE clause selecting a programme's mentorships with at least one reason."""
    any_reason = " OR ".join(f"({condition})" for _, condition, _ in conditions)
    params: list[Any] = [programme_id]
    for _, _, values in conditions:
        params += values
    return (
        f"FROM {summary.OPEN.name} WHERE programme_id = ? AND ({any_reason})",
        params,
    )


def worklist(view: Any, programme_id: str, now: datetime) -> list[dict[str, Any]]:
    """The programme's mentorships that need the coordinator, each with its reasons, in drafting order."""
    with view.snapshot() as reads:
        programme = summary.programme(reads, programme_id)
        if programme is None:
            return []
        conditions = _conditions(programme, now)
        # One integer of flags per row (bit i: reason i), not a column per reason: a 10,000-pair programme's
        # worklist is thousands of rows, and decoding them was most of its time.
        cases = [f"CASE WHEN {condition} THEN {1 << i} ELSE 0 END" for i, (_, condition, _) in enumerate(conditions)]
        bits = " + ".join(cases)
        flag_params = [value for _, _, values in conditions for value in values]
        where, params = _scope(programme_id, conditions)
        rows = reads.query(f"SELECT id, {bits} AS reasons {where} ORDER BY drafted_position", *flag_params, *params)
    slugs = [slug for slug, _, _ in conditions]
    return [
        {"mentorship_id": row["id"], "reasons": [slug for i, slug in enumerate(slugs) if row["reasons"] >> i & 1]}
        for row in rows
    ]


def at_risk(view: Any, programme_id: str, now: datetime) -> int:
    """How many of the programme's mentorships are on the worklist."""
    with view.snapshot() as reads:
        programme = summary.programme(reads, programme_id)
        if programme is None:
            return 0
        where, params = _scope(programme_id, _conditions(programme, now))
        return int(reads.query(f"SELECT COUNT(*) AS n {where}", *params)[0]["n"])
