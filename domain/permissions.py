"""Who may do what: the one table of the roles that may run each command and read each view.

The HTTP layer (403 before a body is read), the application (before a command decides), the domain (its
commands' guards) and the OpenAPI document (each operation's roles) all read this table; none keeps a list
of its own. A party's role is the one they hold in the mentorship; the coordinator and the auditor act in
their own programme only (outside it everything is not found).
"""

from __future__ import annotations

from enum import StrEnum

from domain.values import PARTIES, Role

MENTOR, MENTEE, COORDINATOR, AUDITOR = Role.MENTOR.value, Role.MENTEE.value, Role.COORDINATOR.value, Role.AUDITOR.value
OVERSEERS = frozenset({COORDINATOR, AUDITOR})
EVERYONE = PARTIES | OVERSEERS


class Action(StrEnum):
    """Every command and query a participant may attempt."""

    REGISTER_PARTICIPANT = "register_participant"
    INVITE_PARTICIPANT = "invite_participant"
    DEACTIVATE_PARTICIPANT = "deactivate_participant"
    DRAFT_CONVENTION = "draft_convention"
    WITHDRAW_CONVENTION = "withdraw_convention"
    ADD_OBJECTIVE = "add_objective"
    SIGN_CONVENTION = "sign_convention"
    ASSESS_OBJECTIVE = "assess_objective"
    SCHEDULE_MEETING = "schedule_meeting"
    RESCHEDULE_MEETING = "reschedule_meeting"
    SUBMIT_AGENDA = "submit_agenda"
    RECORD_MEETING_HELD = "record_meeting_held"
    CANCEL_MEETING = "cancel_meeting"
    REPORT_SATISFACTION = "report_satisfaction"
    RAISE_DISPUTE = "raise_dispute"
    SETTLE_DISPUTE = "settle_dispute"
    CONSULT_COORDINATOR = "consult_coordinator"
    END_RELATIONSHIP = "end_relationship"
    RECORD_DISCLOSURE = "record_disclosure"
    READ_SUMMARY = "read_summary"
    READ_MENTORSHIP_HISTORY = "read_mentorship_history"
    READ_JOURNAL = "read_journal"
    LIST_MY_MENTORSHIPS = "list_my_mentorships"
    LIST_PROGRAMME_MENTORSHIPS = "list_programme_mentorships"
    LIST_PARTICIPANTS = "list_participants"
    READ_PARTICIPANT_HISTORY = "read_participant_history"  # a participant also reads their own
    READ_ACCESS_LOG = "read_access_log"
    READ_HISTORY_STATE = "read_history_state"  # when the history was last verified and checkpointed, and the result
    READ_WORKLIST = "read_worklist"
    READ_REPORT = "read_report"
    READ_PROGRAMME = "read_programme"
    CHANGE_PROGRAMME_SETTINGS = "change_programme_settings"


A = Action
ALLOWED: dict[Action, frozenset[str]] = {
    A.REGISTER_PARTICIPANT: frozenset({COORDINATOR}),
    A.INVITE_PARTICIPANT: frozenset({COORDINATOR}),
    A.DEACTIVATE_PARTICIPANT: frozenset({COORDINATOR}),
    A.DRAFT_CONVENTION: frozenset({COORDINATOR}),
    A.WITHDRAW_CONVENTION: frozenset({COORDINATOR}),
    A.ADD_OBJECTIVE: PARTIES,  # the pair set their objectives
    A.SIGN_CONVENTION: PARTIES,
    A.ASSESS_OBJECTIVE: PARTIES,
    A.SCHEDULE_MEETING: PARTIES,
    A.RESCHEDULE_MEETING: PARTIES,
    A.SUBMIT_AGENDA: frozenset({MENTEE}),  # R4: the mentee sends the meeting's objectives in advance
    A.RECORD_MEETING_HELD: PARTIES,
    A.CANCEL_MEETING: PARTIES,
    A.REPORT_SATISFACTION: PARTIES,
    A.RAISE_DISPUTE: PARTIES,
    A.SETTLE_DISPUTE: PARTIES,  # R7: one party's word settles it amicably
    A.CONSULT_COORDINATOR: frozenset({COORDINATOR}),
    A.END_RELATIONSHIP: PARTIES | {COORDINATOR},
    A.RECORD_DISCLOSURE: PARTIES,  # the danger basis is the mentor's alone (R9, a rule of the domain)
    A.READ_SUMMARY: EVERYONE,
    A.READ_MENTORSHIP_HISTORY: EVERYONE,
    A.READ_JOURNAL: PARTIES,  # what was said stays between the two parties
    A.LIST_MY_MENTORSHIPS: PARTIES,
    A.LIST_PROGRAMME_MENTORSHIPS: OVERSEERS,
    A.LIST_PARTICIPANTS: frozenset({COORDINATOR}),
    A.READ_PARTICIPANT_HISTORY: OVERSEERS,
    A.READ_ACCESS_LOG: frozenset({AUDITOR}),
    A.READ_HISTORY_STATE: frozenset({AUDITOR}),  # tamper evidence is the operator's auditor's to watch
    A.READ_WORKLIST: frozenset({COORDINATOR}),
    A.READ_REPORT: OVERSEERS,
    A.READ_PROGRAMME: OVERSEERS,  # the settings the reports are computed with
    A.CHANGE_PROGRAMME_SETTINGS: frozenset({COORDINATOR}),
}


# The auditor belongs to the operator: whoever is audited never registers, invites or deactivates them.
OPERATOR_ONLY_SUBJECTS: dict[Action, frozenset[str]] = {
    A.REGISTER_PARTICIPANT: frozenset({AUDITOR}),
    A.INVITE_PARTICIPANT: frozenset({AUDITOR}),
    A.DEACTIVATE_PARTICIPANT: frozenset({AUDITOR}),
}


def may(role: str, action: Action) -> bool:
    """Whether this role may attempt this action (where it can see the subject)."""
    return role in ALLOWED[action]


def may_act_on(action: Action, subject_role: str) -> bool:
    """Whether a participant may run this action on a person of this role (the operator always may)."""
    return subject_role not in OPERATOR_ONLY_SUBJECTS.get(action, frozenset())
