"""R1-R9 fuzzed: random command sequences drive a Mentorship, an independent model predicts every answer."""

from __future__ import annotations

import copy
import os
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from typing import Any, TypeVar
from uuid import UUID
from zoneinfo import ZoneInfo

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from domain.errors import DomainError
from domain.events import MentoratEvent
from domain.mentorship import Mentorship
from domain.values import Actor
from tests.unit.builders import (
    AUDITOR,
    COORDINATOR,
    IMPOSTOR,
    MENTEE,
    MENTEE_ID,
    MENTOR,
    MENTOR_ID,
    OUTSIDER_MENTOR,
    PROGRAMME_ID,
    TZ,
)

# `make fuzz` sets MENTORAT_FUZZ_EXAMPLES: more, longer and random runs; `make test` runs a fixed, short sample.
FUZZ_EXAMPLES = os.environ.get("MENTORAT_FUZZ_EXAMPLES", "")
MACHINE_SETTINGS = settings(
    max_examples=int(FUZZ_EXAMPLES) if FUZZ_EXAMPLES else 300,
    stateful_step_count=100 if FUZZ_EXAMPLES else 50,
    derandomize=not FUZZ_EXAMPLES,
    database=None,
    deadline=None,
)

T = TypeVar("T")

# The model restates the contract (MISSION sections 1, 2 and 5) on its own: statuses, slugs and limits.
ZONE = ZoneInfo(TZ)
AWAITING, ACTIVE, ENDED, WITHDRAWN = "awaiting_signatures", "active", "ended", "withdrawn"
SCHEDULED, HELD, CANCELLED = "scheduled", "held", "cancelled"
OPEN, SETTLED, RECONCILED, CLOSED_BY_END = "open", "settled", "reconciled", "closed_by_end"
FORBIDDEN, NOT_FOUND, INVALID = "forbidden", "not-found", "validation-error"
MAX_TEXT, MAX_OBJECTIVES = 10_000, 20
OBJECTIVE_STATUSES = {"not_started", "in_progress", "attained", "abandoned"}
END_REASONS = {"completed", "no_longer_needed", "relational_difficulties", "other"}
BASES = {"required_by_law", "danger_to_self_or_others", "made_public_by_other_party"}
AUTHORITIES = {"police", "youth_protection", "health_services", "court", "other"}
DISPUTE_OUTCOMES = {"reconciled", "not_reconciled"}
EARLY_END_OUTCOMES = {"reconciled", "not_reconciled", "ending_agreed"}


# What the commands are given: mostly valid values, and each kind of invalid one.
def mostly(valid: Sequence[T], invalid: Sequence[T], weight: int = 6) -> st.SearchStrategy[T]:
    """Each valid value `weight` times as likely as each invalid one (shrinking leans to the first valid one)."""
    return st.sampled_from([*valid] * weight + [*invalid])


ACTORS = mostly([MENTOR, MENTEE], [COORDINATOR, AUDITOR, OUTSIDER_MENTOR, IMPOSTOR], weight=8)
MENTEES_MOSTLY = mostly([MENTEE], [MENTOR, COORDINATOR, IMPOSTOR], weight=6)
COORDINATORS_MOSTLY = mostly([COORDINATOR], [MENTOR, AUDITOR], weight=6)
LONGEST_TEXT, TOO_LONG_TEXT = "x" * MAX_TEXT, "x" * (MAX_TEXT + 1)
REQUIRED_TEXTS = mostly(["Build a network", LONGEST_TEXT], ["", "   ", TOO_LONG_TEXT])
OPTIONAL_TEXTS = mostly([None, "A note", ""], [TOO_LONG_TEXT], weight=4)
DELTAS = [timedelta(minutes=m) for m in (0, -1, 1, -120, 120, -1440, 1440, -10080, 10080, -57600, 57600)]
ZONES = mostly([UTC, ZONE, timezone(timedelta(hours=-8)), timezone(timedelta(hours=9))], [None])
# A time is named from now or from the start date's local midnight, shifted, in some zone (None: no offset).
TIMES = st.tuples(mostly(["now"], ["start"], weight=3), st.sampled_from(DELTAS), ZONES)
ID_PICKS = st.integers(0, 7)  # an index among the known ids; 7 (or none known): an id never used
REUSE = st.sampled_from([False, False, False, True])  # True: a "new" id that is already taken
STARTS = [date(2026, 1, 1), date(2026, 1, 31), date(2024, 2, 29), date(2025, 8, 31), date(2026, 3, 8)]
TimeSpec = tuple[str, timedelta, tzinfo | None]


def required_text_ok(text: str | None) -> bool:
    """A required text is present, not blank, and at most 10,000 characters."""
    return text is not None and bool(text.strip()) and len(text) <= MAX_TEXT


def optional_text_ok(text: str | None) -> bool:
    """An optional text is absent or at most 10,000 characters."""
    return text is None or len(text) <= MAX_TEXT


def whole_number_within(value: object, low: int, high: int) -> bool:
    """An integer (not a boolean) within [low, high]."""
    return type(value) is int and low <= value <= high


def local_midnight(day: date) -> datetime:
    """The start of a calendar day in the programme's zone, in UTC."""
    return datetime.combine(day, time(), ZONE).astimezone(UTC)


def months_later(day: date, months: int) -> date:
    """The same day `months` later, clipped to the last day of a shorter month."""
    year, month0 = divmod(day.year * 12 + day.month - 1 + months, 12)
    next_month_first = date(year + (month0 + 1) // 12, (month0 + 1) % 12 + 1, 1)
    return min(date(year, month0 + 1, 1) + timedelta(days=day.day - 1), next_month_first - timedelta(days=1))


def pick(known: Collection[UUID], index: int, unknown: UUID) -> UUID:
    """One of the known ids, or the unknown one."""
    ids = list(known)
    return unknown if index == 7 or not ids else ids[index % len(ids)]


@dataclass
class PlannedMeeting:
    """The model's meeting: its time, status and whether the mentee sent an agenda."""

    at: datetime
    status: str = SCHEDULED
    agenda: bool = False


@dataclass
class AgreementModel:
    """The mentorship as the agreement describes it; each `predict_*` answers the refusal slug, or None to accept."""

    starts_on: date
    planned_end_on: date
    now: datetime
    status: str = AWAITING
    signed: set[str] = field(default_factory=set)
    objectives: dict[UUID, str] = field(default_factory=dict)
    meetings: dict[UUID, PlannedMeeting] = field(default_factory=dict)
    disputes: dict[UUID, str] = field(default_factory=dict)
    consulted_about_ending: bool = False
    ended_on: date | None = None

    # Who may act, and in which state (statuses checked before the state of a meeting or dispute)

    @staticmethod
    def is_party(actor: Actor) -> bool:
        """The mentor or the mentee of this mentorship, in their own role."""
        return actor in (MENTOR, MENTEE)

    def unless_open(self) -> str | None:
        """R1: objectives, signatures and withdrawal need a convention neither withdrawn nor ended."""
        return {WITHDRAWN: "convention-withdrawn", ENDED: "relationship-ended"}.get(self.status)

    def unless_signed(self) -> str | None:
        """R8: what is still accepted after the end needs a signed convention."""
        return {WITHDRAWN: "convention-withdrawn", AWAITING: "convention-not-signed"}.get(self.status)

    def unless_active(self) -> str | None:
        """Everything else needs a signed convention that has not ended."""
        return self.unless_signed() or ("relationship-ended" if self.status == ENDED else None)

    def placeable(self, moment: datetime) -> bool:
        """A time with an offset, on or after the start date in the programme's zone."""
        return moment.utcoffset() is not None and moment.astimezone(ZONE).date() >= self.starts_on

    def today(self) -> date:
        """The clock's calendar date in the programme's zone."""
        return self.now.astimezone(ZONE).date()

    def open_meeting(self, meeting_id: UUID) -> str | None:
        """R5: only a meeting neither held nor cancelled can change."""
        return "meeting-already-closed" if self.meetings[meeting_id].status != SCHEDULED else None

    # Predictions, command by command

    def predict_objective(self, actor: Actor, objective_id: UUID, text: str) -> str | None:
        """R1: a party adds an objective, at most 20."""
        if not self.is_party(actor):
            return FORBIDDEN
        if objective_id in self.objectives or not required_text_ok(text) or len(self.objectives) >= MAX_OBJECTIVES:
            return INVALID
        return self.unless_open()

    def predict_signature(self, actor: Actor) -> str | None:
        """R1: each party signs once, after at least one objective."""
        if not self.is_party(actor):
            return FORBIDDEN
        if refusal := self.unless_open():
            return refusal
        if actor.role in self.signed:
            return "already-signed"
        return None if self.objectives else "objectives-required"

    def predict_withdrawal(self, actor: Actor) -> str | None:
        """R1: the coordinator withdraws a draft before it takes effect."""
        if actor.role != "coordinator":
            return FORBIDDEN
        return self.unless_open() or ("convention-active" if self.status == ACTIVE else None)

    def predict_assessment(self, actor: Actor, objective_id: UUID, status: str) -> str | None:
        """R6: a party assesses a known objective, also after the end."""
        if not self.is_party(actor):
            return FORBIDDEN
        if objective_id not in self.objectives:
            return NOT_FOUND
        return INVALID if status not in OBJECTIVE_STATUSES else self.unless_signed()

    def predict_scheduling(self, actor: Actor, meeting_id: UUID, when: datetime) -> str | None:
        """R2: a party plans a meeting, at any time from the start date."""
        if not self.is_party(actor):
            return FORBIDDEN
        if meeting_id in self.meetings or not self.placeable(when):
            return INVALID
        return self.unless_active()

    def predict_reschedule(self, actor: Actor, meeting_id: UUID, when: datetime) -> str | None:
        """R3: a party moves an open meeting, not before the start date."""
        if not self.is_party(actor):
            return FORBIDDEN
        if meeting_id not in self.meetings:
            return NOT_FOUND
        if not self.placeable(when):
            return INVALID
        return self.unless_active() or self.open_meeting(meeting_id)

    def predict_agenda(self, actor: Actor, meeting_id: UUID, agenda: str) -> str | None:
        """R4: the mentee sends an agenda for an open meeting before its time."""
        if not self.is_party(actor) or actor.role != "mentee":
            return FORBIDDEN
        if meeting_id not in self.meetings:
            return NOT_FOUND
        if not required_text_ok(agenda):
            return INVALID
        if refusal := self.unless_active() or self.open_meeting(meeting_id):
            return refusal
        return "agenda-too-late" if self.now >= self.meetings[meeting_id].at else None

    def predict_held(
        self,
        actor: Actor,
        meeting_id: UUID,
        held_at: datetime | None,
        minutes: int,
        notes: str | None,
        next_meeting: tuple[UUID, datetime] | None,
    ) -> str | None:
        """R2, R3: a party records an open meeting held, never in the future, and may plan the next."""
        if not self.is_party(actor):
            return FORBIDDEN
        if meeting_id not in self.meetings:
            return NOT_FOUND
        held = held_at or self.meetings[meeting_id].at
        if not self.placeable(held) or held > self.now or not whole_number_within(minutes, 1, 480):
            return INVALID
        if not optional_text_ok(notes):
            return INVALID
        if next_meeting and (next_meeting[0] in self.meetings or not self.placeable(next_meeting[1])):
            return INVALID
        return self.unless_active() or self.open_meeting(meeting_id)

    def predict_cancellation(self, actor: Actor, meeting_id: UUID, unavoidable: object, note: str | None) -> str | None:
        """R5: a party cancels an open meeting, saying whether it was unavoidable."""
        if not self.is_party(actor):
            return FORBIDDEN
        if meeting_id not in self.meetings:
            return NOT_FOUND
        if not isinstance(unavoidable, bool) or not optional_text_ok(note):
            return INVALID
        return self.unless_active() or self.open_meeting(meeting_id)

    def predict_satisfaction(self, actor: Actor, score: int, comment: str | None) -> str | None:
        """R6: a party reports a score of 1 to 5, also after the end."""
        if not self.is_party(actor):
            return FORBIDDEN
        if not whole_number_within(score, 1, 5) or not optional_text_ok(comment):
            return INVALID
        return self.unless_signed()

    def predict_dispute(self, actor: Actor, dispute_id: UUID, summary: str) -> str | None:
        """R7: a party raises a dispute."""
        if not self.is_party(actor):
            return FORBIDDEN
        if dispute_id in self.disputes or not required_text_ok(summary):
            return INVALID
        return self.unless_active()

    def predict_settlement(self, actor: Actor, dispute_id: UUID) -> str | None:
        """R7: one party's word settles an open dispute."""
        if not self.is_party(actor):
            return FORBIDDEN
        if dispute_id not in self.disputes:
            return NOT_FOUND
        return self.unless_active() or ("dispute-not-open" if self.disputes[dispute_id] != OPEN else None)

    def predict_consultation(
        self, actor: Actor, topic: str, dispute_id: UUID | None, outcome: str, note: str | None
    ) -> str | None:
        """R7, R8: the coordinator is consulted about an open dispute of this mentorship, or about ending."""
        if actor.role != "coordinator":
            return FORBIDDEN
        about_a_dispute = topic == "dispute" and dispute_id in self.disputes and outcome in DISPUTE_OUTCOMES
        about_ending = topic == "early_end" and dispute_id is None and outcome in EARLY_END_OUTCOMES
        if not (about_a_dispute or about_ending) or not optional_text_ok(note):
            return INVALID
        if refusal := self.unless_active():
            return refusal
        return "dispute-not-open" if dispute_id is not None and self.disputes[dispute_id] != OPEN else None

    def predict_end(self, actor: Actor, reason: str, note: str | None) -> str | None:
        """R8: a party or the coordinator ends it; before the planned end only after an early-end consultation."""
        if actor.role != "coordinator" and not self.is_party(actor):
            return FORBIDDEN
        if reason not in END_REASONS or not optional_text_ok(note):
            return INVALID
        if refusal := self.unless_active():
            return refusal
        early = self.today() < self.planned_end_on
        return "coordinator-consultation-required" if early and not self.consulted_about_ending else None

    def predict_disclosure(self, actor: Actor, basis: str, authority: str | None) -> str | None:
        """R9: a party records a disclosure; danger to someone is the mentor's basis only."""
        if not self.is_party(actor):
            return FORBIDDEN
        if basis not in BASES or (authority is not None and authority not in AUTHORITIES):
            return INVALID
        if basis == "danger_to_self_or_others" and actor.role != "mentor":
            return FORBIDDEN
        return self.unless_signed()


def refusal_slug(command: Callable[[], object]) -> str:
    """Run a command that must be refused by a domain error; answer that error's slug."""
    with pytest.raises(DomainError) as raised:
        command()
    return raised.value.slug


class MentorshipMachine(RuleBasedStateMachine):
    """Random commands on one mentorship; each answer and each state is compared with the model."""

    mentorship: Mentorship
    model: AgreementModel

    def __init__(self) -> None:
        super().__init__()
        self.history: list[Any] = []
        self.ids_used = 0

    def fresh_id(self) -> UUID:
        """An id never used before in this run."""
        self.ids_used += 1
        return UUID(int=self.ids_used)

    def latest_id(self) -> UUID:
        """The id `fresh_id` answered last."""
        return UUID(int=self.ids_used)

    def new_id(self, taken: Collection[UUID], reuse: bool) -> UUID:
        """A fresh id, or (reuse) one already taken."""
        return list(taken)[-1] if reuse and taken else self.fresh_id()

    def pick_meeting(self, index: int, ahead_first: bool = False) -> UUID:
        """A known meeting, open ones first (low indexes; with ahead_first, those not yet due), or an unknown one."""
        meetings, now = self.model.meetings, self.model.now

        def rank(meeting_id: UUID) -> tuple[bool, bool]:
            return meetings[meeting_id].status != SCHEDULED, ahead_first and meetings[meeting_id].at <= now

        return pick(sorted(meetings, key=rank), index, self.fresh_id())

    def pick_dispute(self, index: int) -> UUID:
        """A known dispute, open ones first (low indexes), or an unknown one."""
        disputes = self.model.disputes
        return pick(sorted(disputes, key=lambda dispute_id: disputes[dispute_id] != OPEN), index, self.fresh_id())

    def resolve(self, spec: TimeSpec) -> datetime:
        """The time a spec names, from now or from the start date's local midnight."""
        anchor, delta, zone = spec
        moment = (self.model.now if anchor == "now" else local_midnight(self.model.starts_on)) + delta
        return moment.replace(tzinfo=None) if zone is None else moment.astimezone(zone)

    def attempt(
        self, refusal: str | None, command: Callable[..., object], args: tuple[object, ...], actor: Actor, *names: str
    ) -> list[Any]:
        """Run `command(*args, actor, now)`: a predicted refusal is that one and changes nothing; else these events."""
        before = copy.deepcopy(self.mentorship)
        if refusal is not None:
            assert refusal_slug(lambda: command(*args, actor, self.model.now)) == refusal
            assert self.mentorship == before  # same version, same state, no pending event
            return []
        command(*args, actor, self.model.now)
        events = list(self.mentorship.collect_events())
        assert [type(event).__name__ for event in events] == list(names)
        for event in events:
            assert isinstance(event, MentoratEvent)
            assert (event.actor_id, event.actor_role, event.timestamp) == (actor.id, actor.role, self.model.now)
            assert event.occurred_at == self.model.now or type(event).__name__ == "MeetingHeld"
        self.history.extend(events)
        return events

    # Drafting, and a head start so that most runs spend their steps on a convention in effect

    @initialize(
        starts_on=st.sampled_from(STARTS),
        months=st.integers(1, 36),
        drafted_days_after_start=st.sampled_from([0, -20, 3, 45]),
        refused_draft=st.sampled_from(["by_mentor", "same_person", "no_months", "too_many_months"]),
        head_start=st.sampled_from(["signed", "signed_with_a_dispute", "objective", "draft"]),
    )
    def draft(
        self, starts_on: date, months: int, drafted_days_after_start: int, refused_draft: str, head_start: str
    ) -> None:
        """R1: a refused draft first (wrong role, one person twice, 0 or 37 months), then the coordinator's."""
        now = local_midnight(starts_on + timedelta(days=drafted_days_after_start)) + timedelta(hours=12)
        actor = MENTOR if refused_draft == "by_mentor" else COORDINATOR
        mentee_id = MENTOR_ID if refused_draft == "same_person" else MENTEE_ID
        bad_months = {"no_months": 0, "too_many_months": 37}.get(refused_draft, months)
        expected = FORBIDDEN if refused_draft == "by_mentor" else INVALID
        assert expected == refusal_slug(
            lambda: Mentorship.draft(
                self.fresh_id(), PROGRAMME_ID, MENTOR_ID, mentee_id, starts_on, bad_months, TZ, actor, now
            )
        )
        self.mentorship = Mentorship.draft(
            self.fresh_id(), PROGRAMME_ID, MENTOR_ID, MENTEE_ID, starts_on, months, TZ, COORDINATOR, now
        )
        self.history = list(self.mentorship.collect_events())
        assert [type(event).__name__ for event in self.history] == ["ConventionDrafted"]
        self.model = AgreementModel(starts_on, months_later(starts_on, months), now)
        if head_start != "draft":
            self.add_objectives(MENTEE, "Build a network", 1, False)
        if head_start.startswith("signed"):
            self.sign(MENTOR)
            self.sign(MENTEE)
            assert self.model.status == ACTIVE
            self.schedule_meeting(MENTOR, False, ("now", timedelta(hours=-2), UTC))
            self.schedule_meeting(MENTEE, False, ("now", timedelta(days=7), ZONE))
        if head_start == "signed_with_a_dispute":
            self.raise_dispute(MENTEE, False, "We disagree")

    # The clock only moves forward

    @rule(step=st.sampled_from([timedelta(minutes=1), timedelta(hours=1), timedelta(days=1), timedelta(days=30)]))
    def advance_clock(self, step: timedelta) -> None:
        """Time passes."""
        self.model.now += step

    @rule(shift=st.sampled_from([timedelta(minutes=m) for m in (-1, 0, 1, -240, -1440, 1440)]))
    def jump_to_planned_end(self, shift: timedelta) -> None:
        """Time passes to around the local midnight that begins the planned end date (R8's boundary)."""
        self.model.now = max(self.model.now, local_midnight(self.model.planned_end_on) + shift)

    @precondition(lambda self: bool(self.model.meetings))
    @rule(index=ID_PICKS, shift=mostly([timedelta(0)], [timedelta(minutes=-1), timedelta(minutes=1)], weight=2))
    def advance_to_a_meeting(self, index: int, shift: timedelta) -> None:
        """Time passes to around a meeting's time (the boundary of agendas and of meetings held)."""
        meeting_id = self.pick_meeting(index)
        if meeting_id in self.model.meetings:
            self.model.now = max(self.model.now, self.model.meetings[meeting_id].at + shift)

    # R1

    @rule(actor=ACTORS, text=REQUIRED_TEXTS, count=st.sampled_from([1, 1, 1, 5, 21]), reuse=REUSE)
    def add_objectives(self, actor: Actor, text: str, count: int, reuse: bool) -> None:
        """R1: one or more objectives (21 in a row cross the limit of 20)."""
        for attempt_number in range(count):
            objective_id = self.new_id(self.model.objectives, reuse and attempt_number == 0)
            refusal = self.model.predict_objective(actor, objective_id, text)
            if self.attempt(refusal, self.mentorship.add_objective, (objective_id, text), actor, "ObjectiveAdded"):
                self.model.objectives[objective_id] = "not_started"

    @rule(actor=ACTORS)
    def sign(self, actor: Actor) -> None:
        """R1: a signature; the second one makes the convention take effect."""
        refusal = self.model.predict_signature(actor)
        takes_effect = len(self.model.signed) == 1
        names = ["PartySigned", "ConventionSigned"] if takes_effect else ["PartySigned"]
        if self.attempt(refusal, self.mentorship.sign, (), actor, *names):
            self.model.signed.add(actor.role)
            self.model.status = ACTIVE if takes_effect else AWAITING

    @rule(actor=COORDINATORS_MOSTLY)
    def withdraw(self, actor: Actor) -> None:
        """R1: the coordinator withdraws the draft."""
        refusal = self.model.predict_withdrawal(actor)
        if self.attempt(refusal, self.mentorship.withdraw, (), actor, "ConventionWithdrawn"):
            self.model.status = WITHDRAWN

    # R6

    @precondition(lambda self: bool(self.model.objectives))
    @rule(actor=ACTORS, index=ID_PICKS, status=mostly(sorted(OBJECTIVE_STATUSES), ["done"]))
    def assess_objective(self, actor: Actor, index: int, status: str) -> None:
        """R6: the latest assessment is the objective's status."""
        objective_id = pick(self.model.objectives, index, self.fresh_id())
        refusal = self.model.predict_assessment(actor, objective_id, status)
        if self.attempt(refusal, self.mentorship.assess_objective, (objective_id, status), actor, "ObjectiveAssessed"):
            self.model.objectives[objective_id] = status

    @rule(actor=ACTORS, score=mostly([4, 1, 5], [0, 6, True]), comment=OPTIONAL_TEXTS)
    def report_satisfaction(self, actor: Actor, score: int, comment: str | None) -> None:
        """R6: a score of 1 to 5 (it changes no decision)."""
        refusal = self.model.predict_satisfaction(actor, score, comment)
        self.attempt(refusal, self.mentorship.report_satisfaction, (score, comment), actor, "SatisfactionReported")

    # R2-R5

    @rule(actor=ACTORS, reuse=REUSE, when=TIMES)
    def schedule_meeting(self, actor: Actor, reuse: bool, when: TimeSpec) -> None:
        """R2: a meeting is planned, possibly in the past (a late record) or before the start date (refused)."""
        meeting_id, scheduled_for = self.new_id(self.model.meetings, reuse), self.resolve(when)
        refusal = self.model.predict_scheduling(actor, meeting_id, scheduled_for)
        if self.attempt(
            refusal, self.mentorship.schedule_meeting, (meeting_id, scheduled_for), actor, "MeetingScheduled"
        ):
            self.model.meetings[meeting_id] = PlannedMeeting(scheduled_for)

    @precondition(lambda self: bool(self.model.meetings))
    @rule(actor=ACTORS, index=ID_PICKS, when=TIMES)
    def reschedule_meeting(self, actor: Actor, index: int, when: TimeSpec) -> None:
        """R3: a meeting moves (not a cancellation)."""
        meeting_id, scheduled_for = self.pick_meeting(index), self.resolve(when)
        refusal = self.model.predict_reschedule(actor, meeting_id, scheduled_for)
        if self.attempt(
            refusal, self.mentorship.reschedule_meeting, (meeting_id, scheduled_for), actor, "MeetingRescheduled"
        ):
            self.model.meetings[meeting_id].at = scheduled_for

    @precondition(lambda self: bool(self.model.meetings))
    @rule(
        actor=MENTEES_MOSTLY,
        index=ID_PICKS,
        agenda=REQUIRED_TEXTS,
        wait=st.sampled_from([None, None, timedelta(minutes=-1), timedelta(0)]),
    )
    def submit_agenda(self, actor: Actor, index: int, agenda: str, wait: timedelta | None) -> None:
        """R4: the mentee's agenda, before the meeting's time (sent now, or once the clock nears or reaches it)."""
        self.send_agenda(actor, self.pick_meeting(index, ahead_first=True), agenda, wait)

    @rule(
        lead=st.sampled_from([timedelta(hours=2), timedelta(days=7)]),
        wait=st.sampled_from([timedelta(minutes=-1), timedelta(0), timedelta(minutes=1)]),
    )
    def plan_a_meeting_and_send_its_agenda(self, lead: timedelta, wait: timedelta) -> None:
        """R2, R4: the mentor plans a meeting ahead; the mentee's agenda comes a minute before, at or after its time."""
        self.schedule_meeting(MENTOR, False, ("now", lead, UTC))
        if self.latest_id() in self.model.meetings:
            self.send_agenda(MENTEE, self.latest_id(), "Topics for the meeting", wait)

    def send_agenda(self, actor: Actor, meeting_id: UUID, agenda: str, wait: timedelta | None) -> None:
        """An agenda, sent now or once the clock reaches the meeting's time shifted by `wait`."""
        if wait is not None and meeting_id in self.model.meetings:
            self.model.now = max(self.model.now, self.model.meetings[meeting_id].at + wait)
        refusal = self.model.predict_agenda(actor, meeting_id, agenda)
        if self.attempt(refusal, self.mentorship.submit_agenda, (meeting_id, agenda), actor, "AgendaSubmitted"):
            self.model.meetings[meeting_id].agenda = True

    @precondition(lambda self: bool(self.model.meetings))
    @rule(
        actor=ACTORS,
        index=ID_PICKS,
        held_at=st.one_of(st.none(), st.none(), TIMES),  # mostly at the scheduled time
        minutes=mostly([60, 90, 1, 480], [0, 481, True], weight=6),
        notes=OPTIONAL_TEXTS,
        next_meeting=st.one_of(st.none(), st.none(), st.tuples(REUSE, TIMES)),
    )
    def hold_meeting(
        self,
        actor: Actor,
        index: int,
        held_at: TimeSpec | None,
        minutes: int,
        notes: str | None,
        next_meeting: tuple[bool, TimeSpec] | None,
    ) -> None:
        """R2, R3: a meeting held (at its time by default, never in the future), maybe with the next one planned."""
        meeting_id = self.pick_meeting(index)
        held = None if held_at is None else self.resolve(held_at)
        following = (
            None
            if next_meeting is None
            else (self.new_id(self.model.meetings, next_meeting[0]), self.resolve(next_meeting[1]))
        )
        refusal = self.model.predict_held(actor, meeting_id, held, minutes, notes, following)
        arguments = (meeting_id, held, minutes, notes, following)
        names = ["MeetingHeld", "MeetingScheduled"] if following else ["MeetingHeld"]
        if events := self.attempt(refusal, self.mentorship.hold_meeting, arguments, actor, *names):
            expected_held_at = held or self.model.meetings[meeting_id].at
            assert (events[0].held_at, events[0].occurred_at) == (expected_held_at, expected_held_at)
            assert events[0].duration_minutes == minutes
            self.model.meetings[meeting_id].status = HELD
            if following:
                self.model.meetings[following[0]] = PlannedMeeting(following[1])

    @precondition(lambda self: bool(self.model.meetings))
    @rule(actor=ACTORS, index=ID_PICKS, unavoidable=mostly([True, False], ["yes"]), note=OPTIONAL_TEXTS)
    def cancel_meeting(self, actor: Actor, index: int, unavoidable: Any, note: str | None) -> None:
        """R5: a cancellation says whether it was unavoidable."""
        meeting_id = self.pick_meeting(index)
        refusal = self.model.predict_cancellation(actor, meeting_id, unavoidable, note)
        if self.attempt(
            refusal, self.mentorship.cancel_meeting, (meeting_id, unavoidable, note), actor, "MeetingCancelled"
        ):
            self.model.meetings[meeting_id].status = CANCELLED

    # R7

    @rule(actor=ACTORS, reuse=REUSE, summary=REQUIRED_TEXTS)
    def raise_dispute(self, actor: Actor, reuse: bool, summary: str) -> None:
        """R7: a party raises a dispute."""
        dispute_id = self.new_id(self.model.disputes, reuse)
        refusal = self.model.predict_dispute(actor, dispute_id, summary)
        if self.attempt(refusal, self.mentorship.raise_dispute, (dispute_id, summary), actor, "DisputeRaised"):
            self.model.disputes[dispute_id] = OPEN

    @precondition(lambda self: bool(self.model.disputes))
    @rule(actor=ACTORS, index=ID_PICKS)
    def settle_dispute(self, actor: Actor, index: int) -> None:
        """R7: one party's word settles an open dispute."""
        dispute_id = self.pick_dispute(index)
        refusal = self.model.predict_settlement(actor, dispute_id)
        if self.attempt(refusal, self.mentorship.settle_dispute, (dispute_id,), actor, "DisputeSettled"):
            self.model.disputes[dispute_id] = SETTLED

    @precondition(lambda self: bool(self.model.disputes))
    @rule(
        actor=COORDINATORS_MOSTLY,
        index=ID_PICKS,
        outcome=mostly(sorted(DISPUTE_OUTCOMES), ["ending_agreed", "maybe"]),
        note=OPTIONAL_TEXTS,
    )
    def consult_about_a_dispute(self, actor: Actor, index: int, outcome: str, note: str | None) -> None:
        """R7: the pair meet the coordinator about a dispute; reconciled closes it."""
        self.consult(actor, "dispute", self.pick_dispute(index), outcome, note)

    @rule(
        actor=COORDINATORS_MOSTLY,
        topic=mostly(["early_end"], ["dispute", "weather"]),
        names_a_dispute=mostly([False], [True]),
        index=ID_PICKS,
        outcome=mostly(sorted(EARLY_END_OUTCOMES), ["maybe"]),
        note=OPTIONAL_TEXTS,
    )
    def consult_about_ending(
        self, actor: Actor, topic: str, names_a_dispute: bool, index: int, outcome: str, note: str | None
    ) -> None:
        """R8: the pair meet the coordinator about ending, which allows an early end whatever the outcome."""
        self.consult(actor, topic, self.pick_dispute(index) if names_a_dispute else None, outcome, note)

    def consult(self, actor: Actor, topic: str, dispute_id: UUID | None, outcome: str, note: str | None) -> None:
        """A consultation, checked against the model."""
        refusal = self.model.predict_consultation(actor, topic, dispute_id, outcome, note)
        arguments = (topic, dispute_id, outcome, note)
        if self.attempt(refusal, self.mentorship.consult_coordinator, arguments, actor, "CoordinatorConsulted"):
            if topic == "early_end":
                self.model.consulted_about_ending = True
            elif dispute_id is not None and outcome == "reconciled":
                self.model.disputes[dispute_id] = RECONCILED

    # R8, R9

    @rule(actor=ACTORS, reason=mostly(sorted(END_REASONS), ["bored"]), note=OPTIONAL_TEXTS)
    def end(self, actor: Actor, reason: str, note: str | None) -> None:
        """R8: the end, early only after an early-end consultation; it closes the disputes still open."""
        refusal = self.model.predict_end(actor, reason, note)
        if events := self.attempt(refusal, self.mentorship.end, (reason, note), actor, "RelationshipEnded"):
            today = self.model.today()
            assert (events[0].ended_on, events[0].early, events[0].reason) == (
                today,
                today < self.model.planned_end_on,
                reason,
            )
            self.model.status, self.model.ended_on = ENDED, today
            for dispute_id, status in self.model.disputes.items():
                self.model.disputes[dispute_id] = CLOSED_BY_END if status == OPEN else status

    @rule(
        actor=ACTORS,
        basis=mostly(sorted(BASES), ["gossip"]),
        authority=mostly([None, *sorted(AUTHORITIES)], ["neighbour"]),
    )
    def record_disclosure(self, actor: Actor, basis: str, authority: str | None) -> None:
        """R9: the fact of a disclosure, with its basis."""
        refusal = self.model.predict_disclosure(actor, basis, authority)
        self.attempt(refusal, self.mentorship.record_disclosure, (basis, authority), actor, "DisclosureRecorded")

    # After every step

    @invariant()
    def the_aggregate_matches_the_model(self) -> None:
        """Status, signatures, objectives, meetings, disputes, end and version are the model's."""
        mentorship, model = self.mentorship, self.model
        assert mentorship.status == model.status
        assert sorted(mentorship.signed_roles) == sorted(model.signed)
        assert mentorship.objectives == model.objectives
        assert {k: (m.scheduled_for, m.status, m.has_agenda) for k, m in mentorship.meetings.items()} == {
            k: (m.at, m.status, m.agenda) for k, m in model.meetings.items()
        }
        assert mentorship.disputes == model.disputes
        assert (mentorship.early_end_consulted, mentorship.ended_on) == (model.consulted_about_ending, model.ended_on)
        assert (mentorship.starts_on, mentorship.planned_end_on) == (model.starts_on, model.planned_end_on)
        assert mentorship.version == len(self.history)
        assert mentorship.pending_events == []

    @invariant()
    def the_history_replays_to_the_same_aggregate(self) -> None:
        """Folding the events collected so far rebuilds an equal aggregate."""
        rebuilt: Mentorship | None = None
        for event in self.history:
            rebuilt = event.mutate(rebuilt)
        assert rebuilt == self.mentorship


def test_r1_to_r9_random_command_sequences_agree_with_an_independent_model() -> None:
    run_state_machine_as_test(MentorshipMachine, settings=MACHINE_SETTINGS)
