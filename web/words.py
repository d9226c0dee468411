"""The words for the API's slugs (statuses, worklist reasons, roles, access actions): message ids to translate.

`N_` marks a message for extraction without translating it: pages translate it when they render.
"""

from __future__ import annotations

from collections.abc import Callable


def N_(message: str) -> str:
    """Mark a message id for the catalogues; it is translated where it is shown."""
    return message


STATUSES = {
    "awaiting_signatures": N_("Awaiting signatures"),
    "active": N_("Active"),
    "ended": N_("Ended"),
    "withdrawn": N_("Withdrawn"),
}
REASONS = {
    "no_meeting_45_days": N_("No meeting held for too long"),
    "no_next_meeting": N_("No next meeting scheduled"),
    "two_cancellations_in_a_row": N_("Meetings cancelled in a row"),
    "open_dispute": N_("A dispute is open"),
    "low_satisfaction": N_("Low satisfaction reported"),
    "ends_within_30_days": N_("Ends soon"),
    "awaiting_signatures_14_days": N_("Awaiting signatures for too long"),
    "meeting_outcome_missing": N_("A past meeting's outcome is not recorded"),
    "past_planned_end": N_("Past its planned end"),
}
ROLES = {
    "mentor": N_("Mentor"),
    "mentee": N_("Mentee"),
    "coordinator": N_("Coordinator"),
    "auditor": N_("Auditor"),
    "operator": N_("Operator"),
}
ACCESS_ACTIONS = {
    "journal_read": N_("Journal read"),
    "personal_data_read": N_("Personal data read"),
    "invitation_issued": N_("Invitation issued"),
    "invitation_redeemed": N_("Invitation redeemed"),
    "participant_deactivated": N_("Participant deactivated"),
}


def in_words(table: dict[str, str], slug: str | None, gettext: Callable[[str], str]) -> str:
    """A slug in the page's language (an unknown slug is shown as it is: never an empty cell)."""
    if slug is None:
        return ""
    return gettext(table[slug]) if slug in table else slug
