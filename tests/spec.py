"""The specification as tests read it, written out from MISSION rather than taken from the code under test."""

from __future__ import annotations

# MISSION section 2: every event of the auditable history
SECTION_2_EVENTS = {
    "ProgrammeLaunched",
    "ParticipantRegistered",
    "InvitationIssued",
    "InvitationRedeemed",
    "ParticipantDeactivated",
    "ParticipantErased",
    "ConventionAssigned",
    "ConventionReleased",
    "ConventionDrafted",
    "ConventionWithdrawn",
    "ObjectiveAdded",
    "PartySigned",
    "ConventionSigned",
    "ObjectiveAssessed",
    "MeetingScheduled",
    "MeetingRescheduled",
    "AgendaSubmitted",
    "MeetingHeld",
    "MeetingCancelled",
    "SatisfactionReported",
    "DisputeRaised",
    "DisputeSettled",
    "CoordinatorConsulted",
    "DisclosureRecorded",
    "RelationshipEnded",
}
