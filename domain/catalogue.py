"""Every event of MISSION section 2, by aggregate: one list for the demo, the read side and the tests."""

from __future__ import annotations

from domain.events import MentoratEvent
from domain.mentorship import Mentorship
from domain.participant import Participant
from domain.programme import Programme

M, P = Mentorship, Participant
SECTION_2_EVENTS: tuple[type[MentoratEvent], ...] = (
    Programme.ProgrammeLaunched,
    P.ParticipantRegistered,
    P.InvitationIssued,
    P.InvitationRedeemed,
    P.ParticipantDeactivated,
    P.ParticipantErased,
    P.ConventionAssigned,
    P.ConventionReleased,
    M.ConventionDrafted,
    M.ConventionWithdrawn,
    M.ObjectiveAdded,
    M.PartySigned,
    M.ConventionSigned,
    M.ObjectiveAssessed,
    M.MeetingScheduled,
    M.MeetingRescheduled,
    M.AgendaSubmitted,
    M.MeetingHeld,
    M.MeetingCancelled,
    M.SatisfactionReported,
    M.DisputeRaised,
    M.DisputeSettled,
    M.CoordinatorConsulted,
    M.DisclosureRecorded,
    M.RelationshipEnded,
)
# Events added since section 2 (MISSION 5b): a participant's sign-in codes, in their history like invitations.
SIGN_IN_EVENTS: tuple[type[MentoratEvent], ...] = (P.SignInCodeIssued, P.SignInCodeRedeemed)
EVENT_NAMES: tuple[str, ...] = tuple(cls.__name__ for cls in SECTION_2_EVENTS)
MENTORSHIP_EVENTS: tuple[type[MentoratEvent], ...] = tuple(
    cls for cls in SECTION_2_EVENTS if cls.__qualname__.startswith("Mentorship.")
)
