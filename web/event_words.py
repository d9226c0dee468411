"""Each event type of a timeline (`projections/timeline.py`) in words: message ids to translate.

The timeline read model keeps the event's class name; every event of MISSION section 2 and the sign-in codes'
has its words here (tests/web/test_audit_pages.py checks none is missing).
"""

from __future__ import annotations

from web.words import N_

EVENT_TYPES = {
    # The programme's and its participants'
    "ProgrammeLaunched": N_("Programme launched"),
    "ParticipantRegistered": N_("Participant registered"),
    "InvitationIssued": N_("Invitation issued"),
    "InvitationRedeemed": N_("Invitation redeemed"),
    "SignInCodeIssued": N_("Sign-in code issued"),
    "SignInCodeRedeemed": N_("Sign-in code used"),
    "ParticipantDeactivated": N_("Participant deactivated"),
    "ParticipantErased": N_("Personal data erased"),
    "ConventionAssigned": N_("Convention assigned to the participant"),
    "ConventionReleased": N_("Convention released from the participant"),
    # A mentorship's (domain/mentorship.py)
    "ConventionDrafted": N_("Convention drafted"),
    "ConventionWithdrawn": N_("Convention withdrawn"),
    "ObjectiveAdded": N_("Objective added"),
    "PartySigned": N_("A party signed"),
    "ConventionSigned": N_("Convention signed by both parties"),
    "ObjectiveAssessed": N_("Objective assessed"),
    "MeetingScheduled": N_("Meeting scheduled"),
    "MeetingRescheduled": N_("Meeting rescheduled"),
    "AgendaSubmitted": N_("Agenda submitted"),
    "MeetingHeld": N_("Meeting held"),
    "MeetingCancelled": N_("Meeting cancelled"),
    "SatisfactionReported": N_("Satisfaction reported"),
    "DisputeRaised": N_("Dispute raised"),
    "DisputeSettled": N_("Dispute settled"),
    "CoordinatorConsulted": N_("Coordinator consulted"),
    "DisclosureRecorded": N_("Disclosure recorded"),
    "RelationshipEnded": N_("Relationship ended"),
}
# What a verification may name (infrastructure/audit/findings.py `Finding.kind`)
FINDINGS = {
    "altered": N_("an event was altered"),
    "removed": N_("an event was removed"),
    "reordered": N_("events were reordered"),
    "inserted": N_("an event was inserted"),
    "unchained": N_("an event has no chain link"),
}
