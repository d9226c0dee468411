"""The seeding engine: a simulated clock, stories interleaved in time order, and the people they act through.

Stories are generators that act on domain aggregates kept in memory and yield when they next act; the
events of every aggregate touched go to a sink a few hundred aggregates at a time, in simulated-time order.
Programmes are launched with their coordinator; participants are registered, invited and redeem their code
as the application's use cases would do it, credentials included.
"""

from __future__ import annotations

import base64
import heapq
import random
from collections.abc import Callable, Generator, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from eventsourcing.domain import Aggregate

from application.credentials import CredentialKeys
from domain.credential import INVITATION, TOKEN, Credential
from domain.mentorship import Mentorship
from domain.participant import Participant
from domain.programme import Programme
from domain.values import Actor, Role

TIME_ZONE = "America/Toronto"
ZONE = ZoneInfo(TIME_ZONE)
FLUSH = 400  # aggregates whose events go to the store together
TOKEN_TTL = timedelta(days=30)

Story = Iterator[datetime]
Enrolment = Generator[datetime, None, Participant]
Sink = Callable[[Sequence[Any]], None]


@dataclass
class Cohort:
    """A programme and the people the simulation needs to act in it."""

    id: UUID
    coordinator: Participant
    mentors: list[Participant] = field(default_factory=list)
    load: dict[UUID, int] = field(default_factory=dict)

    @property
    def actor(self) -> Actor:
        """The coordinator acting."""
        return Actor(self.coordinator.id, Role.COORDINATOR.value)


def party(participant: Participant) -> Actor:
    """A participant acting in their own role."""
    return Actor(participant.id, participant.role)


BENCH_CREDENTIAL_KEYS = CredentialKeys(b"the bench's simulations only")


class Simulation:
    """Stories of programmes and pairs, interleaved in time order; touched aggregates saved in bulk."""

    def __init__(self, sink: Sink, rng: random.Random, start: datetime) -> None:
        self.sink, self.rng, self.now = sink, rng, start
        self.queue: list[tuple[datetime, int, Story]] = []
        self.sequence = 0
        self.dirty: dict[UUID, Aggregate] = {}
        self.events = 0
        self.cohorts: list[Cohort] = []
        self.mentorships: dict[UUID, tuple[Mentorship, Participant, Cohort]] = {}

    # The engine ------------------------------------------------------------

    def spawn(self, when: datetime, story: Story) -> None:
        """Start a story at a time."""
        heapq.heappush(self.queue, (when, self.sequence, story))
        self.sequence += 1

    def run(self, until: datetime, max_events: int | None = None) -> None:
        """Advance the clock from one story step to the next, up to `until` or until `max_events` are stored."""
        while self.queue and self.queue[0][0] <= until:
            if max_events is not None and self.events >= max_events:
                break
            when, _, story = heapq.heappop(self.queue)
            self.now = max(self.now, when)
            step = next(story, None)
            if step is not None:
                self.spawn(step, story)
            if len(self.dirty) >= FLUSH:
                self.flush()
        self.flush()

    def touch(self, *aggregates: Aggregate) -> None:
        """Mark aggregates changed (saved at the next flush)."""
        for aggregate in aggregates:
            self.dirty[aggregate.id] = aggregate

    def flush(self) -> None:
        """Hand the events of every changed aggregate to the sink at once."""
        events = [event for aggregate in self.dirty.values() for event in aggregate.collect_events()]
        if events:
            self.sink(events)
            self.events += len(events)
        self.dirty = {}

    def new_id(self) -> UUID:
        """A reproducible random id."""
        return UUID(int=self.rng.getrandbits(128), version=4)

    def secret(self) -> str:
        """A reproducible 256-bit secret."""
        return base64.urlsafe_b64encode(self.rng.randbytes(32)).rstrip(b"=").decode()

    def credential(self, secret: str, participant_id: UUID, kind: str, expires_at: datetime, by: Actor) -> Credential:
        """A credential under keyed ids (the bench's own key: its tokens never authenticate against a deployment)."""
        credential_id = BENCH_CREDENTIAL_KEYS.id_of(secret)
        binding = BENCH_CREDENTIAL_KEYS.binding(credential_id, participant_id, kind, expires_at)
        return Credential.issue(credential_id, binding, participant_id, kind, expires_at, by, self.now)

    def at(self, day: date, hour: int) -> datetime:
        """A wall-clock hour of the programmes' zone, as UTC."""
        return datetime.combine(day, time(hour), tzinfo=ZONE).astimezone(UTC)

    # People ------------------------------------------------------------------

    def launch(self, number: int) -> Cohort:
        """The operator launches a programme with its coordinator, who redeems an invitation at once."""
        operator, now = Actor.operator(), self.now
        programme = Programme.launch(self.new_id(), f"Programme {number}", operator, now, time_zone=TIME_ZONE)
        coordinator = Participant.register(
            self.new_id(), programme.id, Role.COORDINATOR, f"Coordinator {number}", None, "fr", operator, now
        )
        self.touch(programme, coordinator)
        self.token(coordinator, self.invitation(coordinator, operator), operator)
        cohort = Cohort(programme.id, coordinator)
        self.cohorts.append(cohort)
        return cohort

    def invitation(self, participant: Participant, by: Actor) -> Credential:
        """Issue an invitation code for a participant."""
        expires_at = self.now + timedelta(days=7)
        invitation = self.credential(self.secret(), participant.id, INVITATION, expires_at, by)
        participant.issue_invitation(invitation.id, expires_at, by, self.now)
        self.touch(invitation, participant)
        return invitation

    def token(self, participant: Participant, invitation: Credential, by: Actor | None = None) -> str:
        """Redeem an invitation for a bearer token; answer the token."""
        actor, secret = by or party(participant), self.secret()
        expires_at = self.now + TOKEN_TTL
        token = self.credential(secret, participant.id, TOKEN, expires_at, actor)
        invitation.use(actor, self.now)
        participant.redeem_invitation(invitation.id, token.id, expires_at, actor, self.now)
        self.touch(token, invitation, participant)
        return secret

    def enrol(self, cohort: Cohort, role: str) -> Enrolment:
        """The coordinator registers and invites someone, who redeems the code within 60 hours."""
        number = len(self.mentorships) + len(cohort.mentors)
        person = Participant.register(
            self.new_id(), cohort.id, role, f"Person {number}", f"p{number}@bench.invalid", "fr", cohort.actor, self.now
        )
        invitation = self.invitation(person, cohort.actor)
        yield self.now + timedelta(hours=self.rng.randint(1, 60))
        self.token(person, invitation)
        return person

    def mentor_for(self, cohort: Cohort) -> Enrolment:
        """A mentor of the programme with room for another mentee (40% of the time), or a new one."""
        free = [m for m in cohort.mentors[-20:] if cohort.load[m.id] < 2]
        if free and self.rng.random() < 0.4:
            mentor = self.rng.choice(free)
        else:
            mentor = yield from self.enrol(cohort, Role.MENTOR)
            cohort.mentors.append(mentor)
            cohort.load[mentor.id] = 0
        cohort.load[mentor.id] += 1
        return mentor

    # Access for the benchmark's callers ----------------------------------------

    def grant(self, participant: Participant) -> str:
        """The operator re-invites a participant now (real time) and the code is redeemed: a fresh token."""
        return self.token(participant, self.invitation(participant, Actor.operator()))
