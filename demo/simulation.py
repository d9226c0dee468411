"""The demo's simulated programme: thirty-odd pairs living ten months and more on a hand-driven clock."""

from __future__ import annotations

import heapq
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from uuid import UUID
from zoneinfo import ZoneInfo

from application.authorization import Caller
from application.service import MentoratService
from bootstrap.mail import outbox_of
from domain.values import add_months
from infrastructure.encrypted_store import EncryptedMentorat
from infrastructure.mail.compose import code_of
from infrastructure.mail.delivery import Delivery, Envelope
from infrastructure.mail.transports import MemorySink

SEED = 2026
TIME_ZONE = "America/Toronto"
ZONE = ZoneInfo(TIME_ZONE)
LAUNCH = datetime(2024, 12, 2, 14, 0, tzinfo=UTC)
TODAY = datetime(2026, 1, 12, 16, 0, tzinfo=UTC)
MARK = "DEMO-CONFIDENTIAL"
URL = "http://127.0.0.1:8000"

Story = Iterator[datetime]


def local(day: date, hour: int, minute: int = 0) -> datetime:
    """A wall-clock time of the programme's zone, as UTC."""
    return datetime.combine(day, time(hour, minute), tzinfo=ZONE).astimezone(UTC)


class SimulatedClock:
    """The demo's clock: moved by the simulation only, never backwards."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Ending:
    """How a pair's story ends: completed after the planned end, early, or not yet (active at 'today')."""

    kind: str = "completed"  # completed | early | active
    on: date | None = None
    by: str = "mentee"
    reason: str = "completed"
    outcome: str = "ending_agreed"


@dataclass
class Pair:
    """One mentor and one mentee, their convention and what happens to them."""

    number: int
    draft_on: date
    starts_on: date
    months: int = 10
    ending: Ending = field(default_factory=Ending)
    meet_until: date | None = None
    tail: str = ""
    signatures: int = 2
    withdrawn_first: bool = False
    mentor: Caller | None = None
    mentee: Caller | None = None
    mentorship_id: UUID | None = None
    objectives: list[UUID] = field(default_factory=list)

    @property
    def planned_end_on(self) -> date:
        """Start plus months, clipped."""
        return add_months(self.starts_on, self.months)

    def parties(self) -> tuple[Caller, Caller, UUID]:
        """Mentor, mentee and mentorship, once drafted."""
        assert self.mentor and self.mentee and self.mentorship_id, "the pair is not drafted yet"
        return self.mentor, self.mentee, self.mentorship_id


class Simulation:
    """The simulation: stories of pairs and incidents, interleaved in time order on the simulated clock."""

    def __init__(self, service: MentoratService, clock: SimulatedClock, rng: random.Random) -> None:
        self.service, self.clock, self.rng = service, clock, rng
        self.queue: list[tuple[datetime, int, Story]] = []
        self.sequence = 0
        self.people = 0
        created = service.participants.create_programme(
            f"Programme {MARK}", f"Coordinator {MARK}", "coord@demo.invalid"
        )
        self.coordinator = service.participants.authenticate(created["coordinator_token"])
        self.programme_id = UUID(created["programme_id"])
        self.mailbox = MemorySink()  # the demo's people read their invitations here
        if not isinstance(service.store, EncryptedMentorat):
            raise TypeError("the demo runs over the store with keys")
        self.delivery = Delivery(
            outbox_of(service.store), service.store.keys, self.mailbox, Envelope("Mentorat <demo@demo.invalid>", URL)
        )

    # The engine ------------------------------------------------------------

    def spawn(self, when: datetime, story: Story) -> None:
        """Start a story at a time."""
        heapq.heappush(self.queue, (when, self.sequence, story))
        self.sequence += 1

    def run(self, until: datetime, progress: Callable[[int, int], None] | None = None) -> None:
        """Advance the clock from one story step to the next, up to `until` (`progress` hears the simulated days)."""
        start, days, reported = self.clock.now, (until - self.clock.now).days, -1
        while self.queue and self.queue[0][0] <= until:
            when, _, story = heapq.heappop(self.queue)
            self.clock.now = max(self.clock.now, when)
            if progress is not None and (day := (self.clock.now - start).days) > reported:
                progress(day, days)
                reported = day
            step = next(story, None)
            if step is not None:
                self.spawn(step, story)
        self.clock.now = until
        if progress is not None:
            progress(days, days)

    # People ----------------------------------------------------------------

    def enrol(self, role: str, into: list[Caller]) -> Story:
        """The coordinator (for an auditor, the operator) registers and invites someone, who redeems the code later."""
        self.people += 1
        number = self.people
        language = "fr" if self.rng.random() < 0.7 else "en"
        people, name, email = self.service.participants, f"Person {number} {MARK}", f"p{number}@demo.invalid"
        if role == "auditor":  # the operator's: registered and handed a code by the operator
            registered = people.register_as_operator(self.programme_id, role, name, email, language)
            code = people.invite_as_operator(registered.aggregate_id).data["code"]
        else:
            registered = people.register(self.coordinator, self.programme_id, role, name, email, language)
            people.invite(self.coordinator, registered.aggregate_id)
            self.delivery.deliver_due()  # the code reaches the person by e-mail, never the coordinator
            code = code_of(self.mailbox.latest_to(email))
        yield self.clock.now + timedelta(hours=self.rng.randint(1, 60))
        token = self.service.participants.redeem(code).data["token"]
        into.append(self.service.participants.authenticate(token))

    def enrol_pair(self, pair: Pair) -> Story:
        """Enrol a pair's mentor and mentee."""
        callers: list[Caller] = []
        yield from self.enrol("mentor", callers)
        yield from self.enrol("mentee", callers)
        pair.mentor, pair.mentee = callers

    def text(self, kind: str) -> str:
        """A confidential text: never printed, marked so a test can prove it."""
        return f"{MARK} {kind} #{self.rng.randint(1, 10**6)}"

    def party(self, pair: Pair) -> Caller:
        """Either party, at random."""
        mentor, mentee, _ = pair.parties()
        return mentor if self.rng.random() < 0.5 else mentee

    # A pair's life ---------------------------------------------------------

    def relationship(self, pair: Pair) -> Story:
        """Enrolment, draft, objectives, signatures, monthly meetings, then the ending."""
        m = self.service.mentorships
        yield from self.enrol_pair(pair)
        mentor, mentee = pair.mentor, pair.mentee
        assert mentor and mentee
        if pair.withdrawn_first:
            yield from self.withdrawn_draft(pair)
        yield local(pair.draft_on, 10)
        drafted = m.draft(self.coordinator, self.programme_id, mentor.id, mentee.id, pair.starts_on, pair.months)
        pair.mentorship_id = drafted.aggregate_id
        yield self.clock.now + timedelta(days=self.rng.randint(1, 3))
        for _ in range(self.rng.randint(2, 4)):
            author = mentee if self.rng.random() < 0.75 else mentor
            added = m.add_objective(author, pair.mentorship_id, self.text("objective"))
            pair.objectives.append(UUID(added.data["objective_id"]))
        for signer in (mentee, mentor)[: pair.signatures]:
            yield self.clock.now + timedelta(days=self.rng.randint(1, 3), hours=self.rng.randint(0, 8))
            m.sign(signer, pair.mentorship_id)
        if pair.signatures < 2:
            return
        first = local(pair.starts_on + timedelta(days=self.rng.randint(5, 12)), 18)
        until = pair.meet_until or pair.planned_end_on - timedelta(days=4)
        if pair.ending.on:
            until = pair.ending.on - timedelta(days=7)
        yield from self.meetings(pair, max(first, self.clock.now + timedelta(days=3)), until)
        yield from self.ending(pair)

    def withdrawn_draft(self, pair: Pair) -> Story:
        """A first draft with another mentor, withdrawn before anyone signs: the mentee is free again."""
        callers: list[Caller] = []
        yield from self.enrol("mentor", callers)
        yield local(pair.draft_on - timedelta(days=8), 11)
        mentee, m = pair.mentee, self.service.mentorships
        assert mentee
        draft = m.draft(self.coordinator, self.programme_id, callers[0].id, mentee.id, pair.starts_on, None)
        yield self.clock.now + timedelta(days=2)
        m.add_objective(mentee, draft.aggregate_id, self.text("objective"))
        yield self.clock.now + timedelta(days=4)
        m.withdraw(self.coordinator, draft.aggregate_id)

    def meetings(self, pair: Pair, first: datetime, until: date) -> Story:
        """Monthly meetings: agendas, reschedules, cancellations, late records, assessments, satisfaction."""
        m, rng = self.service.mentorships, self.rng
        _, mentee, mid = pair.parties()
        when = first
        meeting: UUID | None = UUID(m.schedule_meeting(self.party(pair), mid, when).data["meeting_id"])
        held = 0
        while True:
            if meeting is None:  # they met without recording it: recorded late, scheduled in the past then held
                yield when + timedelta(days=rng.randint(1, 6))
                meeting = UUID(m.schedule_meeting(self.party(pair), mid, when).data["meeting_id"])
            else:
                if rng.random() < 0.12:
                    yield when - timedelta(days=4)
                    when += timedelta(days=rng.randint(1, 6))
                    m.reschedule_meeting(self.party(pair), mid, meeting, when)
                if rng.random() < 0.8:
                    yield when - timedelta(days=rng.randint(1, 3), hours=rng.randint(0, 6))
                    if self.clock.now < when:
                        m.submit_agenda(mentee, mid, meeting, self.text("agenda"))
                if rng.random() < 0.1:
                    yield when - timedelta(hours=rng.randint(3, 48))
                    m.cancel_meeting(self.party(pair), mid, meeting, rng.random() < 0.6, self.note())
                    when += timedelta(days=rng.randint(10, 18))
                    if when.date() > until:
                        return
                    meeting = UUID(m.schedule_meeting(self.party(pair), mid, when).data["meeting_id"])
                    continue
                yield when + timedelta(hours=rng.randint(2, 30))
            held += 1
            following = when + timedelta(days=rng.randint(26, 35))
            planned = following.date() <= until and rng.random() > 0.12
            duration = max(15, min(180, round(rng.gauss(76, 15))))
            result = m.hold_meeting(
                self.party(pair), mid, meeting, None, duration, self.note(0.7), following if planned else None
            )
            meeting = UUID(result.data["next_meeting_id"]) if planned else None
            yield from self.after_meeting(pair, held)
            when = following
            if when.date() > until:
                return

    def note(self, probability: float = 0.4) -> str | None:
        """An optional confidential note."""
        return self.text("note") if self.rng.random() < probability else None

    def after_meeting(self, pair: Pair, held: int) -> Story:
        """Every third meeting both report satisfaction; at the fourth they take stock of the objectives."""
        m, rng = self.service.mentorships, self.rng
        mentor, mentee, mid = pair.parties()
        if held % 3 == 0:
            yield self.clock.now + timedelta(days=rng.randint(1, 5))
            for caller in (mentor, mentee):
                if rng.random() < 0.8:
                    m.report_satisfaction(caller, mid, rng.choice((3, 4, 4, 4, 5, 5)), self.note(0.5))
        if held == 4:
            for objective in pair.objectives:
                m.assess_objective(mentee, mid, objective, "in_progress")

    def ending(self, pair: Pair) -> Story:
        """Complete at or after the planned end, end early after consulting the coordinator, or stay active."""
        m, rng, end = self.service.mentorships, self.rng, pair.ending
        mentor, mentee, mid = pair.parties()
        if end.kind == "active":
            yield from self.tail(pair)
            return
        if end.kind == "early":
            assert end.on
            yield local(end.on - timedelta(days=5), 13)
            m.consult_coordinator(self.coordinator, mid, "early_end", None, end.outcome, self.note())
            yield local(end.on, 11)
            ender = {"mentor": mentor, "mentee": mentee, "coordinator": self.coordinator}[end.by]
            m.end(ender, mid, end.reason, self.note())
            final: tuple[str, ...] = ("abandoned", "in_progress", "attained")
        else:
            yield local(pair.planned_end_on + timedelta(days=rng.randint(0, 12)), 15)
            m.end(self.party(pair), mid, "completed", self.note())
            final = ("attained", "attained", "attained", "in_progress", "abandoned")
        yield self.clock.now + timedelta(days=rng.randint(1, 7))
        for objective in pair.objectives:
            m.assess_objective(self.party(pair), mid, objective, rng.choice(final))
        for caller in (mentor, mentee):
            m.report_satisfaction(caller, mid, rng.choice((2, 3, 4, 4, 5, 5)), self.note(0.5))

    def tail(self, pair: Pair) -> Story:
        """What an active pair is doing around 'today'."""
        m = self.service.mentorships
        mentor, mentee, mid = pair.parties()
        if pair.tail == "two_cancellations":
            for by, unavoidable, day in ((mentor, True, date(2025, 12, 10)), (mentee, False, date(2025, 12, 22))):
                meeting = UUID(m.schedule_meeting(by, mid, local(day, 18)).data["meeting_id"])
                yield local(day - timedelta(days=1), 9)
                m.cancel_meeting(by, mid, meeting, unavoidable, self.note())
            m.schedule_meeting(mentee, mid, local(date(2026, 1, 20), 18))
        elif pair.tail == "outcome_missing":
            yield local(date(2025, 12, 20), 12)
            m.schedule_meeting(mentor, mid, local(date(2026, 1, 7), 18))
        elif pair.tail == "past_end":
            m.schedule_meeting(mentee, mid, local(date(2026, 1, 21), 18))

    # Incidents ---------------------------------------------------------------

    def dispute(self, pair: Pair, raised_on: date, resolution: str) -> Story:
        """A dispute: settled amicably, or taken to the coordinator (reconciled or not)."""
        m, rng = self.service.mentorships, self.rng
        yield local(raised_on, 20)
        mentor, mentee, mid = pair.parties()
        raiser = mentee if rng.random() < 0.5 else mentor
        dispute_id = UUID(m.raise_dispute(raiser, mid, self.text("summary")).data["dispute_id"])
        yield self.clock.now + timedelta(days=rng.randint(5, 15))
        if resolution == "settled":
            m.settle_dispute(mentor if raiser is mentee else mentee, mid, dispute_id)
        else:
            m.consult_coordinator(self.coordinator, mid, "dispute", dispute_id, resolution, self.note())

    def disclosure(self, pair: Pair, on: date, role: str, basis: str, authority: str | None) -> Story:
        """An exception to confidentiality: the fact only."""
        yield local(on, 14)
        mentor, mentee, mid = pair.parties()
        self.service.mentorships.record_disclosure(mentor if role == "mentor" else mentee, mid, basis, authority)

    def satisfaction(self, pair: Pair, on: date, role: str, score: int) -> Story:
        """A satisfaction report outside the usual rhythm."""
        yield local(on, 21)
        mentor, mentee, mid = pair.parties()
        self.service.mentorships.report_satisfaction(mentor if role == "mentor" else mentee, mid, score, self.note())

    def deactivate(self, pair: Pair, on: date) -> Story:
        """The coordinator deactivates the mentor (who left the programme)."""
        yield local(on, 9)
        mentor, _, _ = pair.parties()
        self.service.participants.deactivate(self.coordinator, mentor.id)

    def erase(self, pair: Pair, on: date) -> Story:
        """The operator erases the mentee's data on request."""
        yield local(on, 9)
        _, mentee, _ = pair.parties()
        self.service.participants.erase(mentee.id)

    def auditor(self) -> Story:
        """An auditor joins the programme."""
        yield from self.enrol("auditor", [])


def cast(sim: Simulation) -> None:
    """The programme's pairs in three cohorts plus late drafts, and the incidents of their year."""
    a = [Pair(i, date(2025, 1, 8), date(2025, 1, 15)) for i in range(12)]
    b = [Pair(12 + i, date(2025, 3, 24), date(2025, 4, 1)) for i in range(10)]
    c = [Pair(22 + i, date(2025, 8, 25), date(2025, 9, 2)) for i in range(10)]
    late = [Pair(32 + i, date(2025, 12, 15), date(2026, 1, 5), signatures=n) for i, n in enumerate((0, 1, 2))]
    late.append(Pair(35, date(2026, 1, 6), date(2026, 1, 19), signatures=0))
    a[5].months = 9
    a[8].ending = Ending("early", date(2025, 6, 20), "mentee", "no_longer_needed", "ending_agreed")
    a[9].ending = Ending("early", date(2025, 5, 8), "coordinator", "relational_difficulties", "not_reconciled")
    a[10].ending, a[10].meet_until, a[10].tail = Ending("active"), date(2025, 12, 31), "past_end"
    b[1].ending, b[1].meet_until = Ending("active"), date(2025, 10, 31)
    b[3].ending = Ending("early", date(2025, 9, 15), "mentor", "other", "ending_agreed")
    c[0].withdrawn_first = True
    c[1].ending, c[1].meet_until, c[1].tail = Ending("active"), date(2025, 11, 25), "two_cancellations"
    c[4].ending, c[4].meet_until, c[4].tail = Ending("active"), date(2025, 12, 5), "outcome_missing"
    c[5].months = 12
    for pair in a + b + c + late:
        lead = timedelta(days=20 if pair.withdrawn_first else 10)
        sim.spawn(local(pair.draft_on - lead, 9), sim.relationship(pair))
    incidents = [
        sim.auditor(),
        sim.dispute(a[11], date(2025, 3, 20), "settled"),
        sim.dispute(a[9], date(2025, 4, 10), "not_reconciled"),
        sim.dispute(b[0], date(2025, 6, 10), "reconciled"),
        sim.dispute(c[6], date(2025, 10, 20), "settled"),
        sim.dispute(c[2], date(2025, 12, 1), "not_reconciled"),
        sim.disclosure(a[11], date(2025, 7, 14), "mentor", "danger_to_self_or_others", "youth_protection"),
        sim.disclosure(b[2], date(2025, 8, 5), "mentee", "required_by_law", "court"),
        sim.disclosure(b[2], date(2025, 10, 1), "mentor", "made_public_by_other_party", None),
        sim.satisfaction(b[4], date(2025, 6, 20), "mentor", 1),
        sim.satisfaction(b[4], date(2025, 9, 20), "mentor", 4),
        sim.satisfaction(c[3], date(2026, 1, 10), "mentee", 2),
        sim.deactivate(a[9], date(2025, 5, 20)),
        sim.erase(a[3], date(2025, 12, 10)),
    ]
    for story in incidents:
        sim.spawn(LAUNCH, story)
