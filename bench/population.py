"""A realistic population: mentorship histories lived through the domain aggregates on a simulated clock.

Pairs are enrolled, drafted, signed (or withdrawn, or left waiting), meet monthly (agendas, reschedules,
cancellations, late records), report satisfaction, raise and settle disputes, consult the coordinator,
disclose, and end on time or early. No application service and no HTTP: see `bench.simulation`.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from uuid import UUID

from bench.simulation import TIME_ZONE, ZONE, Cohort, Simulation, Sink, Story, party
from domain.mentorship import ACTIVE, Mentorship
from domain.participant import Participant
from domain.values import Role

EVENTS_PER_PAIR = 42  # events stored by `end` per pair drafted at random over the two years (theirs and their people's)


def pair(sim: Simulation, cohort: Cohort, drafted_at: datetime) -> Story:
    """Enrolment, draft, objectives, signatures, monthly meetings, then the ending."""
    rng, coordinator = sim.rng, cohort.actor
    mentee = yield from sim.enrol(cohort, Role.MENTEE)
    mentor = yield from sim.mentor_for(cohort)
    yield max(drafted_at, sim.now + timedelta(hours=2))
    starts_on = (sim.now + timedelta(days=rng.randint(5, 14))).astimezone(ZONE).date()
    months = rng.choice((6, 10, 10, 10, 12))
    m = Mentorship.draft(
        sim.new_id(), cohort.id, mentor.id, mentee.id, starts_on, months, TIME_ZONE, coordinator, sim.now
    )
    mentee.assign_convention(m.id, coordinator, sim.now)
    sim.touch(m, mentee)
    sim.mentorships[m.id] = (m, mentee, cohort)
    yield sim.now + timedelta(days=rng.randint(1, 3))
    objectives = [sim.new_id() for _ in range(rng.randint(1, 4))]
    for objective in objectives:
        m.add_objective(objective, "objective", party(mentee if rng.random() < 0.75 else mentor), sim.now)
    sim.touch(m)
    fate = rng.random()
    if fate < 0.04:  # withdrawn before anyone signs
        yield sim.now + timedelta(days=rng.randint(3, 10))
        m.withdraw(coordinator, sim.now)
        mentee.release_convention(m.id, coordinator, sim.now)
        sim.touch(m, mentee)
        return
    for signer in (mentee, mentor)[: 1 if fate < 0.07 else 2]:
        yield sim.now + timedelta(days=rng.randint(1, 3), hours=rng.randint(0, 8))
        m.sign(party(signer), sim.now)
        sim.touch(m)
    if m.status != ACTIVE:
        return  # left awaiting the second signature
    early = sim.at(starts_on + timedelta(days=rng.randint(60, 150)), 11) if rng.random() < 0.08 else None
    until = (early.date() - timedelta(days=7)) if early else m.planned_end_on - timedelta(days=4)
    first = max(sim.at(starts_on + timedelta(days=rng.randint(5, 12)), 18), sim.now + timedelta(days=2))
    yield from meetings(sim, m, mentor, mentee, first, until)
    yield from ending(sim, m, mentor, mentee, cohort, objectives, early)


def meetings(
    sim: Simulation, m: Mentorship, mentor: Participant, mentee: Participant, when: datetime, until: date
) -> Story:
    """Monthly meetings: agendas, reschedules, cancellations, satisfaction, disputes, assessments."""
    rng = sim.rng
    parties = (party(mentor), party(mentee))
    first = sim.new_id()
    m.schedule_meeting(first, when, rng.choice(parties), sim.now)
    sim.touch(m)
    meeting: UUID | None = first
    held = 0
    while True:
        if meeting is None:  # met without recording it: recorded late, scheduled in the past then held
            yield when + timedelta(days=rng.randint(1, 6))
            meeting = sim.new_id()
            m.schedule_meeting(meeting, when, rng.choice(parties), sim.now)
        else:
            if rng.random() < 0.1:
                yield when - timedelta(days=4)
                when += timedelta(days=rng.randint(1, 6))
                m.reschedule_meeting(meeting, when, rng.choice(parties), sim.now)
                sim.touch(m)
            if rng.random() < 0.8:
                yield when - timedelta(days=rng.randint(1, 3), hours=rng.randint(0, 6))
                if sim.now < when:
                    m.submit_agenda(meeting, "agenda", party(mentee), sim.now)
                    sim.touch(m)
            if rng.random() < 0.08:
                yield when - timedelta(hours=rng.randint(3, 48))
                m.cancel_meeting(meeting, rng.random() < 0.6, None, rng.choice(parties), sim.now)
                sim.touch(m)
                when += timedelta(days=rng.randint(10, 18))
                if when.date() > until:
                    return
                meeting = sim.new_id()
                m.schedule_meeting(meeting, when, rng.choice(parties), sim.now)
                continue
            yield when + timedelta(hours=rng.randint(2, 30))
        held += 1
        following = when + timedelta(days=rng.randint(26, 35))
        planned = following.date() <= until and rng.random() > 0.12
        upcoming = (sim.new_id(), following) if planned else None
        duration = max(15, min(180, round(rng.gauss(76, 15))))
        m.hold_meeting(meeting, None, duration, None, upcoming, rng.choice(parties), sim.now)
        sim.touch(m)
        meeting = upcoming[0] if upcoming else None
        yield from after_meeting(sim, m, mentor, mentee, held)
        when = following
        if when.date() > until:
            return


def after_meeting(sim: Simulation, m: Mentorship, mentor: Participant, mentee: Participant, held: int) -> Story:
    """Every third meeting both report satisfaction; now and then a dispute or a disclosure."""
    rng = sim.rng
    if held % 3 == 0:
        yield sim.now + timedelta(days=rng.randint(1, 5))
        for person in (mentor, mentee):
            if rng.random() < 0.8:
                m.report_satisfaction(rng.choice((2, 3, 4, 4, 5, 5)), None, party(person), sim.now)
        sim.touch(m)
    if held == 4:
        for objective in m.objectives:
            m.assess_objective(objective, "in_progress", party(mentee), sim.now)
    if rng.random() < 0.03:
        raiser, other = (mentee, mentor) if rng.random() < 0.5 else (mentor, mentee)
        dispute = sim.new_id()
        m.raise_dispute(dispute, "summary", party(raiser), sim.now)
        sim.touch(m)
        yield sim.now + timedelta(days=rng.randint(3, 12))
        if rng.random() < 0.6:
            m.settle_dispute(dispute, party(other), sim.now)
        else:
            cohort = sim.mentorships[m.id][2]
            outcome = rng.choice(("reconciled", "not_reconciled"))
            m.consult_coordinator("dispute", dispute, outcome, None, cohort.actor, sim.now)
        sim.touch(m)
    if rng.random() < 0.005:
        m.record_disclosure("required_by_law", "court", party(mentee), sim.now)
        sim.touch(m)


def ending(
    sim: Simulation,
    m: Mentorship,
    mentor: Participant,
    mentee: Participant,
    cohort: Cohort,
    objectives: list[UUID],
    early: datetime | None,
) -> Story:
    """End early after consulting the coordinator, or complete at or after the planned end."""
    rng = sim.rng
    if early is not None:
        yield early - timedelta(days=5)
        m.consult_coordinator("early_end", None, "ending_agreed", None, cohort.actor, sim.now)
        yield early
        ender = rng.choice((party(mentor), party(mentee), cohort.actor))
        m.end(rng.choice(("no_longer_needed", "relational_difficulties", "other")), None, ender, sim.now)
        final: tuple[str, ...] = ("abandoned", "in_progress", "attained")
    else:
        yield sim.at(m.planned_end_on + timedelta(days=rng.randint(0, 12)), 15)
        ender = rng.choice((party(mentor), party(mentee)))
        m.end("completed", None, ender, sim.now)
        final = ("attained", "attained", "attained", "in_progress", "abandoned")
    mentee.release_convention(m.id, ender, sim.now)
    sim.touch(m, mentee)
    yield sim.now + timedelta(days=rng.randint(1, 7))
    for objective in objectives:
        m.assess_objective(objective, rng.choice(final), party(mentee), sim.now)
    for person in (mentor, mentee):
        m.report_satisfaction(rng.choice((2, 3, 4, 4, 5, 5)), None, party(person), sim.now)
    sim.touch(m)


def populate(sink: Sink, mentorships: int, events: int, programmes: int, seed: int, end: datetime) -> Simulation:
    """Programmes over the two years before `end`: pairs drafted all along, about `events` events' worth by
    `end`, then a large intake in the last six weeks brings the pairs drafted to `mentorships`.
    """
    rng = random.Random(seed)
    start = end - timedelta(days=730)
    sim = Simulation(sink, rng, start)
    cohorts = [sim.launch(number) for number in range(programmes)]
    established = min(mentorships, max(1, events // EVENTS_PER_PAIR))
    windows = (
        (start + timedelta(days=30), end - timedelta(days=40)),
        (end - timedelta(days=45), end - timedelta(days=3)),
    )
    for number in range(mentorships):
        low, high = windows[number >= established]
        drafted_at = low + timedelta(seconds=rng.uniform(0, (high - low).total_seconds()))
        sim.spawn(drafted_at - timedelta(days=rng.randint(5, 20)), pair(sim, rng.choice(cohorts), drafted_at))
    return sim
