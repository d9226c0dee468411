"""Plain words for the demo's figures: the report's metrics (rates with their definitions) and the worklist reasons.

The API keeps its stable names (`GET /v1/programmes/{pid}/report`, `/worklist`); these labels are the demo's.
A figure without a label here (one added later) is shown by its API name, underscores as spaces.
"""

from __future__ import annotations

METRICS = {
    "mentorships_awaiting_signatures": "Conventions awaiting signatures",
    "mentorships_active": "Mentorships active",
    "mentorships_completed": "Mentorships completed (ended on or after the planned end)",
    "mentorships_ended_early": "Mentorships ended early (before the planned end)",
    "mentorships_withdrawn": "Drafts withdrawn before taking effect",
    "early_end_rate": "Early end rate (ended early / ended)",
    "early_end_reasons": "Ended early, by reason given",
    "meetings_held": "Meetings held",
    "meetings_cancelled": "Meetings cancelled",
    "cancellation_rate": "Cancellation rate (cancelled / (held + cancelled))",
    "active_mentorship_months": "Active mentorship-months (calendar months)",
    "meetings_per_active_month": "Meetings per active mentorship-month",
    "months_with_meeting_rate": "Share of active months with a meeting held",
    "minutes_mean": "Mean meeting length (minutes)",
    "within_target_rate": "Meetings within the 60-90 min target (/ held)",
    "agenda_rate": "Meetings with an agenda in advance (/ held)",
    "objective_attainment_rate": "Objectives attained (/ not abandoned)",
    "mean_satisfaction_mentors": "Mentors' satisfaction (mean of latest, 1-5)",
    "mean_satisfaction_mentees": "Mentees' satisfaction (mean of latest, 1-5)",
    "disputes_raised": "Disputes raised",
    "disputes_settled": "Disputes settled by the pair",
    "disputes_to_coordinator": "Disputes taken to the coordinator",
    "median_length_months": "Median length of ended mentorships (months)",
    "at_risk": "Mentorships on the coordinator's worklist",
}

REASONS = {
    "no_meeting_45_days": "No meeting held for over 45 days",
    "no_next_meeting": "No next meeting scheduled",
    "two_cancellations_in_a_row": "Two cancellations in a row",
    "open_dispute": "A dispute is open",
    "low_satisfaction": "Latest satisfaction 2 or less",
    "ends_within_30_days": "Ends within 30 days",
    "awaiting_signatures_14_days": "Awaiting signatures for over 14 days",
    "meeting_outcome_missing": "A meeting 2+ days past has no outcome",
    "past_planned_end": "Still active after its planned end",
}

END_REASONS = {
    "completed": "completed",
    "no_longer_needed": "no longer needed",
    "relational_difficulties": "relational difficulties",
    "other": "other",
}


def plain(name: str) -> str:
    """An API name as words, when no label says better."""
    return name.replace("_", " ").capitalize()


def metric_label(name: str) -> str:
    """The label of a report figure; a map's entry (`early_end_reasons.other`) reads `…: other`."""
    figure, _, key = name.partition(".")
    label = METRICS.get(figure, plain(figure))
    return f"{label}: {END_REASONS.get(key, key.replace('_', ' '))}" if key else label


def reason_label(slug: str) -> str:
    """The label of a worklist reason."""
    return REASONS.get(slug, plain(slug))
